/*
 * enrich: the dispatcher's stage between decoding and the collectors.
 *
 * A SYSCALL record says what the process asked for, not what its socket
 * is: connect() names a destination but not whether the socket is TCP or
 * UDP; listen() names no address at all. Those facts come from earlier
 * events of the same (pid, fd) and, when the exporter reads the live
 * kernel, from the kernel itself. This stage keeps that memory in one
 * place and writes what it knows into the event's aev_net, so that every
 * collector (connect, listen, destinations, baseline) reads the same
 * answer and none keeps its own copy:
 *
 *   proto   connect, bind, listen: the protocol of the socket() that made
 *           (pid, fd) (netlink/socktab); unknown when it was not seen
 *   local   listen: the address of the socket's earlier successful bind()
 *           of the same (pid, fd); bind: the address it binds
 *   scope   connect: the destination's class (netlink/scope), pure
 *   local   (again) with --audit.resolve-sockets: at a listen(), and at a
 *           bind() of a UDP socket or of one of unknown protocol, the
 *           kernel's own (exporter/listener.c): the real port of a port-0
 *           bind, the address of a socket bound by a parent process, and
 *           local_kernel set; proto learnt when it was unknown
 *   netns   connect to loopback, live (agg_config.resolve) only: the
 *           process's network namespace (/proc/PID/ns/net), and whether
 *           it is not the exporter's: another namespace's 127.0.0.1:80
 *           is another destination. Read at the event, after the fact:
 *           a process gone by then (or a pid reused) reads 0, "not
 *           known", and counts as the host's; a replay never asks. One
 *           readlink per loopback connect, but at most one per pid per
 *           ENRICH_NETNS_TTL_MS of event time (a direct-mapped cache of
 *           ENRICH_NETNS_CACHE pids): a readlink costs about as much as
 *           the rest of the event (bench_storm, one process connecting
 *           to loopback as fast as it can: reader CPU 8.7-9.8 us an
 *           event uncached, 5.9 us with --no-audit.resolve-sockets). A
 *           process that changes namespace (setns, unshare) reads its
 *           old one for at most the TTL. Other scopes are the same
 *           address in every namespace as far as the records tell.
 *
 * What is remembered: successful socket() calls (the bundled rules audit
 * those of inet and inet6 only) and successful bind() calls, in one
 * fixed table of --audit.bind-slots (pid, fd) entries (socktab; 2 MiB at
 * the default 65536), allocated in enrich_new and taken from the memory
 * budget's fixed tables, with the listener resolver's sock_diag buffer
 * (32 KiB) when it resolves; nothing on the event's path allocates. Reader thread only, under the exporter's lock.
 */
#include "exporter/enrich.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/agg.h"
#include "exporter/listener.h"
#include "metrics/budget.h"
#include "netlink/sockdiag.h"

#define ENRICH_NETNS_CACHE 256 /* pids, a power of two */
#define ENRICH_NETNS_TTL_MS 100

/* A pid's network namespace as last read, at event time t. */
struct enrich_netns {
	uint32_t pid; /* 0: empty */
	int64_t t;
	uint64_t ns;
};

struct enrich {
	const struct agg_config *cfg;
	struct enrich_netns netns_cache[ENRICH_NETNS_CACHE];
	struct socktab *socks; /* (pid, fd) -> protocol, bind address */
	size_t table_bytes; /* taken from the memory budget */
	struct listener *listener; /* with cfg->resolve only */
	uint64_t netns_self; /* the exporter's network namespace; 0: unknown */
};

struct enrich *enrich_new(const struct agg_config *cfg)
{
	struct enrich *en = calloc(1, sizeof(*en));
	unsigned slots = cfg->bind_slots ? cfg->bind_slots : 65536;
	size_t bytes = socktab_bytes_for(slots) +
		       (cfg->resolve ? listener_bytes() : 0);

