/*
 * socktab: what a socket is, remembered from the calls that made it: the
 * protocol from its socket(), the local address from its bind().
 *
 * connect() carries only the file descriptor and the destination: nothing in
 * its SYSCALL and SOCKADDR records says whether fd is a TCP or a UDP socket,
 * yet a resolver's UDP connect() per lookup is no outbound connection. The
 * socket() that made fd says it (a0 family, a1 type, a2 protocol, exit the
 * fd), so the reader remembers (pid, fd) -> protocol here and the connect
 * collector looks it up. Rules that produce the socket() events (only
 * AF_INET and AF_INET6) are in docs/DESTINATIONS.md. listen() carries only
 * the fd, so the address its socket was bound to is remembered the same way
 * (socktab_bind, socktab_local): a bind keeps the socket() entry's protocol,
 * or makes an entry of unknown protocol; a socket() on the same (pid, fd)
 * starts a new socket and forgets the old bind.
 *
 * Classification (socktab_proto_of), inet and inet6 only:
 *   tcp    SOCK_STREAM with protocol 0, IPPROTO_TCP or IPPROTO_MPTCP
 *          (MPTCP speaks TCP on the wire and falls back to it)
 *   udp    SOCK_DGRAM with protocol 0 or IPPROTO_UDP
 *   other  every other combination: SCTP, UDP-Lite, ICMP "ping" sockets,
 *          SOCK_RAW, SOCK_SEQPACKET, and any other family
 *   unknown  (socktab_get) no socket() seen for this (pid, fd): created
 *          before the exporter started, inherited across fork(), received
 *          over a unix socket, duplicated with dup(), or evicted.
 * The type argument carries SOCK_NONBLOCK and SOCK_CLOEXEC in its high
 * bits (02000000 and 04000 on most architectures, from <sys/socket.h> at
 * build time); only the low 4 bits (SOCK_TYPE_MASK in the kernel) are the
 * type.
 *
 * Layout: sets of SOCKTAB_WAYS entries of 32 bytes; the set is a
 * multiplicative hash of (pid, fd). A put replaces the entry of the same
 * key, else takes an empty way, else evicts the way with the smallest age
 * (oldest put) and counts it. Memory is fixed at creation: 1 << 16 slots
 * is 2 MiB. Lookups and puts touch one 128-byte set: O(1).
 *
 * Staleness: a pid and an fd are both reused. The table is right as long as
 * every socket() of an inet socket is seen (the rules audit them all), since
 * the next socket() on the same (pid, fd) replaces the entry; an fd that is
 * closed and reused for a non-socket or by accept() is not seen, and a
 * connect on it would read the old protocol. accept()ed sockets do not call
 * connect(), so that case needs dup2() onto a closed socket's number.
 * socktab_drop lets the caller forget on close() or exit where it sees them.
 */
#include "netlink/socktab.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define SOCKTAB_WAYS 4
#define SOCKTAB_TYPE_MASK 0xf /* the kernel's SOCK_TYPE_MASK */
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

struct socktab_entry {
	uint32_t pid;
	uint32_t fd;
	uint32_t age; /* 0: empty */
	uint8_t proto; /* enum socktab_proto */
	uint8_t lfamily; /* enum arec_family of the bind, SOCKTAB_NO_BIND */
	uint16_t lport; /* host order */
	uint8_t laddr[16]; /* network order, inet in the first 4 bytes */
};
#define SOCKTAB_NO_BIND 0xff

_Static_assert(sizeof(struct socktab_entry) == 32, "two entries a line");

struct socktab {
	struct socktab_entry *e;
	unsigned sets; /* a power of two */
	uint32_t age;
	uint64_t evicted;
};

static const char *const socktab_names[SOCKTAB_NPROTO] = {
	[SOCKTAB_UNKNOWN] = "unknown",
	[SOCKTAB_TCP] = "tcp",
	[SOCKTAB_UDP] = "udp",
	[SOCKTAB_OTHER] = "other",
};

const char *socktab_proto_name(enum socktab_proto p)
{
	if ((unsigned)p >= SOCKTAB_NPROTO)
		return "unknown";
	return socktab_names[p];
}

enum socktab_proto socktab_proto_of(uint64_t family, uint64_t type,
				    uint64_t protocol)
{
	if (family != AF_INET && family != AF_INET6)
		return SOCKTAB_OTHER;
	switch (type & SOCKTAB_TYPE_MASK) {
	case SOCK_STREAM:
		if (protocol == 0 || protocol == IPPROTO_TCP ||
		    protocol == IPPROTO_MPTCP)
			return SOCKTAB_TCP;
		return SOCKTAB_OTHER;
	case SOCK_DGRAM:
		if (protocol == 0 || protocol == IPPROTO_UDP)
			return SOCKTAB_UDP;
		return SOCKTAB_OTHER;
	default:
		return SOCKTAB_OTHER;
	}
}

