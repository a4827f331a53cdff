/*
 * records: every record, by type.
 *
 *   audit_records_total{type}
 *
 * Consumes records, not events: each as it arrives, named by libaudit (a
 * text source's own name when libaudit does not know the type, else
 * UNKNOWN[n]; counted as skipped, unknown_record_type). A host-wide
 * count: never swept early under memory pressure. The series of the
 * first RECORDS_TYPE_CACHE type numbers are cached until a sweep.
 */
#include "exporter/collectors/collector.h"

#include <errno.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORDS_TYPE_CACHE 4096 /* record types with a cached series */

static const struct coll_fam records_fams[] = { {
	.desc = {
		"audit_records",
		"Audit records received, by record type.",
		FAM_COUNTER,
		1,
		{ "type" },
		0,
	},
	.host_wide = true,
	.folded_max = 1,
} };

static int records_init(struct coll *c)
{
	c->state = calloc(RECORDS_TYPE_CACHE, sizeof(struct fam_series *));
	return c->state ? 0 : -ENOMEM;
}

static void records_sweep(struct coll *c)
{
	memset(c->state, 0, RECORDS_TYPE_CACHE * sizeof(struct fam_series *));
}

static void records_record(struct coll *c, const struct arec_hdr *h,
			   int64_t now)
{
	struct fam_series **cache = c->state;
	struct fam *f = c->fam[0];
	char buf[32];
	struct fam_lv lv;
	struct fam_series *s;
	int type = h->type;
	bool cacheable = type > 0 && type < RECORDS_TYPE_CACHE;

	if (cacheable && cache[type]) {
		fam_hit(f, cache[type], now);
		fam_inc(cache[type], 1);
		return;
	}
	if (type > 0 && (lv.p = audit_msg_type_to_name(type)) != NULL) {
		lv.len = strlen(lv.p);
	} else {
		c->ctx->skipped[AGG_SKIP_UNKNOWN_TYPE]++;
		if (h->type_name && type == 0) {
			lv.p = h->type_name;
			lv.len = h->type_name_len;
		} else {
			lv.len = (size_t)snprintf(buf, sizeof(buf),
						  "UNKNOWN[%d]", type);
			lv.p = buf;
		}
	}
	s = fam_get(f, &lv, now);
	if (!s) {
		c->ctx->skipped[AGG_SKIP_NO_MEMORY]++;
		return;
	}
	fam_inc(s, 1);
	if (cacheable)
		cache[type] = s;
}

const struct coll_def coll_records = {
	.name = "records",
	.on = true,
	COLL_FAMS(records_fams),
	.init = records_init,
	.record = records_record,
	.sweep = records_sweep,
};
