/*
 * watch: who touched the files we watch.
 *
 *   audit_watch_hits_total{key,comm,uid}
 *
 * Once per watch key of a keyed event. A rule key belongs to a file watch
 * if the watch function says so (keys of -w rules, from the loaded rules
 * or the kernel's rule list; agg_set_watch). Without one (a replay with no
 * rules), a keyed event with PATH records that is not a network or exec
 * call counts as a watch hit (the decoder's watch_candidate).
 */
#include "exporter/collectors/collector.h"

#include <libaudit.h>

static const struct coll_fam watch_fams[] = { {
	.desc = {
		"audit_watch_hits",
		"Events of file-watch rules by rule key, process name and "
		"real uid.",
		FAM_COUNTER,
		3,
		{ "key", "comm", "uid" },
		0x7,
	},
	.folded_max = 1,
} };

static bool watch_is_key(const struct coll *c, const struct aev *e,
			 const char *k, size_t len)
{
	const struct agg_config *cfg = c->ctx->cfg;

	if (cfg->watch_fn)
		return cfg->watch_fn(cfg->watch_arg, k, len);
	return e->watch_candidate;
}

static void watch_event(struct coll *c, const struct aev *e)
{
	struct fam_lv comm = { e->comm, e->comm_len };
	struct fam_lv uid = { e->uid.p ? e->uid.p : "", e->uid.len };

	for (size_t s = 0, i = 0; e->have_key && i <= e->key_len; i++) {
		if (i < e->key_len && e->key[i] != AUDIT_KEY_SEPARATOR)
			continue;
		if (i > s && watch_is_key(c, e, e->key + s, i - s)) {
			struct fam_lv lv[3] = { { e->key + s, i - s },
						comm,
						uid };

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