static unsigned socktab_sets(unsigned slots)
{
	unsigned sets = 1;

	while (sets * SOCKTAB_WAYS < slots)
		sets <<= 1;
	return sets;
}

size_t socktab_bytes_for(unsigned slots)
{
	return sizeof(struct socktab) + (size_t)socktab_sets(slots) *
						SOCKTAB_WAYS *
						sizeof(struct socktab_entry);
}

struct socktab *socktab_new(unsigned slots)
{
	struct socktab *t;
	unsigned sets;

	if (!slots || slots > 1u << 24) {
		errno = EINVAL;
		return NULL;
	}
	sets = socktab_sets(slots);
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->e = calloc((size_t)sets * SOCKTAB_WAYS, sizeof(*t->e));
	if (!t->e) {
		free(t);
		return NULL;
	}
	t->sets = sets;
	return t;
}

void socktab_free(struct socktab *t)
{
	if (!t)
		return;
	free(t->e);
	free(t);
}

static struct socktab_entry *socktab_set(const struct socktab *t, uint32_t pid,
					 uint32_t fd)
{
	uint64_t h = ((uint64_t)pid << 32 | fd) * 0x9e3779b97f4a7c15ull;

	return &t->e[(h >> 32 & (t->sets - 1)) * SOCKTAB_WAYS];
}

static struct socktab_entry *socktab_find(const struct socktab *t, uint32_t pid,
					  uint32_t fd)
{
	struct socktab_entry *set = socktab_set(t, pid, fd);

	for (int w = 0; w < SOCKTAB_WAYS; w++)
		if (set[w].age && set[w].pid == pid && set[w].fd == fd)
			return &set[w];
	return NULL;
}

/* The entry of (pid, fd), made (the oldest of the set evicted) if none. */
static struct socktab_entry *socktab_claim(struct socktab *t, uint32_t pid,
					   uint32_t fd, bool *fresh)
{
	struct socktab_entry *v = socktab_find(t, pid, fd);

	*fresh = !v;
	if (!v) {
		struct socktab_entry *set = socktab_set(t, pid, fd);

		v = &set[0];
		for (int w = 1; w < SOCKTAB_WAYS && v->age; w++)
			if (!set[w].age || set[w].age < v->age)
				v = &set[w];
		if (v->age)
			t->evicted++;
	}
	/* age 0 marks an empty way: skip it when the counter wraps (then the
	 * oldest-first order is wrong once, for the sets it straddles) */
	if (++t->age == 0)
		t->age = 1;
	v->pid = pid;
	v->fd = fd;
	v->age = t->age;
	return v;
}

void socktab_put(struct socktab *t, uint32_t pid, uint32_t fd, uint64_t family,
		 uint64_t type, uint64_t protocol)
{
	bool fresh;
	struct socktab_entry *v = socktab_claim(t, pid, fd, &fresh);

	v->proto = (uint8_t)socktab_proto_of(family, type, protocol);
	v->lfamily = SOCKTAB_NO_BIND;
}

void socktab_bind(struct socktab *t, uint32_t pid, uint32_t fd,
		  const struct arec_sockaddr *sa)
{
	bool fresh;
	struct socktab_entry *v = socktab_claim(t, pid, fd, &fresh);

	if (fresh)
		v->proto = SOCKTAB_UNKNOWN;
	v->lfamily = (uint8_t)sa->family;
	v->lport = sa->port;
	memcpy(v->laddr, sa->addr, sizeof(v->laddr));
}

bool socktab_local(const struct socktab *t, uint32_t pid, uint32_t fd,
		   struct socktab_local *out)
{
	const struct socktab_entry *e = socktab_find(t, pid, fd);

	if (!e || e->lfamily == SOCKTAB_NO_BIND)
		return false;
	out->family = (enum arec_family)e->lfamily;
	out->port = e->lport;
	memcpy(out->addr, e->laddr, sizeof(out->addr));
	return true;
}

enum socktab_proto socktab_get(const struct socktab *t, uint32_t pid,
			       uint32_t fd)
{
	const struct socktab_entry *e = socktab_find(t, pid, fd);

	return e ? (enum socktab_proto)e->proto : SOCKTAB_UNKNOWN;
}

void socktab_drop(struct socktab *t, uint32_t pid, uint32_t fd)
{
	struct socktab_entry *e = socktab_find(t, pid, fd);

	if (e)
		e->age = 0;
}

uint64_t socktab_evicted(const struct socktab *t)
{
	return t->evicted;
}

unsigned socktab_capacity(const struct socktab *t)
{
	return t->sets * SOCKTAB_WAYS;
}
