/*
 * syscall: every syscall event, by name.
 *
 *   audit_syscall_events_total{syscall,key,success}
 *
 * Rule keys arrive joined by 0x01; the label joins them with commas. A
 * host-wide count: never swept early under memory pressure.
 *
 * Cache (collector.c): per (syscall name, keys, success) the counter,
 * SYSCALL_SCACHE entries; names are libaudit's static strings, compared
 * by address, so an event named by its number is not cached.
 */
#include "exporter/collectors/collector.h"

#include <errno.h>
#include <libaudit.h>
#include <stdlib.h>
#include <string.h>

#define SYSCALL_SCACHE 1024 /* entries, power of two */
#define SYSCALL_CKEY 64 /* longest key list cached */

/* The counter of one (syscall name, keys, success), cached. */
struct syscall_scache {
	uint32_t gen;
	int success;
	const char *sysname;
	uint8_t key_len;
	char key[SYSCALL_CKEY];
	struct fam_series *series;
};

/* folded: success yes, no, unknown */
static const struct coll_fam syscall_fams[] = { {
	.desc = {
		"audit_syscall_events",
		"Audited system call events by system call name, rule keys "
		"(joined by commas) and success.",
		FAM_COUNTER,
		3,
		{ "syscall", "key", "success" },
		0x3,
	},
	.host_wide = true,
	.folded_max = 3,
} };

static int syscall_init(struct coll *c)
{
	c->state = calloc(SYSCALL_SCACHE, sizeof(struct syscall_scache));
	return c->state ? 0 : -ENOMEM;
}

/* The counter's cache slot for this event, or NULL. */
static struct fam_series **syscall_slot(struct coll *c, const struct aev *e,
					const char *keys, size_t klen)
{
	struct syscall_scache *sc;
	uint32_t h;

	if (e->sysname_numeric || klen > SYSCALL_CKEY)
		return NULL;
	h = coll_fnv(COLL_FNV_INIT, &e->sysname, sizeof(e->sysname));
	h = coll_fnv(h, &e->success, sizeof(e->success));
	h = coll_fnv(h, keys, klen);
	sc = (struct syscall_scache *)c->state + (h & (SYSCALL_SCACHE - 1));
	if (sc->gen != c->ctx->gen || sc->sysname != e->sysname ||
	    sc->success != e->success || sc->key_len != klen ||
	    memcmp(sc->key, keys, klen)) {
		sc->gen = c->ctx->gen;
		sc->sysname = e->sysname;
		sc->success = e->success;
		sc->key_len = (uint8_t)klen;
		memcpy(sc->key, keys, klen);
		sc->series = NULL;
	}
	return &sc->series;
}

static void syscall_event(struct coll *c, const struct aev *e)
{
	char keys[AEV_KEY_MAX];
	size_t klen = e->have_key ? e->key_len : 0;

	for (size_t i = 0; i < e->key_len; i++)
		keys[i] = e->key[i] == AUDIT_KEY_SEPARATOR ? ',' : e->key[i];
	{
		struct fam_lv lv[3] = {
			COLL_LV(e->sysname),
			{ keys, klen },
			COLL_LV(e->success == 1	  ? "yes"
				: e->success == 0 ? "no"
						  : ""),
		};

		coll_count(c->ctx, c->fam[0], syscall_slot(c, e, keys, klen),
			   lv, e->t);
	}
}

const struct coll_def coll_syscall = {
	.name = "syscall",
	.on = true,
	.classes = AEV_ALL,
	COLL_FAMS(syscall_fams),
	.init = syscall_init,
	.event = syscall_event,
};
