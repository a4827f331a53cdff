/*
 * connect_outcome: how non-blocking connects ended, asked of the kernel.
 *
 *   audit_connect_outcome_total{comm,uid,protocol,scope,outcome}
 *
 * A connect() on a non-blocking socket returns EINPROGRESS and its audit
 * record ends there (audit_connect_total says in_progress): the handshake's
 * result is never audited. The socket itself knows, while it exists, so a
 * live exporter asks the kernel (netlink/sockdiag_pending, whose top says
 * how each verdict is reached; docs/SOCKDIAG.md has the measurements):
 *
 *   success             seen past the handshake (ESTABLISHED and later)
 *   refused_or_failed   gone from the kernel's tables while the process
 *                       still held the descriptor: refused, reset or
 *                       timed out by the kernel
 *   unresolved_timeout  still SYN_SENT OUTCOME_TIMEOUT_MS after the call
 *   unresolved_gone     closed (or the process exited) before a lookup
 *                       could see it decided, or already gone when its
 *                       record was read; most short-lived clients
 *   unresolved_evicted  pushed out of the SOCKDIAG_PENDING_SLOTS slots by
 *                       newer ones before its lookup
 *   unresolved_netns    made in another network namespace, which the
 *                       exporter's sock_diag socket cannot see
 *
 * Every parked connect ends in exactly one outcome, so their sum is the
 * in_progress connects of inet/inet6 TCP (or unknown-protocol) sockets.
 *
 * A descriptor closed and made anew before its connect's record was read
 * would hand the park another socket's inode: a later socket() of the
 * same (pid, fd) (the bundled rules audit inet socket()) ends the parked
 * connect unresolved_gone (outcome_reused). A descriptor
 * reused by a socket the rules do not audit (unix) is not seen that way:
 * its connect would read refused_or_failed; a short window, not closed.
 * And a batch can run before the next socket()'s record is read: so a
 * connect seen held (refused) is only counted refused_or_failed once a
 * record newer than its /proc read was read (every event's time goes to
 * sockdiag_pending_newest), or a second after: the records come in order.
 *
 * The path of one connect: its record (the reader thread, the event hook)
 * reads /proc/PID/fd/FD for the socket's inode (and /proc/PID/ns/net when
 * the enrich stage did not) and parks it with its labels packed into the
 * slot's tag (no allocation; a comm too long for the tag, which the kernel
 * never writes, folds to __other__). The tick runs a batch, one sock_diag
 * dump of the TCP connect states, when the oldest parked connect is
 * --collector.connect_outcome.delay old, and asks the reader loop to wake
 * for it (coll_wake) rather than wait for the loop's 250 ms.
 *
 * Cost bound: a dump walks the whole established hash (1-25 ms measured),
 * on the reader thread. Batches are at least OUTCOME_DUTY times the last
 * dump's measured cost apart (and at least the delay, and 1 ms; at most
 * OUTCOME_TIMEOUT_MS, a dump over 150 ms then costs more), so
 * lookups take at most 1/OUTCOME_DUTY of the reader's time however fast
 * connects come; what arrives beyond the slots meanwhile is counted as
 * unresolved_evicted.
 *
 * Off (resolve false: a replay, or --no-audit.resolve-sockets) it parks
 * nothing and asks nothing; its family is there, with no series.
 *
 * Bounds: the queue (SOCKDIAG_PENDING_SLOTS slots) is taken at start and
 * reserved in the memory budget; series fold at the cap like connect's.
 */
#include "exporter/collectors/collector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "metrics/budget.h"
#include "netlink/sockdiag_pending.h"

#define OUTCOME_TIMEOUT_MS 3000 /* past the first SYN retransmit (1 s) */
#define OUTCOME_DUTY 20 /* batches >= 20 x a dump's cost apart: <= 5% */
#define OUTCOME_DELAY_MAX 1000 /* ms; longer finds nothing (SOCKDIAG.md) */
#define OUTCOME_FOLDED "__other__"

enum {
	OUTCOME_SUCCESS = SOCKDIAG_V_SUCCESS,
	OUTCOME_REFUSED = SOCKDIAG_V_REFUSED_OR_FAILED,
	OUTCOME_TIMEOUT = SOCKDIAG_V_TIMEOUT,
	OUTCOME_GONE = SOCKDIAG_V_GONE,
	OUTCOME_EVICTED = SOCKDIAG_V_EVICTED,
	OUTCOME_NETNS = SOCKDIAG_NVERDICT,
	OUTCOME_N,
};

static const char *const outcome_labels[OUTCOME_N] = {
	[OUTCOME_SUCCESS] = "success",
	[OUTCOME_REFUSED] = "refused_or_failed",
	[OUTCOME_TIMEOUT] = "unresolved_timeout",
	[OUTCOME_GONE] = "unresolved_gone",
	[OUTCOME_EVICTED] = "unresolved_evicted",
	[OUTCOME_NETNS] = "unresolved_netns",
};

