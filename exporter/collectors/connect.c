/*
 * connect: connect() calls and the destinations they reach.
 *
 *   audit_connect_total{comm,uid,family,result}
 *   audit_connect_unique_destinations{window}        host-wide sketch
 *   audit_process_connect_unique_destinations{comm,uid,window}
 *   and, with --sketch.export-registers, the host sketch's registers
 *
 * result: success, in_progress (EINPROGRESS from a non-blocking socket),
 * error. A connect without a SOCKADDR record (a bad pointer, or a
 * socketcall without its SOCKETCALL record) has family "other". Only
 * inet/inet6 destinations, hashed as (family, port, address) with the
 * sketch key, go into the sketches.
 *
 * Caches (collector.c): per (comm, uid) the twelve connect counters and
 * the process sketch, CONNECT_PCACHE entries (about 550 KiB); and the
 * host-wide sketch, which exists from the start (0, not "no data", on a
 * host that has not connected anywhere yet).
 */
#include "exporter/collectors/collector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/scrape.h"
#include "metrics/hash.h"

#define CONNECT_PCACHE 4096 /* (comm, uid) entries, power of two */
#define CONNECT_CCOMM 32 /* longest comm kept in the cache (kernel: 15) */
#define CONNECT_CUID 12
#define CONNECT_NRESULT 3

enum { CONNECT_TOTAL, CONNECT_HOST, CONNECT_PROC, CONNECT_NFAM };

static const char *const connect_result_labels[CONNECT_NRESULT] = { "success",
								    "in_"
								    "progress",
								    "error" };

/* The series of one (comm, uid), cached. */
struct connect_pcache {
	uint32_t gen; /* 0: empty */
	uint8_t comm_len, uid_len;
	char comm[CONNECT_CCOMM];
	char uid[CONNECT_CUID];
	struct fam_series *connect[COLL_NFAMILY][CONNECT_NRESULT];
	struct fam_series *proc; /* the process's unique-destination sketch */
};

/* folded: family x result; one each for the sketches */
static const struct coll_fam connect_fams[CONNECT_NFAM] = {
	[CONNECT_TOTAL] = {
		.desc = {
			"audit_connect",
			"connect() calls by process name, real uid, address "
			"family (inet, inet6, unix, other) and result (success, "
			"in_progress for EINPROGRESS, error).",
			FAM_COUNTER,
			4,
			{ "comm", "uid", "family", "result" },
			0x3,
		},
		.folded_max = COLL_NFAMILY * CONNECT_NRESULT,
	},
	[CONNECT_HOST] = {
		.desc = {
			"audit_connect_unique_destinations",
			"Estimated number of distinct inet/inet6 destinations "
			"(address, port) connected to in the window.",
			FAM_WINDOWED,
			0,
			{ NULL },
			0,
		},
		.folded_max = 1,
		.host_sketch = true,
	},
	[CONNECT_PROC] = {
		.desc = {
			"audit_process_connect_unique_destinations",
			"Estimated number of distinct inet/inet6 destinations "
			"(address, port) connected to in the window, by process "
			"name and real uid.",
			FAM_WINDOWED,
			2,
			{ "comm", "uid" },
			0x3,
		},
		.folded_max = 1,
	},
};

/* The state, one allocation: the (comm, uid) cache and the host series. */
struct connect {
	struct fam_series *host; /* the host-wide sketch series, if gen_host */
	uint32_t gen_host;
	struct connect_pcache pcache[CONNECT_PCACHE];
};

static int connect_init(struct coll *c)
{
	c->state = calloc(1, sizeof(struct connect));
	if (!c->state || !fam_get(c->fam[CONNECT_HOST], NULL, 0))
		return -ENOMEM;
	return 0;
}

/* The cache entry of this event's (comm, uid), claimed for it if it held
 * another or an older generation; NULL when they are too long to cache. */
