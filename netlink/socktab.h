/* socktab: (pid, fd) -> the protocol its socket() asked for. See socktab.c. */
#ifndef AE_NETLINK_SOCKTAB_H
#define AE_NETLINK_SOCKTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/arec.h"

/* What a connect's destination is reached by; label values via
 * socktab_proto_name. */
enum socktab_proto {
	SOCKTAB_UNKNOWN, /* no socket() seen for this (pid, fd) */
	SOCKTAB_TCP,
	SOCKTAB_UDP,
	SOCKTAB_OTHER,
};
#define SOCKTAB_NPROTO (SOCKTAB_OTHER + 1)

struct socktab;

/* A table of at least `slots` entries (rounded up to a power of two, at
 * least one set), memory fixed here. NULL with errno ENOMEM or EINVAL
 * (slots 0 or above 1 << 24). */
struct socktab *socktab_new(unsigned slots);
void socktab_free(struct socktab *t);

/* "tcp", "udp", "other", "unknown" (also for out-of-range values). */
const char *socktab_proto_name(enum socktab_proto p);
/* The protocol of socket(family, type, protocol) as its arguments say;
 * SOCK_NONBLOCK and SOCK_CLOEXEC in type are ignored. Pure. */
enum socktab_proto socktab_proto_of(uint64_t family, uint64_t type,
				    uint64_t protocol);

/* Remembers a successful socket() (fd is its exit value), replacing what
 * (pid, fd) held; the oldest entry of the set makes room and is counted in
 * socktab_evicted. Reader thread only, O(1), no allocation. */
void socktab_put(struct socktab *t, uint32_t pid, uint32_t fd, uint64_t family,
		 uint64_t type, uint64_t protocol);
/* Remembers a successful bind() of (pid, fd) to sa (its family, port and
 * address), keeping the protocol of its socket() if seen (else unknown).
 * Reader thread only, O(1), no allocation. */
void socktab_bind(struct socktab *t, uint32_t pid, uint32_t fd,
		  const struct arec_sockaddr *sa);
/* What (pid, fd) was bound to, as socktab_bind kept it. */
struct socktab_local {
	enum arec_family family;
	uint16_t port; /* host order */
	uint8_t addr[16]; /* network order, inet in the first 4 bytes */
};
/* true with *out filled when a bind of (pid, fd) since its socket() was
 * seen. */
bool socktab_local(const struct socktab *t, uint32_t pid, uint32_t fd,
		   struct socktab_local *out);
/* The protocol remembered for (pid, fd), SOCKTAB_UNKNOWN if none. */
enum socktab_proto socktab_get(const struct socktab *t, uint32_t pid,
			       uint32_t fd);
/* Forgets (pid, fd): a successful close() or the process's exit, where the
 * caller sees them. */
void socktab_drop(struct socktab *t, uint32_t pid, uint32_t fd);

/* Entries made room for while still live (not replaced by their own key). */
uint64_t socktab_evicted(const struct socktab *t);
/* Heap bytes socktab_new(slots) takes, for budgets decided beforehand. */
size_t socktab_bytes_for(unsigned slots);
/* Entries the table holds, at most. */
unsigned socktab_capacity(const struct socktab *t);

#endif