/* folded: the protocols a parked connect can have (tcp, unknown) x scope x
 * outcome */
static const struct coll_fam outcome_fams[] = {
	{
		.desc = {
			"audit_connect_outcome",
			"Non-blocking inet/inet6 TCP connect() calls "
			"(EINPROGRESS) by how they ended, as sock_diag saw the "
			"socket: success, refused_or_failed, or unresolved "
			"(timeout, gone, evicted, netns); live sources only.",
			FAM_COUNTER,
			5,
			{ "comm", "uid", "protocol", "scope", "outcome" },
			0x3,
		},
		.folded_max = 2 * SCOPE_N * OUTCOME_N,
	},
};

struct outcome {
	struct coll *c;
	struct sockdiag *sd;
	int64_t delay_ms;
	int64_t next_ms; /* no batch before (the cost bound) */
	int64_t now_ms; /* the time ends are counted at */
	uint64_t netns_self; /* 0: not known */
	struct sockdiag_pending q;
};

static struct budget_acct outcome_acct(const struct coll *c)
{
	return (struct budget_acct){ c->ctx->cfg->budget, BUDGET_SERIES, true };
}

static int64_t outcome_clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The tag: protocol, scope, then comm and uid, each length-prefixed; a
 * comm length of 0xff is the folded comm. */
static void outcome_tag(struct sockdiag_conn *k, const struct aev *e)
{
	size_t ul = e->uid.len, cl = e->comm_len, n = 0;

	k->tag[n++] = (uint8_t)e->net.proto;
	k->tag[n++] = (uint8_t)e->net.scope;
	if (cl + ul + 4 > SOCKDIAG_PENDING_TAG)
		cl = 0xff;
	k->tag[n++] = (uint8_t)cl;
	if (cl != 0xff) {
		memcpy(k->tag + n, e->comm, cl);
		n += cl;
	}
	if (ul + n + 1 > SOCKDIAG_PENDING_TAG)
		ul = 0; /* a uid is at most 10 digits: never */
	k->tag[n++] = (uint8_t)ul;
	if (ul)
		memcpy(k->tag + n, e->uid.p, ul);
	k->tag_len = (uint8_t)(n + ul);
}

/* One connect of tag ended as outcome o. */
static void outcome_count(struct outcome *st, const uint8_t *tag, unsigned o)
{
	size_t n = 3, cl = tag[2];
	struct fam_lv lv[5];

	if (cl == 0xff) {
		lv[0] = COLL_LV(OUTCOME_FOLDED);
	} else {
		lv[0] = (struct fam_lv){ (const char *)tag + n, cl };
		n += cl;
	}
	lv[1] = (struct fam_lv){ (const char *)tag + n + 1, tag[n] };
	lv[2] = COLL_LV(socktab_proto_name((enum socktab_proto)tag[0]));
	lv[3] = COLL_LV(scope_name((enum scope)tag[1]));
	lv[4] = COLL_LV(outcome_labels[o]);
	coll_count(st->c->ctx, st->c->fam[0], NULL, lv, st->now_ms);
}

static void outcome_end(void *arg, const struct sockdiag_conn *k,
			enum sockdiag_verdict v)
{
	outcome_count(arg, k->tag, (unsigned)v);
}

static int outcome_init(struct coll *c)
{
	const struct agg_config *cfg = c->ctx->cfg;
	struct budget_acct acct = outcome_acct(c);
	struct outcome *st;
	int rc;

	if (!cfg->resolve)
		return 0;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->sd = sockdiag_open();
	if (!st->sd) {
		rc = -errno;
		free(st);
		return rc;
	}
	if (acct.b) {
		rc = budget_reserve_add(acct.b, sizeof(*st));
		if (rc) {
			sockdiag_close(st->sd);
			free(st);
			return rc;
		}
		(void)budget_charge(&acct, sizeof(*st)); /* reserved */
	}
	st->c = c;
	st->delay_ms = cfg->outcome_delay_ms < OUTCOME_DELAY_MAX
			       ? cfg->outcome_delay_ms
			       : OUTCOME_DELAY_MAX;
	if (sockdiag_netns_self(&st->netns_self))
		st->netns_self = 0;
	sockdiag_pending_init(&st->q, OUTCOME_TIMEOUT_MS);
	sockdiag_pending_on_end(&st->q, outcome_end, st);
	c->state = st;
	return 0;
}

static void outcome_fini(struct coll *c)
{
	struct budget_acct acct = outcome_acct(c);
	struct outcome *st = c->state;

	if (acct.b) {
		budget_release(&acct, sizeof(*st));
		budget_reserve_sub(acct.b, sizeof(*st));
	}
	sockdiag_close(st->sd);
	free(st);
	c->state = NULL;
}

