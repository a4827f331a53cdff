/* sockdiag_pending: non-blocking connects waiting for their outcome, in a
 * fixed number of slots. See sockdiag_pending.c. */
#ifndef AE_NETLINK_SOCKDIAG_PENDING_H
#define AE_NETLINK_SOCKDIAG_PENDING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "netlink/sockdiag.h"

#define SOCKDIAG_PENDING_SLOTS 256
#define SOCKDIAG_PENDING_TAG 48 /* caller's bytes carried by a connect */

/* A connect that read EINPROGRESS: its socket (t.inode from
 * sockdiag_inode_of at park time, 0 when the descriptor was already gone),
 * where it went, and who made it. tag: what the caller counts its outcome
 * under (a collector's labels), opaque here and handed back at its end. */
struct sockdiag_conn {
	struct sockdiag_tuple t;
	pid_t pid;
	int fd;
	int64_t read_ms; /* when t.inode was read (the records' clock) */
	uint8_t tag_len;
	uint8_t tag[SOCKDIAG_PENDING_TAG];
};

/* How a parked connect ended (the stats below count each). */
enum sockdiag_verdict {
	SOCKDIAG_V_SUCCESS,
	SOCKDIAG_V_REFUSED_OR_FAILED,
	SOCKDIAG_V_TIMEOUT,
	SOCKDIAG_V_GONE,
	SOCKDIAG_V_EVICTED,
	SOCKDIAG_NVERDICT,
};
/* Told of every parked connect as it ends (settle, or evicted by park),
 * once, with the connect as parked. Must not call back into the queue. */
typedef void (*sockdiag_end_fn)(void *arg, const struct sockdiag_conn *c,
				enum sockdiag_verdict v);

/* How each parked connect ended; the module's output. */
struct sockdiag_pending_stats {
	uint64_t parked;
	uint64_t success; /* seen past the handshake */
	uint64_t refused_or_failed; /* left the kernel's tables while the
				     * process still held it: refused,
				     * reset or timed out by the kernel */
	uint64_t unresolved_timeout; /* still SYN_SENT at the timeout */
	uint64_t unresolved_gone; /* closed before it was seen decided, or
				   * parked without an inode */
	uint64_t evicted; /* pushed out by newer ones (slots full) */
};

struct sockdiag_pending_slot {
	struct sockdiag_conn c;
	int64_t parked_ms;
	uint8_t seen; /* 0, or the state of the batch's matching socket */
	bool other; /* its inode was seen with another destination */
	bool reused; /* its descriptor was made anew (sockdiag_pending_reused) */
	bool held; /* seen out of the tables while its descriptor held it */
};

/* Plain struct, to embed; initialise with sockdiag_pending_init. Owned by
 * one thread (the reader's timer). */
struct sockdiag_pending {
	struct sockdiag_pending_slot slot[SOCKDIAG_PENDING_SLOTS];
	unsigned head, count; /* ring: slot[head] is the oldest */
	int64_t timeout_ms;
	/* sorted (inode, ring position) of the batch, for marking */
	struct {
		uint64_t inode;
		uint16_t pos;
	} index[SOCKDIAG_PENDING_SLOTS];
	unsigned nindex;
	struct sockdiag_pending_stats stats;
	/* the newest record time the caller has read (sockdiag_pending_newest;
	 * INT64_MIN: not told, and a held socket is refused at once) */
	int64_t newest_ms;
	sockdiag_end_fn on_end; /* NULL: the stats only */
	void *on_end_arg;
};

/* What the descriptor of a parked connect holds now (for one that the
 * batch's dump did not show): the same socket, no longer that socket, or
 * cannot tell (no right to read the process's /proc entry). */
enum sockdiag_fd_now {
	SOCKDIAG_FD_SAME,
	SOCKDIAG_FD_GONE,
	SOCKDIAG_FD_UNKNOWN,
};
typedef enum sockdiag_fd_now (*sockdiag_fd_fn)(void *arg,
					       const struct sockdiag_conn *c);

void sockdiag_pending_init(struct sockdiag_pending *q, int64_t timeout_ms);
/* Who is told of each end (see sockdiag_end_fn); NULL: nobody. */
void sockdiag_pending_on_end(struct sockdiag_pending *q, sockdiag_end_fn fn,
			     void *arg);
/* Parks c, taken at now_ms. When every slot is taken the oldest is evicted
 * (counted in evicted and not otherwise). */
void sockdiag_pending_park(struct sockdiag_pending *q,
			   const struct sockdiag_conn *c, int64_t now_ms);
/* Tells the queue that (pid, fd) was made anew at t_ms (a later socket()
 * of it): the connects parked on it whose inode was read at t_ms or later
 * may have read the new socket's, so they end unresolved_gone. O(parked). */
void sockdiag_pending_reused(struct sockdiag_pending *q, pid_t pid, int fd,
			     int64_t t_ms);
/* Tells the queue the newest record time read. Once told, a connect seen
 * held (out of the tables, its descriptor the same inode) ends
 * refused_or_failed only when a record newer than its read_ms was read (so
 * a socket() that made its descriptor anew before the read would have been
 * seen, in the records' order), or SOCKDIAG_PENDING_CONFIRM_MS after it. */
void sockdiag_pending_newest(struct sockdiag_pending *q, int64_t t_ms);
#define SOCKDIAG_PENDING_CONFIRM_MS 1000
unsigned sockdiag_pending_count(const struct sockdiag_pending *q);
/* When the oldest parked connect was parked; INT64_MAX when none is. */
int64_t sockdiag_pending_oldest_ms(const struct sockdiag_pending *q);
/* A batch: begin, mark with every socket the batch's dump returned, then
 * settle. settle ends each parked connect that the marks decide and those
 * past the timeout; fd_now is asked about those the dump did not show.
 * Returns how many were ended. */
void sockdiag_pending_begin(struct sockdiag_pending *q);
void sockdiag_pending_mark(struct sockdiag_pending *q,
			   const struct sockdiag_sock *s);
unsigned sockdiag_pending_settle(struct sockdiag_pending *q, int64_t now_ms,
				 sockdiag_fd_fn fd_now, void *arg);

/* The whole batch against the kernel: nothing when the queue is empty,
 * else one filtered TCP dump (of the families present), the marks, and
 * settle with /proc as fd_now. For a timer off the reader's hot path.
 * 0 or -errno from the dump (the queue is then left as it was). */
int sockdiag_pending_run(struct sockdiag_pending *q, struct sockdiag *sd,
			 int64_t now_ms);
/* /proc/PID/fd/FD against c->t.inode (sockdiag_pending_run's fd_now). */
enum sockdiag_fd_now sockdiag_pending_fd_proc(void *arg,
					      const struct sockdiag_conn *c);

#endif