static struct connect_pcache *connect_pentry(struct coll *c,
					     const struct aev *e)
{
	struct connect *k = c->state;
	size_t ul = e->uid.len;
	struct connect_pcache *pc;
	uint32_t h;

	if (e->comm_len > CONNECT_CCOMM || ul > CONNECT_CUID)
		return NULL;
	h = coll_fnv(COLL_FNV_INIT, e->comm, e->comm_len);
	h = coll_fnv(h, "\xff", 1);
	h = coll_fnv(h, e->uid.p, ul);
	pc = &k->pcache[h & (CONNECT_PCACHE - 1)];
	if (pc->gen == c->ctx->gen && pc->comm_len == e->comm_len &&
	    pc->uid_len == ul && !memcmp(pc->comm, e->comm, e->comm_len) &&
	    (ul == 0 || !memcmp(pc->uid, e->uid.p, ul)))
		return pc;
	memset(pc, 0, sizeof(*pc));
	pc->gen = c->ctx->gen;
	pc->comm_len = (uint8_t)e->comm_len;
	pc->uid_len = (uint8_t)ul;
	memcpy(pc->comm, e->comm, e->comm_len);
	if (ul)
		memcpy(pc->uid, e->uid.p, ul);
	return pc;
}

static void connect_unique(struct coll *c, const struct aev *e,
			   const struct fam_lv *who, struct connect_pcache *pc)
{
	struct connect *k = c->state;
	uint8_t buf[19];
	size_t n = 3;
	uint64_t h;
	struct fam_series *s;

	buf[0] = (uint8_t)e->sa.family;
	buf[1] = (uint8_t)(e->sa.port >> 8);
	buf[2] = (uint8_t)e->sa.port;
	memcpy(buf + 3, e->sa.addr, e->sa.family == AREC_AF_INET ? 4 : 16);
	n += e->sa.family == AREC_AF_INET ? 4 : 16;
	h = hash_siphash24(&c->ctx->cfg->sketch_key, buf, n);
	if (k->gen_host != c->ctx->gen) {
		k->host = NULL;
		k->gen_host = c->ctx->gen;
	}
	s = coll_cached(c->fam[CONNECT_HOST], &k->host, NULL, e->t);
	coll_add_item(c->ctx, c->fam[CONNECT_HOST], s, h, e->t);
	s = coll_cached(c->fam[CONNECT_PROC], pc ? &pc->proc : NULL, who, e->t);
	coll_add_item(c->ctx, c->fam[CONNECT_PROC], s, h, e->t);
}

/* Index into connect_result_labels. */
static unsigned connect_result(const struct aev *e)
{
	if (e->success == 1)
		return 0;
	if (e->have_exit && e->exit == -115) /* EINPROGRESS */
		return 1;
	return 2;
}

static void connect_event(struct coll *c, const struct aev *e)
{
	struct fam_lv comm = { e->comm, e->comm_len };
	struct fam_lv uid = { e->uid.p ? e->uid.p : "", e->uid.len };
	enum arec_family af = e->have_sa ? e->sa.family : AREC_AF_OTHER;
	unsigned fi = coll_family(af), ri = connect_result(e);
	struct fam_lv lv[4] = {
		comm,
		uid,
		COLL_LV(coll_family_labels[fi]),
		COLL_LV(connect_result_labels[ri]),
	};
	struct connect_pcache *pc = connect_pentry(c, e);

	coll_count(c->ctx, c->fam[CONNECT_TOTAL],
		   pc ? &pc->connect[fi][ri] : NULL, lv, e->t);
	if (af == AREC_AF_INET || af == AREC_AF_INET6) {
		struct fam_lv who[2] = { comm, uid };

		connect_unique(c, e, who, pc);
	}
}

static int connect_write(struct scrape *sc, struct fam *const *fam)
{
	int rc = 0;

	for (unsigned i = 0; i < CONNECT_NFAM && !rc; i++)
		rc = scrape_family(sc, fam[i]);
	if (!rc)
		rc = scrape_registers(sc, fam[CONNECT_HOST]);
	return rc;
}

const struct coll_def coll_connect = {
	.name = "connect",
	.on = true,
	.classes = AEV_BIT(AEV_CONNECT),
	COLL_FAMS(connect_fams),
	.init = connect_init,
	.event = connect_event,
	.write = connect_write,
};