	if (!en)
		return NULL;
	en->cfg = cfg;
	en->socks = socktab_new(slots);
	if (!en->socks)
		goto fail;
	if (budget_table_take(cfg->budget, bytes)) {
		errno = EINVAL;
		goto fail;
	}
	en->table_bytes = bytes;
	if (cfg->resolve) {
		en->listener = listener_new(cfg->listener_ops);
		if (!en->listener) {
			errno = ENOMEM;
			goto fail;
		}
	}
	/* unknown (0) when /proc is not there: then no namespace is known
	 * as another, and loopback is counted as the records say */
	if (cfg->resolve && sockdiag_netns_self(&en->netns_self) < 0)
		en->netns_self = 0;
	return en;
fail:
	enrich_free(en); /* gives back table_bytes: 0 until taken */
	return NULL;
}

void enrich_free(struct enrich *en)
{
	if (!en)
		return;
	budget_table_give(en->cfg->budget, en->table_bytes);
	socktab_free(en->socks);
	listener_free(en->listener);
	free(en);
}

/* socket(family, type, protocol): the arguments, through socketcall's
 * own when that is how it was called (none without its record). */
static void enrich_socket(struct enrich *en, const struct aev *e)
{
	const uint64_t *arg = e->via_socketcall ? e->sc : e->a;

	if (e->success != 1 || !e->have_exit || e->exit < 0 ||
	    (e->via_socketcall && e->sc_n < 3))
		return;
	socktab_put(en->socks, (uint32_t)e->pid, (uint32_t)e->exit, arg[0],
		    arg[1], arg[2]);
}

/* A loopback connect's network namespace (see the top). */
static void enrich_netns(struct enrich *en, struct aev *e)
{
	struct enrich_netns *c;
	uint64_t ns;

	if (!en->cfg->resolve || e->net.scope != SCOPE_LOOPBACK || !e->pid ||
	    e->pid > INT32_MAX)
		return;
	c = &en->netns_cache[(uint32_t)e->pid * 2654435761u >> 24 &
			     (ENRICH_NETNS_CACHE - 1)];
	if (c->pid == (uint32_t)e->pid && e->t >= c->t &&
	    e->t - c->t < ENRICH_NETNS_TTL_MS) {
		ns = c->ns;
	} else {
		if (sockdiag_netns_of((pid_t)e->pid, &ns) < 0) {
			c->pid = 0;
			return;
		}
		*c = (struct enrich_netns){ (uint32_t)e->pid, e->t, ns };
	}
	e->net.netns = ns;
	e->net.netns_other = en->netns_self && ns != en->netns_self;
}

static void enrich_local(struct aev *e, const struct socktab_local *l)
{
	e->net.have_local = true;
	e->net.lfamily = l->family;
	e->net.lport = l->port;
	memcpy(e->net.laddr, l->addr, sizeof(e->net.laddr));
}

void enrich_event(struct enrich *en, struct aev *e)
{
	uint32_t pid = (uint32_t)e->pid, fd = (uint32_t)e->fd;
	struct socktab_local l;

	switch (e->class) {
	case AEV_SOCKET:
		enrich_socket(en, e);
		return;
	case AEV_CONNECT:
		if (e->have_sa)
			e->net.scope = scope_of_sockaddr(&e->sa);
		enrich_netns(en, e);
		break;
	case AEV_BIND:
		if (e->success == 1 && e->have_sa && e->have_fd)
			socktab_bind(en->socks, pid, fd, &e->sa);
		if (e->have_sa) {
			l.family = e->sa.family;
			l.port = e->sa.port;
			memcpy(l.addr, e->sa.addr, sizeof(l.addr));
			enrich_local(e, &l);
		}
		break;
	case AEV_LISTEN:
		if (e->have_fd && socktab_local(en->socks, pid, fd, &l))
			enrich_local(e, &l);
		break;
	default:
		return;
	}
	if (e->have_fd)
		e->net.proto = socktab_get(en->socks, pid, fd);
	/* a listen() or UDP bind() as the kernel has it (listener.c says
	 * which calls it asks about); when it cannot tell, what the records
	 * said stays */
	if (en->listener && (e->class == AEV_LISTEN || e->class == AEV_BIND))
		(void)listener_resolve(en->listener, e);
}
