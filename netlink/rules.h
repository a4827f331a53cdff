/* rules: audit rules in auditctl syntax, built with libaudit, loaded into
 * the kernel and removed again exactly. See rules.c. */
#ifndef AE_NETLINK_RULES_H
#define AE_NETLINK_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/audit.h>

struct nl_audit;
struct rules_set;
struct rules_keyset;
struct rules_loader;

/* Key of the rule that keeps the exporter's own system calls out of the
 * audit stream: never,exit -S all -F pid=<self> -F key=RULES_SELF_KEY. */
#define RULES_SELF_KEY "audit_exporter_self"
/* Bytes of the note the self rule may carry as a second key. */
#define RULES_NOTE_MAX 128

/* Why parsing or loading failed. origin is the file name (or the origin
 * given to rules_parse_text), line is 1-based, 0 when the error is not about
 * one line; msg is the reason alone, e.g. "unknown syscall 'conect' for
 * arch b64". */
struct rules_error {
	char origin[256];
	unsigned line;
	char msg[256];
};

/* Formats err as "origin: line N: msg" ("origin: msg" for line 0) into buf
 * of len bytes (truncating); returns buf. */
const char *rules_error_str(const struct rules_error *err, char *buf,
			    size_t len);

/* --- parsing: pure, no kernel ------------------------------------------ */

/* Parses len bytes of rules text (need not be NUL-terminated). Returns a new
 * set owned by the caller, or NULL with errno EINVAL (err says where and
 * why), EFBIG (text over 4 MiB) or ENOMEM. err may be NULL. Not
 * thread-safe: libaudit keeps per-rule state in process globals. */
struct rules_set *rules_parse_text(const char *text, size_t len,
				   const char *origin, struct rules_error *err);
/* Reads path and parses it as above; NULL with errno from open/read too
 * (err->line 0 then). */
struct rules_set *rules_parse_file(const char *path, struct rules_error *err);
void rules_set_free(struct rules_set *rs);

/* Number of rules (status settings and -D are not rules). */
size_t rules_count(const struct rules_set *rs);
/* Rule i < rules_count() in file order; *size gets its byte size, *line its
 * line (either may be NULL). The rule is owned by rs. */
const struct audit_rule_data *rules_get(const struct rules_set *rs, size_t i,
					size_t *size, unsigned *line);
/* Lines of the text left out because their -F arch=b32 or arch=b64 names
 * a system call table this machine does not have (b32 on ppc64le, b64 on
 * a 32-bit machine): such a rule could match nothing here, and a rules
 * file shared by a fleet of mixed machines should not fail on it. The
 * loader warns about each when it loads the set. */
size_t rules_skipped_count(const struct rules_set *rs);
/* Line i < rules_skipped_count(): its number, and the arch it named ("b32"
 * or "b64", owned by rs). */
const char *rules_skipped_get(const struct rules_set *rs, size_t i,
			      unsigned *line);
/* True if the text had a -D line. */
bool rules_delete_all(const struct rules_set *rs);
/* Copies the status settings (-b -r -f -e --backlog_wait_time) into st and
 * returns st->mask (AUDIT_STATUS_* bits), 0 when there are none. The parser
 * never applies them. */
uint32_t rules_status(const struct rules_set *rs, struct audit_status *st);
/* True if key[0..len) is a key of a file-watch rule of rs (-w, or -F path=
 * or -F dir=). key need not be NUL-terminated. */
bool rules_is_watch_key(const struct rules_set *rs, const char *key,
			size_t len);
/* The keys of rs's file-watch rules, owned by rs. */
const struct rules_keyset *rules_watch_keys(const struct rules_set *rs);

/* --- key sets ----------------------------------------------------------- */

/* Lists the kernel's rules and returns in *out (caller frees) the keys of
 * its file-watch rules (AUDIT_WATCH or AUDIT_DIR field). Returns 0 or a
 * negative errno from the kernel, -ENOMEM. */
int rules_kernel_watch_keys(struct nl_audit *ctl, struct rules_keyset **out);
/* True if key[0..len) is in ks (ks may be NULL). No allocation; a key set
 * never changes after it is built, so any thread may ask. */
bool rules_keyset_has(const struct rules_keyset *ks, const char *key,
		      size_t len);
size_t rules_keyset_count(const struct rules_keyset *ks);
/* Key i < rules_keyset_count() in byte order, NUL-terminated, owned by ks. */
const char *rules_keyset_get(const struct rules_keyset *ks, size_t i);
void rules_keyset_free(struct rules_keyset *ks);

/* --- loading: kernel ---------------------------------------------------- */

/* Warnings while loading (a watch skipped, a rule left to its owner, a dead
 * instance's rules taken over); line is 0 when not about one line. */
typedef void (*rules_warn_cb)(void *arg, const char *origin, unsigned line,
			      const char *msg);

/* A loader over a control socket (NL_CONTROL) that stays owned by the
 * caller and must outlive the loader. NULL with errno ENOMEM. A loader and
 * its socket are used from one thread at a time. */
struct rules_loader *rules_loader_new(struct nl_audit *ctl);
void rules_loader_set_warn(struct rules_loader *ld, rules_warn_cb cb,
			   void *arg);
/* Loads rs: -D (save and delete the kernel's rules), the self-exclusion rule
 * for self_pid, then rs's rules in order. Returns 0, or a negative errno
 * with everything rolled back and err filled (err may be NULL); -EALREADY
 * if ld already holds a load. rs may be freed afterwards. */
int rules_load(struct rules_loader *ld, const struct rules_set *rs,
	       uint32_t self_pid, struct rules_error *err);
/* Replaces the loaded rules by rs, keeping the self-exclusion rule. Returns
 * 0, or a negative errno with the previous rules back in the kernel and err
 * saying why; -EINVAL if nothing is loaded. */
int rules_reload(struct rules_loader *ld, const struct rules_set *rs,
		 struct rules_error *err);
/* Deletes what ld added (reverse order, self-exclusion rule last) and
 * re-adds what -D deleted. Returns 0 or the first negative errno (it goes
 * on after errors). Idempotent. */
int rules_unload(struct rules_loader *ld);
/* Number of rules ld added and will delete, the self-exclusion rule
 * included. */
size_t rules_loader_added(const struct rules_loader *ld);
/* A note the self-exclusion rule carries in the kernel as a second key,
 * surviving the exporter if it is killed (the exporter keeps its original
 * audit settings there). Set before rules_load; a stale self rule of a dead
 * exporter found at load time passes its note on instead. 0, -EINVAL (too
 * long, or holds 0x01) or -EALREADY (already loaded). */
int rules_loader_set_note(struct rules_loader *ld, const char *note);
/* The note in effect after rules_load (ours or a dead exporter's). */
const char *rules_loader_note(const struct rules_loader *ld);
/* Frees ld without touching the kernel (call rules_unload first). */
void rules_loader_free(struct rules_loader *ld);

#endif