/* Whether the connect's process is in another network namespace. */
static bool outcome_other_netns(const struct outcome *st, const struct aev *e)
{
	uint64_t ns;

	if (e->net.netns)
		return e->net.netns_other;
	if (!st->netns_self || sockdiag_netns_of((pid_t)e->pid, &ns))
		return false; /* not known: its lookup then says */
	return ns != st->netns_self;
}

/* A later socket() returning a parked connect's (pid, fd) means its
 * descriptor was closed and made anew, perhaps before its inode was read:
 * the queue must not take the new socket for it (a client that connects
 * to a refused port and closes at once, in a loop, read refused_or_failed
 * for about 0.5% of its connects on evidence that was the next one's).
 * A later connect() is not taken as such: connect() again on the same
 * socket is how some clients poll a non-blocking connect. */
static void outcome_reused(struct outcome *st, const struct aev *e)
{
	if (e->class != AEV_SOCKET || e->success != 1 || !e->have_exit ||
	    e->exit < 0 || e->exit > INT32_MAX || e->pid > INT32_MAX)
		return;
	if (sockdiag_pending_count(&st->q))
		sockdiag_pending_reused(&st->q, (pid_t)e->pid, (int)e->exit,
					e->t);
}

static void outcome_event(struct coll *c, const struct aev *e)
{
	struct outcome *st = c->state;
	struct sockdiag_conn k;
	bool v6;

	if (!st)
		return;
	sockdiag_pending_newest(&st->q, e->t);
	outcome_reused(st, e);
	if (e->class != AEV_CONNECT || !e->have_exit ||
	    e->exit != -EINPROGRESS || !e->have_sa || !e->have_fd ||
	    e->fd > INT32_MAX || !e->pid || e->pid > INT32_MAX)
		return;
	if (e->sa.family != AREC_AF_INET && e->sa.family != AREC_AF_INET6)
		return;
	if (e->net.proto != SOCKTAB_TCP && e->net.proto != SOCKTAB_UNKNOWN)
		return;
	v6 = e->sa.family == AREC_AF_INET6;
	memset(&k, 0, sizeof(k));
	k.t.family = v6 ? AF_INET6 : AF_INET;
	k.t.protocol = IPPROTO_TCP;
	k.t.rport = e->sa.port;
	memcpy(k.t.raddr, e->sa.addr, v6 ? 16 : 4);
	k.pid = (pid_t)e->pid;
	k.fd = (int)e->fd;
	outcome_tag(&k, e);
	st->now_ms = e->t;
	if (outcome_other_netns(st, e)) {
		outcome_count(st, k.tag, OUTCOME_NETNS);
		return;
	}
	/* no inode (closed already, or no right to read): parked anyway,
	 * it ends unresolved_gone at the next batch */
	k.read_ms = outcome_clock_us(CLOCK_REALTIME) / 1000; /* live: e->t's */
	if (sockdiag_inode_of(k.pid, k.fd, &k.t.inode))
		k.t.inode = 0;
	sockdiag_pending_park(&st->q, &k, e->t);
}

static void outcome_tick(struct coll *c, int64_t now_ms)
{
	struct outcome *st = c->state;
	int64_t due, t0, gap;

	if (!st || !sockdiag_pending_count(&st->q))
		return;
	due = sockdiag_pending_oldest_ms(&st->q) + st->delay_ms;
	if (due < st->next_ms)
		due = st->next_ms;
	/* a wall clock set back must not hold the queue until evictions:
	 * due is never further than the delay plus the longest gap */
	if (now_ms < due && due - now_ms <= st->delay_ms + OUTCOME_TIMEOUT_MS) {
		coll_wake(c, due);
		return;
	}
	st->now_ms = now_ms;
	t0 = outcome_clock_us(CLOCK_MONOTONIC);
	/* a failed dump leaves the queue as it was: retried next batch */
	(void)sockdiag_pending_run(&st->q, st->sd, now_ms);
	gap = (outcome_clock_us(CLOCK_MONOTONIC) - t0) * OUTCOME_DUTY / 1000;
	if (gap < st->delay_ms)
		gap = st->delay_ms;
	if (gap > OUTCOME_TIMEOUT_MS)
		gap = OUTCOME_TIMEOUT_MS; /* then everything parked times out */
	st->next_ms = now_ms + (gap < 1 ? 1 : gap);
	if (sockdiag_pending_count(&st->q))
		coll_wake(c, st->next_ms);
}

const struct coll_def coll_connect_outcome = {
	.name = "connect_outcome",
	.on = true,
	.classes = AEV_ALL, /* every event's time: sockdiag_pending_newest */
	COLL_FAMS(outcome_fams),
	.init = outcome_init,
	.fini = outcome_fini,
	.event = outcome_event,
	.tick = outcome_tick,
};
