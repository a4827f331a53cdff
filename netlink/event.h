/* event: one assembled audit event decoded once into a typed event. See
 * event.c. */
#ifndef AE_NETLINK_EVENT_H
#define AE_NETLINK_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/arec.h"
#include "netlink/asm.h"
#include "netlink/scope.h"
#include "netlink/socktab.h"

#define AEV_STR_MAX 256 /* decoded comm and exe kept (a label's longest) */
#define AEV_KEY_MAX 512 /* decoded key list (kernel limit is 256) */
#define AEV_MAX_PATHS 8 /* PATH records kept for aev_path */

/* What the system call is, after socketcall(2) is looked through. */
enum aev_class {
	AEV_OTHER,
	AEV_CONNECT,
	AEV_BIND,
	AEV_LISTEN,
	AEV_EXEC, /* execve, execveat */
	AEV_SOCKET, /* socket() */
	AEV_NCLASS,
};
/* Bits of aev.classes: the class's own bit, and AEV_KEYED for an event
 * with rule keys, so that a consumer filters with one AND. */
#define AEV_BIT(c) (1u << (c))
#define AEV_KEYED (1u << AEV_NCLASS)
#define AEV_ALL (AEV_KEYED | (AEV_KEYED - 1))

/* A view of bytes in the event's records (not NUL-terminated). */
struct aev_view {
	const char *p;
	size_t len;
};

/* What the records alone cannot say about a socket call, filled after
 * decoding by the dispatcher's enrich stage (exporter/enrich.c) from what
 * earlier events said (socket(), bind()) and, live, from the kernel
 * (sock_diag, /proc). aev_decode clears it: zero is "not known". */
struct aev_net {
	/* connect, bind, listen: the protocol of the socket (by pid, fd) */
	enum socktab_proto proto;
	/* connect: the class of the destination (SCOPE_UNKNOWN: not inet) */
	enum scope scope;
	/* bind, listen: the socket's local address and port */
	bool have_local;
	bool local_kernel; /* read from the kernel, not the records */
	enum arec_family lfamily;
	uint8_t laddr[16]; /* network order, inet in the first 4 bytes */
	uint16_t lport;
	/* the process's network namespace (inode of /proc/PID/ns/net), 0
	 * when not known; netns_other: known and not the exporter's */
	uint64_t netns;
	bool netns_other;
};

/* One syscall event. Views point into the asm_event's records and the
 * buffers into the struct: valid while the event is (the asm_event_cb
 * call). Scalars first: aev_decode clears them and leaves the string
 * buffers, which carry their own lengths. */
struct aev {
	int64_t t; /* the event's time (ms); the caller may move it */
	uint64_t arch; /* AUDIT_ARCH_* */
	int64_t nr; /* syscall number */
	/* libaudit's name (a static string: compare by address), or the
	 * number in nrbuf when libaudit has none (sysname_numeric) */
	const char *sysname;
	bool sysname_numeric;
	enum aev_class class;
	unsigned classes; /* AEV_BIT(class) | AEV_KEYED if keyed */
	bool via_socketcall; /* i386 socketcall(2): arguments in sc[] */
	int success; /* -1 unknown, 0 no, 1 yes */
	int64_t exit;
	bool have_exit;
	uint64_t a[4];
	uint64_t pid;
	/* as the record writes them (decimal; uids may be 4294967295) */
	struct aev_view ppid, uid, auid, euid;
	/* the socket's fd (a0, or socketcall's first argument); unknown
	 * for a socketcall without its SOCKETCALL record (older kernels) */
	uint64_t fd;
	bool have_fd;
	bool have_sa;
	bool have_key;
	uint64_t sc[6]; /* SOCKETCALL arguments */
	unsigned sc_n;
	unsigned npath; /* PATH records */
	/* the first AEV_MAX_PATHS of them, decoded on demand (aev_path) */
	const struct asm_record *path[AEV_MAX_PATHS];
	const struct asm_record *cwd; /* the CWD record, if any (aev_cwd) */
	/* a keyed file-watch event when the rules are not known: PATH
	 * records and no network or exec call */
	bool watch_candidate;
	size_t comm_len, exe_len, key_len;
	struct aev_net net; /* the enrich stage's (exporter/enrich.c) */
	/* not cleared */
	struct arec_sockaddr sa; /* SOCKADDR's saddr, if have_sa */
	char comm[AEV_STR_MAX];
	char exe[AEV_STR_MAX];
	char key[AEV_KEY_MAX]; /* keys joined by AUDIT_KEY_SEPARATOR */
	char nrbuf[24];
};

/* One PATH record: the file's name (unescaped, truncated to the buffer)
 * and its nametype (NORMAL, PARENT, CREATE, DELETE, UNKNOWN...). */
struct aev_path {
	size_t name_len;
	bool have_name;
	struct aev_view nametype; /* into the record; empty if absent */
	char name[AEV_STR_MAX];
};

/* What decoding could not use, counted (the exporter's parse-error and
 * skip reasons). */
struct aev_stats {
	uint64_t arec[AREC_NERR]; /* by -rc: numbers, saddr values */
	uint64_t tokens; /* tokens that are not name=value */
	uint64_t unknown_arch; /* an arch libaudit does not know */
	uint64_t no_syscall; /* syscall parts without their SYSCALL record */
};

struct aev_decoder;

/* A decoder with its syscall-name cache; NULL with errno ENOMEM. */
struct aev_decoder *aev_decoder_new(void);
void aev_decoder_free(struct aev_decoder *d);
/* Decodes ev into *e: true for a syscall event, false for an event
 * without a SYSCALL record (counted as no_syscall if it had syscall
 * parts). Does not allocate. Reader thread. */
bool aev_decode(struct aev_decoder *d, const struct asm_event *ev,
		struct aev *e);
const struct aev_stats *aev_stats(const struct aev_decoder *d);
/* Decodes e's PATH record i (i < e->npath and < AEV_MAX_PATHS) into *p,
 * while e is valid: names cost only the collectors that read them.
 * 0, or -ENOENT for no such record. */
int aev_path(const struct aev *e, unsigned i, struct aev_path *p);
/* Decodes e's CWD record's cwd= (unescaped, truncated to cap bytes) into
 * buf, while e is valid. Its length, or -ENOENT for no CWD record or no
 * cwd field. Does not allocate. */
int aev_cwd(const struct aev *e, char *buf, size_t cap);
/* The id a view holds (a uid or auid as the record writes it, decimal),
 * or UINT32_MAX (unset) when it is absent or not an id. */
uint32_t aev_id(struct aev_view v);

#endif
