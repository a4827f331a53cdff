/*
 * watch: who touched the files we watch, which file, how, and whether the
 * kernel let them.
 *
 *   audit_watch_hits_total{key,comm,uid,path,syscall,result}
 *
 * Once per watch key of a keyed event. A rule key belongs to a file watch
 * if the watch function says so (keys of -w rules, from the loaded rules
 * or the kernel's rule list; agg_set_watch). Without one (a replay with no
 * rules), a keyed event with PATH records that is not a network or exec
 * call counts as a watch hit (the decoder's watch_candidate).
 *
 * path is the object the call acted on. The kernel writes one PATH record
 * per name it looked up: an open of an existing file one NORMAL record; a
 * create or unlink the PARENT directory, then the CREATE or DELETE entry;
 * a rename both PARENTs, the old name (DELETE), the new one (CREATE), and
 * a DELETE of a replaced target. So the object is the last record whose
 * nametype is not PARENT (records of old kernels have no nametype: taken
 * as NORMAL): the new name of a rename, the file of an open. An exec is
 * the exception: its second NORMAL record is the ELF interpreter, the
 * program is the first. A record without a name, or an event without a
 * usable record, reads path="". A relative name (openat from the cwd,
 * rename "a" "b") is joined to the CWD record's cwd=, cut at AEV_STR_MAX
 * bytes (a label's longest); the exposition escapes what the bytes hold
 * (metrics/lbl). Decoded once per event, on the stack: no allocation.
 *
 * syscall is the call's name as audit_syscall_events_total writes it.
 * result is success (success=yes), denied (exit -EACCES or -EPERM: the
 * permission check, DAC, MAC or capabilities, refused) or failed (any
 * other failure). key, comm, uid, path and syscall fold to __other__ at
 * the cap; result does not, so there are at most three folded sets.
 */
#include "exporter/collectors/collector.h"

#include <errno.h>
#include <libaudit.h>

#define WATCH_NRESULT 3
static const char *const watch_results[WATCH_NRESULT] = { "success", "denied",
							  "failed" };

static const struct coll_fam watch_fams[] = { {
	.desc = {
		"audit_watch_hits",
		"Events of file-watch rules by rule key, process name, real "
		"uid, file, system call and result.",
		FAM_COUNTER,
		6,
		{ "key", "comm", "uid", "path", "syscall", "result" },
		0x1f,
	},
	.folded_max = WATCH_NRESULT,
} };

static bool watch_is_key(const struct coll *c, const struct aev *e,
			 const char *k, size_t len)
{
	const struct agg_config *cfg = c->ctx->cfg;

	if (cfg->watch_fn)
		return cfg->watch_fn(cfg->watch_arg, k, len);
	return e->watch_candidate;
}

static unsigned watch_result(const struct aev *e)
{
	if (e->have_exit && (e->exit == -EACCES || e->exit == -EPERM))
		return 1;
	if (e->success == 0 || (e->have_exit && e->exit < 0))
		return 2;
	return 0;
}

/* The PATH record of the object acted on (see the top), or -1. */
static int watch_pick(const struct aev *e, struct aev_path *p)
{
	unsigned n = e->npath < AEV_MAX_PATHS ? e->npath : AEV_MAX_PATHS;
	int pick = -1;

	for (unsigned i = 0; i < n; i++) {
		if (aev_path(e, i, p) || !p->have_name || !p->name_len ||
		    (p->nametype.len == 6 &&
		     !memcmp(p->nametype.p, "PARENT", 6)))
			continue;
		pick = (int)i;
		if (e->class == AEV_EXEC)
			break;
	}
	if (pick >= 0 && aev_path(e, (unsigned)pick, p))
		pick = -1;
	return pick;
}

/* The file's name into buf (AEV_STR_MAX bytes): its length. */
static size_t watch_path(const struct aev *e, char *buf)
{
	struct aev_path p;
	size_t n = 0;
	int cwd;

	if (watch_pick(e, &p) < 0)
		return 0;
	if (p.name[0] != '/') {
		cwd = aev_cwd(e, buf, AEV_STR_MAX);
		if (cwd > 0) {
			n = (size_t)cwd;
			if (n < AEV_STR_MAX && buf[n - 1] != '/')
				buf[n++] = '/';
		}
	}
	if (p.name_len > AEV_STR_MAX - n)
		p.name_len = AEV_STR_MAX - n;
	memcpy(buf + n, p.name, p.name_len);
	return n + p.name_len;
}

static void watch_event(struct coll *c, const struct aev *e)
{
	char path[AEV_STR_MAX];
	struct fam_lv lv[6] = {
		{ NULL, 0 },
		{ e->comm, e->comm_len },
		{ e->uid.p ? e->uid.p : "", e->uid.len },
		{ path, 0 },
		COLL_LV(e->sysname),
		COLL_LV(watch_results[watch_result(e)]),
	};
	bool decoded = false;

	for (size_t s = 0, i = 0; e->have_key && i <= e->key_len; i++) {
		if (i < e->key_len && e->key[i] != AUDIT_KEY_SEPARATOR)
			continue;
		if (i > s && watch_is_key(c, e, e->key + s, i - s)) {
			if (!decoded) {
				lv[3].len = watch_path(e, path);
				decoded = true;
			}
			lv[0] = (struct fam_lv){ e->key + s, i - s };
			coll_count(c->ctx, c->fam[0], NULL, lv, e->t);
		}
		s = i + 1;
	}
}

const struct coll_def coll_watch = {
	.name = "watch",
	.on = true,
	.classes = AEV_KEYED,
	COLL_FAMS(watch_fams),
	.event = watch_event,
};
