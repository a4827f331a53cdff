/*
 * sockdiag_pending: resolves non-blocking connects after the fact.
 *
 * A connect() that returned EINPROGRESS has no outcome in the audit stream.
 * The collector parks it here (with the socket's inode, read from /proc
 * when the record arrives) and a timer, not the reader's hot path, runs a
 * batch every 10-50 ms: one dump of the TCP sockets in the connect states
 * (the kernel filters by state), each dumped socket matched against the
 * parked ones, then every parked connect is judged:
 *
 *   seen SYN_SENT                  -> stays, until timeout_ms after it was
 *                                     parked: unresolved_timeout
 *   seen ESTABLISHED or later      -> success
 *   not seen, descriptor still
 *   holds the same inode           -> refused_or_failed: the kernel closed
 *                                     and unhashed it (tcp_done) while the
 *                                     process kept it; a refused connect's
 *                                     socket reads exactly like this
 *   not seen, descriptor gone      -> unresolved_gone: closed (or exited)
 *                                     before the batch could see it
 *   not seen, /proc unreadable     -> stays until the timeout
 *   its inode seen going elsewhere -> unresolved_gone: the descriptor was
 *                                     reused before the record was read
 *   (refused_or_failed only once confirmed: when the caller tells the
 *   records' clock, a record newer than the inode's read, or
 *   SOCKDIAG_PENDING_CONFIRM_MS, must have been read, so that a socket()
 *   that made the descriptor anew before the read would have been seen)
 *   its descriptor made anew       -> unresolved_gone: the caller saw a
 *                                     later socket() of the same
 *                                     (pid, fd) (_reused), so the
 *                                     inode read at park may be the new
 *                                     socket's; its own was closed first
 *
 * A connect parked without an inode (the descriptor was already closed when
 * its record was read) ends unresolved_gone at the next batch: a socket to
 * the same destination, even a single one, may be an earlier connection's
 * (a TIME_WAIT lasts a minute), so nothing the dump shows is exact for it.
 *
 * Matching a socket against the batch: the parked inodes are sorted once
 * per batch (begin), so a dump of N sockets costs N binary searches over at
 * most SOCKDIAG_PENDING_SLOTS.
 * A match also requires the destination the record gave, so an inode that
 * turned out to be another socket (a descriptor reused between the connect
 * and its record) is not taken for it.
 *
 * Each end is counted in the stats and handed, with the connect as parked
 * (its tag: the labels a collector counts it under), to the on_end
 * callback: evicted ones from park, the others from settle.
 *
 * Bounds: SOCKDIAG_PENDING_SLOTS slots in a ring, oldest evicted when full
 * (counted); nothing is allocated. Time is the caller's (milliseconds), so
 * the tests drive it with a fake clock.
 */
#include "netlink/sockdiag_pending.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* Connect states, as asked of the kernel: everything a connect's socket
 * can be in while its descriptor holds it (TIME_WAIT has no inode). */
#define SOCKDIAG_CONNECT_STATES                                                \
	(SOCKDIAG_ST(SOCKDIAG_ESTABLISHED) | SOCKDIAG_ST(SOCKDIAG_SYN_SENT) |  \
	 SOCKDIAG_ST(SOCKDIAG_FIN_WAIT1) | SOCKDIAG_ST(SOCKDIAG_FIN_WAIT2) |   \
	 SOCKDIAG_ST(SOCKDIAG_CLOSE_WAIT) | SOCKDIAG_ST(SOCKDIAG_LAST_ACK) |   \
	 SOCKDIAG_ST(SOCKDIAG_CLOSING))

void sockdiag_pending_init(struct sockdiag_pending *q, int64_t timeout_ms)
{
	memset(q, 0, sizeof(*q));
	q->timeout_ms = timeout_ms;
	q->newest_ms = INT64_MIN;
}

void sockdiag_pending_on_end(struct sockdiag_pending *q, sockdiag_end_fn fn,
			     void *arg)
{
	q->on_end = fn;
	q->on_end_arg = arg;
}

static struct sockdiag_pending_slot *slot_at(struct sockdiag_pending *q,
					     unsigned i)
{
	return &q->slot[(q->head + i) % SOCKDIAG_PENDING_SLOTS];
}

