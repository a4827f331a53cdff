/* kaudit: taking the kernel's audit state and giving it back. See kaudit.c. */
#ifndef AE_NETLINK_KAUDIT_H
#define AE_NETLINK_KAUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/nl.h"

struct kaudit;
struct rules_set;

enum kaudit_mode {
	KAUDIT_UNICAST, /* become the audit daemon */
	KAUDIT_MULTICAST, /* read beside the audit daemon */
};

enum kaudit_level { KAUDIT_INFO, KAUDIT_WARN, KAUDIT_ERROR };

/* One key and value of a log message; unused entries have key NULL. */
struct kaudit_kv {
	const char *key, *value;
};
#define KAUDIT_KV_MAX 2

/* Where kaudit's messages go: msg, then up to KAUDIT_KV_MAX pairs in kv.
 * Called from the thread that called into kaudit. */
typedef void (*kaudit_log_fn)(void *arg, enum kaudit_level level,
			      const char *msg,
			      const struct kaudit_kv kv[KAUDIT_KV_MAX]);

struct kaudit_opts {
	enum kaudit_mode mode;
	int rcvbuf; /* event socket receive buffer, bytes; 0 the default */
	/* unicast: what is set where the rules file says nothing */
	uint32_t backlog_limit;
	int64_t backlog_wait_ms;
	kaudit_log_fn log; /* NULL: messages are dropped */
	void *log_arg;
};

/* The kernel's audit status as last polled, with the counters that the
 * kernel may reset made monotonic. */
struct kaudit_snap {
	bool valid; /* a poll has succeeded */
	int error; /* last poll's -errno, 0 when it worked */
	uint32_t enabled, failure, pid, rate_limit;
	uint32_t backlog, backlog_limit;
	uint32_t backlog_wait_time; /* jiffies, as configured */
	uint64_t lost_total; /* across resets of the kernel counter */
	uint64_t wait_actual_total; /* jiffies processes waited, same */
	unsigned hz; /* kernel tick rate, for seconds */
};

/* Takes the kernel side for a netlink source: checks for another audit
 * daemon (unicast refuses to take its place and says who it is), loads the
 * rule excluding the exporter itself and rs (NULL: no others), sets
 * enabled/backlog (unicast) and registers
 * this process as the audit daemon (unicast) or joins the multicast group.
 * Records that arrive while registering go to cb. On failure everything
 * done is undone, NULL is returned and err says why in one sentence.
 * opts is copied. */
struct kaudit *kaudit_start(const struct kaudit_opts *opts,
			    const struct rules_set *rs, nl_record_cb cb,
			    void *arg, char *err, size_t errlen);
/* The event socket to receive records from. */
struct nl_audit *kaudit_events(struct kaudit *ka);
/* The control socket (status, rule lists); owned by ka. */
struct nl_audit *kaudit_control(struct kaudit *ka);
/* Polls AUDIT_GET into snap (keeping its counters monotonic across kernel
 * resets), notices another daemon taking over or audit being disabled,
 * logs it once, and registers again when the daemon role is free. Returns
 * 1 while the source delivers (registered or subscribed, and audit
 * enabled), 0 when not, or a negative errno when the status could not be
 * read (a control socket closed under us is reopened first). cb gets records that
 * arrive while re-registering. */
int kaudit_poll(struct kaudit *ka, struct kaudit_snap *snap, nl_record_cb cb,
		void *arg);
/* The event socket failed under us (closed, broken): opens a fresh one and
 * takes the daemon role again if it is free (unicast) or rejoins the group
 * (multicast). cb gets records that arrive meanwhile. 0 or -errno; the
 * next kaudit_poll tries again either way. */
int kaudit_recover(struct kaudit *ka, nl_record_cb cb, void *arg);
/* Replaces the loaded rules (SIGHUP) and, as the audit daemon, applies the
 * status settings of the new file (the defaults where it has none). 0, or
 * -errno with the old rules kept and err saying why. */
int kaudit_reload(struct kaudit *ka, const struct rules_set *rs, char *err,
		  size_t errlen);
/* Gives everything back: rules it added removed, status fields it changed
 * restored (unless someone changed them since), daemon role released. */
void kaudit_stop(struct kaudit *ka);
/* The kernel's tick rate (CONFIG_HZ), for jiffies; 250 if unknown. */
unsigned kaudit_hz(void);

#endif
