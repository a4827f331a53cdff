/* kaudit: the exporter's side of kernel audit state. See kaudit.c. */
#ifndef AE_EXPORTER_KAUDIT_H
#define AE_EXPORTER_KAUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "exporter/cfg.h"
#include "netlink/nl.h"

struct kaudit;
struct ksnap;
struct rules_set;

/* Takes the kernel side for a netlink source: checks for another audit
 * daemon (unicast refuses to take its place and says who it is), loads the
 * rule excluding the exporter itself and rs (NULL: no others), sets
 * enabled/backlog (unicast) and registers
 * this process as the audit daemon (unicast) or joins the multicast group.
 * Records that arrive while registering go to cb. On failure everything
 * done is undone, NULL is returned and err says why in one sentence. */
struct kaudit *kaudit_start(const struct cfg *cfg, const struct rules_set *rs,
			    nl_record_cb cb, void *arg, char *err,
			    size_t errlen);
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
int kaudit_poll(struct kaudit *ka, struct ksnap *snap, nl_record_cb cb,
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