/* One connect ended as v: counted, and told. */
static void pending_end(struct sockdiag_pending *q,
			const struct sockdiag_conn *c, enum sockdiag_verdict v)
{
	struct sockdiag_pending_stats *st = &q->stats;
	uint64_t *n[SOCKDIAG_NVERDICT] = {
		[SOCKDIAG_V_SUCCESS] = &st->success,
		[SOCKDIAG_V_REFUSED_OR_FAILED] = &st->refused_or_failed,
		[SOCKDIAG_V_TIMEOUT] = &st->unresolved_timeout,
		[SOCKDIAG_V_GONE] = &st->unresolved_gone,
		[SOCKDIAG_V_EVICTED] = &st->evicted,
	};

	(*n[v])++;
	if (q->on_end)
		q->on_end(q->on_end_arg, c, v);
}

void sockdiag_pending_park(struct sockdiag_pending *q,
			   const struct sockdiag_conn *c, int64_t now_ms)
{
	struct sockdiag_pending_slot *s;

	if (q->count == SOCKDIAG_PENDING_SLOTS) {
		pending_end(q, &slot_at(q, 0)->c, SOCKDIAG_V_EVICTED);
		q->head = (q->head + 1) % SOCKDIAG_PENDING_SLOTS;
		q->count--;
	}
	s = slot_at(q, q->count++);
	memset(s, 0, sizeof(*s));
	s->c = *c;
	s->parked_ms = now_ms;
	q->stats.parked++;
}

void sockdiag_pending_reused(struct sockdiag_pending *q, pid_t pid, int fd,
			     int64_t t_ms)
{
	for (unsigned i = 0; i < q->count; i++) {
		struct sockdiag_pending_slot *s = slot_at(q, i);

		if (s->c.pid == pid && s->c.fd == fd && s->c.read_ms >= t_ms)
			s->reused = true;
	}
}

void sockdiag_pending_newest(struct sockdiag_pending *q, int64_t t_ms)
{
	if (t_ms > q->newest_ms)
		q->newest_ms = t_ms;
}

/* Whether the records read since s's inode was read would have shown a
 * socket() that made its descriptor anew before that read. */
static bool confirmed(const struct sockdiag_pending *q,
		      const struct sockdiag_pending_slot *s, int64_t now_ms)
{
	return q->newest_ms == INT64_MIN || q->newest_ms > s->c.read_ms ||
	       now_ms - s->c.read_ms >= SOCKDIAG_PENDING_CONFIRM_MS;
}

unsigned sockdiag_pending_count(const struct sockdiag_pending *q)
{
	return q->count;
}

int64_t sockdiag_pending_oldest_ms(const struct sockdiag_pending *q)
{
	return q->count ? q->slot[q->head].parked_ms : INT64_MAX;
}

static int index_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

void sockdiag_pending_begin(struct sockdiag_pending *q)
{
	q->nindex = 0;
	for (unsigned i = 0; i < q->count; i++) {
		struct sockdiag_pending_slot *s = slot_at(q, i);

		s->seen = 0;
		s->other = false;
		if (!s->c.t.inode)
			continue;
		q->index[q->nindex].inode = s->c.t.inode;
		q->index[q->nindex].pos = (uint16_t)i;
		q->nindex++;
	}
	/* inode is the first member: index_cmp compares it */
	qsort(q->index, q->nindex, sizeof(q->index[0]), index_cmp);
}

