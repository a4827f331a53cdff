/* nl: the kernel's NETLINK_AUDIT socket, through libmnl. See nl.c. */
#ifndef AE_NETLINK_NL_H
#define AE_NETLINK_NL_H

#include <stddef.h>
#include <stdint.h>
#include <linux/audit.h>

struct nl_audit;

enum nl_mode {
	NL_CONTROL, /* requests and replies only: status, rules */
	NL_UNICAST, /* the audit daemon's event socket */
	NL_MULTICAST, /* read-only member of AUDIT_NLGRP_READLOG */
};

/* One received audit record: the netlink type and the text payload, which
 * is not NUL-terminated and points into the socket's receive buffer (valid
 * until the next receive call). */
typedef void (*nl_record_cb)(void *arg, uint16_t type, const char *text,
			     size_t len);

struct nl_stats {
	uint64_t records; /* audit records handed to the callback */
	uint64_t overruns; /* ENOBUFS: the socket buffer overflowed */
	uint64_t truncated; /* datagrams larger than a receive slot */
	uint64_t malformed; /* datagrams shorter than a netlink header */
};

/* Opens a socket; rcvbuf > 0 asks for that receive buffer (SO_RCVBUFFORCE,
 * falling back to SO_RCVBUF). Returns NULL with errno set. */
struct nl_audit *nl_audit_open(enum nl_mode mode, int rcvbuf);
void nl_audit_close(struct nl_audit *nl);
/* Replaces the underlying socket by a fresh one of the same kind (the
 * handle stays valid: others may hold it). For a socket that was closed or
 * broken under us. 0 or -errno (the handle is then unusable until a later
 * reopen succeeds). */
int nl_audit_reopen(struct nl_audit *nl);
int nl_audit_fd(const struct nl_audit *nl);
const struct nl_stats *nl_audit_stats(const struct nl_audit *nl);

/* Control requests. Each returns 0 or a negative errno from the kernel's
 * acknowledgement (-EPERM without CAP_AUDIT_CONTROL, for instance). */
int nl_audit_get_status(struct nl_audit *nl, struct audit_status *st);
int nl_audit_set_status(struct nl_audit *nl, const struct audit_status *st);
int nl_audit_rule_add(struct nl_audit *nl, const struct audit_rule_data *r,
		      size_t size);
int nl_audit_rule_del(struct nl_audit *nl, const struct audit_rule_data *r,
		      size_t size);
/* Calls cb once per rule the kernel holds (a copy valid during the call). */
typedef void (*nl_rule_cb)(void *arg, const struct audit_rule_data *r,
			   size_t size);
int nl_audit_list_rules(struct nl_audit *nl, nl_rule_cb cb, void *arg);

/* While a request on control socket ctl awaits its reply, drain(arg) is
 * called each time event socket ev has records queued; it should receive
 * them (nl_audit_recv), so that a thread serving both sockets keeps reading
 * events however long the kernel takes to reply. A drain returns < 0 to be
 * left alone for the rest of that wait (its socket is broken), and must not
 * make requests on ctl. A NULL drain turns it off. */
typedef int (*nl_drain_fn)(void *arg);
void nl_audit_set_drain(struct nl_audit *ctl, struct nl_audit *ev,
			nl_drain_fn drain, void *arg);

/* Registers this process as the audit daemon through the unicast socket.
 * Records that arrive before the kernel's acknowledgement are passed to cb,
 * not lost. Returns 0, -EEXIST if another live daemon holds the pid, or
 * another negative errno. pid 0 unregisters. */
int nl_audit_set_pid(struct nl_audit *ev, uint32_t pid, nl_record_cb cb,
		     void *arg);

/* Receives every record queued on an event socket without blocking, in
 * batches, and passes each to cb. Returns the number of records, 0 when
 * nothing was queued, or a negative errno other than EAGAIN/ENOBUFS (those
 * are absorbed: ENOBUFS is counted in the stats). */
int nl_audit_recv(struct nl_audit *nl, nl_record_cb cb, void *arg);

#endif
