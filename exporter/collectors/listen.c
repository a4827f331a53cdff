/*
 * listen: who started listening on which port.
 *
 *   audit_listen_total{comm,uid,family,port}
 *
 * listen() names no address: the port is the one its socket was bound to.
 * So a successful bind() remembers (pid, fd) -> (family, port), and a
 * successful listen() on that (pid, fd) takes them ("unknown" for both if
 * the bind was not seen; an empty port for a family without one, such as
 * unix). A socketcall without its SOCKETCALL record has no fd: neither
 * remembered nor found.
 *
 * The bind table is a fixed set-associative cache of --audit.bind-slots
 * entries rounded up to a power of two sets of LISTEN_WAYS (the oldest
 * entry of a set is evicted), allocated once.
 */
#include "exporter/collectors/collector.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define LISTEN_WAYS 4

struct listen_bind {
	uint32_t pid;
	uint32_t fd;
	uint32_t age;
	uint16_t port;
	uint8_t family;
	uint8_t used;
};

/* The state, one allocation: the bind table. */
struct listen {
	unsigned sets;
	uint32_t age;
	struct listen_bind binds[];
};

/* folded: each family, and "unknown" */
static const struct coll_fam listen_fams[] = { {
	.desc = {
		"audit_listen",
		"Successful listen() calls by process name, real uid, "
		"address family and port (from the socket's earlier "
		"bind(); unknown if it was not seen).",
		FAM_COUNTER,
		4,
		{ "comm", "uid", "family", "port" },
		0xb, /* all but family */
	},
	.folded_max = COLL_NFAMILY + 1,
} };

static int listen_init(struct coll *c)
{
	unsigned sets = 1;
	struct listen *l;

	while (sets * LISTEN_WAYS < c->ctx->cfg->bind_slots)
		sets *= 2;
	l = calloc(1, sizeof(*l) + (size_t)sets * LISTEN_WAYS *
					   sizeof(struct listen_bind));
	c->state = l;
	if (!l)
		return -ENOMEM;
	l->sets = sets;
	return 0;
}

static struct listen_bind *listen_set(struct listen *l, uint32_t pid,
				      uint32_t fd)
{
	uint64_t h = ((uint64_t)pid << 32 | fd) * 0x9e3779b97f4a7c15ull;

	return &l->binds[(h >> 32 & (l->sets - 1)) * LISTEN_WAYS];
}

static void listen_bind_put(struct listen *l, uint32_t pid, uint32_t fd,
			    uint8_t family, uint16_t port)
{
	struct listen_bind *set = listen_set(l, pid, fd);
	struct listen_bind *victim = &set[0];

	for (int w = 0; w < LISTEN_WAYS; w++) {
		struct listen_bind *b = &set[w];

		if (b->used && b->pid == pid && b->fd == fd) {
			victim = b;
			break;
		}
		if (!b->used || (victim->used && b->age < victim->age))
			victim = b;
	}
	victim->pid = pid;
	victim->fd = fd;
	victim->family = family;
	victim->port = port;
	victim->used = 1;
	victim->age = ++l->age;
}

static const struct listen_bind *listen_bind_get(struct listen *l, uint32_t pid,
						 uint32_t fd)
{
	struct listen_bind *set = listen_set(l, pid, fd);

	for (int w = 0; w < LISTEN_WAYS; w++)
		if (set[w].used && set[w].pid == pid && set[w].fd == fd)
			return &set[w];
	return NULL;
}

static void listen_event(struct coll *c, const struct aev *e)
{
	struct listen *l = c->state;
	const struct listen_bind *b;
	char port[8] = "unknown";
	const char *family = "unknown";

	if (e->success != 1)
		return;
	if (e->class == AEV_BIND) {
		if (e->have_sa && e->have_fd)
			listen_bind_put(l, (uint32_t)e->pid, (uint32_t)e->fd,
					(uint8_t)e->sa.family, e->sa.port);
		return;
	}
	b = e->have_fd ? listen_bind_get(l, (uint32_t)e->pid, (uint32_t)e->fd)
		       : NULL;
	if (b) {
		family = coll_family_labels[coll_family(
			(enum arec_family)b->family)];
		if (b->family == AREC_AF_INET || b->family == AREC_AF_INET6)
			snprintf(port, sizeof(port), "%u", b->port);
		else
			port[0] = 0;
	}
	{
		struct fam_lv lv[4] = {
			{ e->comm, e->comm_len },
			{ e->uid.p ? e->uid.p : "", e->uid.len },
			COLL_LV(family),
			COLL_LV(port),
		};

		coll_count(c->ctx, c->fam[0], NULL, lv, e->t);
	}
}

const struct coll_def coll_listen = {
	.name = "listen",
	.on = true,
	.classes = AEV_BIT(AEV_BIND) | AEV_BIT(AEV_LISTEN),
	COLL_FAMS(listen_fams),
	.init = listen_init,
	.event = listen_event,
};