static size_t addr_len(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* Whether s goes where the record said c went. */
static bool same_destination(const struct sockdiag_conn *c,
			     const struct sockdiag_sock *s)
{
	return s->family == c->t.family && s->rport == c->t.rport &&
	       memcmp(s->raddr, c->t.raddr, addr_len(s->family)) == 0;
}

static void mark_slot(struct sockdiag_pending_slot *slot,
		      const struct sockdiag_sock *s)
{
	if (!same_destination(&slot->c, s)) {
		slot->other = slot->c.t.inode != 0;
		return;
	}
	slot->seen = s->state;
}

void sockdiag_pending_mark(struct sockdiag_pending *q,
			   const struct sockdiag_sock *s)
{
	unsigned lo = 0, hi = q->nindex;

	if (s->inode) {
		while (lo < hi) {
			unsigned mid = lo + (hi - lo) / 2;

			if (q->index[mid].inode < s->inode)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < q->nindex && q->index[lo].inode == s->inode; lo++)
			mark_slot(slot_at(q, q->index[lo].pos), s);
	}
}

/* The verdict on one slot, or -1 to keep it. */
static int judge(struct sockdiag_pending *q, struct sockdiag_pending_slot *s,
		 int64_t now_ms, sockdiag_fd_fn fd_now, void *arg)
{
	bool timed_out = now_ms - s->parked_ms >= q->timeout_ms;

	/* its inode is another connect's socket, or it has none (see the
	 * top): nothing the batch shows is exact for it */
	if (s->other || s->reused || !s->c.t.inode)
		return SOCKDIAG_V_GONE;
	if (s->seen) {
		switch (sockdiag_outcome_of(s->seen)) {
		case SOCKDIAG_SUCCESS:
			return SOCKDIAG_V_SUCCESS;
		case SOCKDIAG_PENDING:
			return timed_out ? SOCKDIAG_V_TIMEOUT : -1;
		case SOCKDIAG_GONE:
			break;
		}
	} else if (!s->held) {
		switch (fd_now(arg, &s->c)) {
		case SOCKDIAG_FD_SAME:
			s->held = true;
			break;
		case SOCKDIAG_FD_GONE:
			return SOCKDIAG_V_GONE;
		case SOCKDIAG_FD_UNKNOWN:
			break;
		}
	}
	if (s->held && confirmed(q, s, now_ms))
		return SOCKDIAG_V_REFUSED_OR_FAILED;
	if (!timed_out)
		return -1;
	return s->seen ? SOCKDIAG_V_TIMEOUT : SOCKDIAG_V_GONE;
}

unsigned sockdiag_pending_settle(struct sockdiag_pending *q, int64_t now_ms,
				 sockdiag_fd_fn fd_now, void *arg)
{
	unsigned kept = 0, ended = 0, n = q->count;

	/* Survivors move down in order, so the ring stays oldest first. */
	for (unsigned i = 0; i < n; i++) {
		struct sockdiag_pending_slot *s = slot_at(q, i);
		int v = judge(q, s, now_ms, fd_now, arg);

		if (v >= 0) {
			pending_end(q, &s->c, (enum sockdiag_verdict)v);
			ended++;
			continue;
		}
		if (kept != i)
			*slot_at(q, kept) = *s;
		kept++;
	}
	q->count = kept;
	q->nindex = 0; /* positions moved: a new batch begins again */
	return ended;
}

enum sockdiag_fd_now sockdiag_pending_fd_proc(void *arg,
					      const struct sockdiag_conn *c)
{
	uint64_t inode;
	int err = sockdiag_inode_of(c->pid, c->fd, &inode);

	(void)arg;
	if (err == -ENOENT || err == -ENOTSOCK)
		return SOCKDIAG_FD_GONE;
	if (err)
		return SOCKDIAG_FD_UNKNOWN;
	return inode == c->t.inode ? SOCKDIAG_FD_SAME : SOCKDIAG_FD_GONE;
}

static int mark_cb(void *arg, const struct sockdiag_sock *s)
{
	sockdiag_pending_mark(arg, s);
	return 0;
}

int sockdiag_pending_run(struct sockdiag_pending *q, struct sockdiag *sd,
			 int64_t now_ms)
{
	unsigned families = 0;
	int err;

	if (!q->count)
		return 0;
	for (unsigned i = 0; i < q->count; i++)
		families |= slot_at(q, i)->c.t.family == AF_INET6
				    ? SOCKDIAG_INET6
				    : SOCKDIAG_INET;
	sockdiag_pending_begin(q);
	err = sockdiag_dump(sd, families, IPPROTO_TCP, SOCKDIAG_CONNECT_STATES,
			    0, 0, NULL, mark_cb, q);
	if (err)
		return err;
	sockdiag_pending_settle(q, now_ms, sockdiag_pending_fd_proc, NULL);
	return 0;
}
