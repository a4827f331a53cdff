/*
 * connect: connect() calls and the destinations they reach.
 *
 *   audit_connect_total{comm,uid,auid,family,protocol,scope,result}
 *   audit_connect_unique_destinations{protocol,scope,window}    host-wide
 *   audit_process_connect_unique_destinations{comm,exe,uid,auid,protocol,
 *                                              scope,window}
 *   audit_user_connect_unique_destinations{uid,auid,protocol,scope,window}
 *   and, with --sketch.export-registers, the host sketches' registers
 *
 * protocol: what the socket's earlier socket() asked for (the enrich
 * stage's e->net.proto: tcp, udp, other; unknown when no socket() of that
 * (pid, fd) was seen, e.g. a socket older than the exporter). scope: the
 * destination's class (netlink/scope, "unknown" for non-inet). result:
 * success, in_progress (EINPROGRESS from a non-blocking socket), refused
 * (ECONNREFUSED), error. A connect without a SOCKADDR record (a bad
 * pointer, or a socketcall without its SOCKETCALL record) has family
 * "other". uid and auid are numeric as the record writes them (an unset
 * auid is 4294967295).
 *
 * Sketches. Only inet/inet6 destinations go into them, one item hash for
 * all three families: the sketch key over (protocol, family, port,
 * address) and, for a loopback destination of a process in another
 * network namespace, that namespace's inode (e->net.netns), so that its
 * 127.0.0.1:80 is not the host's. Scope is a function of the address, so
 * the (protocol, scope) series partition the items: sums over scope and
 * protocol are exact. The per-user sketches exist because distinct counts
 * do not add up: the sum of per-process counts overcounts a destination
 * that two processes of one user reached.
 *
 * Folding. Beyond the cap, audit_connect_total folds comm, uid, auid,
 * protocol and scope (the kept family x result is the folded sets' worst
 * case the budget reserves: a folded set costs the budget its worst case,
 * about 6.7 KiB with eight labels, so folding fewer labels would reserve
 * 384 of them); the windowed families fold every label (a folded sketch's
 * reserve is a whole sketch at its worst). Sums over what is kept stay
 * right.
 *
 * Caches (collector.c): a direct-mapped cache by the event's whole label
 * tuple but the result (comm, exe, uid, auid, family, protocol, scope)
 * holds the four result counters, the process sketch and the user
 * sketch, CONNECT_PCACHE entries of about 200 bytes; an exe longer than
 * CONNECT_CEXE is not cached (looked up). The host series, one per
 * (protocol, scope), sit in a table of their own.
 */
#include "exporter/collectors/collector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/scrape.h"
#include "metrics/hash.h"

#define CONNECT_PCACHE 4096 /* label tuples, power of two */
#define CONNECT_CCOMM 32 /* longest comm kept in the cache (kernel: 15) */
#define CONNECT_CEXE 96 /* longest exe kept in the cache */
#define CONNECT_CUID 12
#define CONNECT_NRESULT 4

enum { CONNECT_TOTAL, CONNECT_HOST, CONNECT_PROC, CONNECT_USER, CONNECT_NFAM };

static const char *const connect_result_labels[CONNECT_NRESULT] = {
	"success", "in_progress", "refused", "error"
};

/* The series of one label tuple, cached. */
struct connect_pcache {
	uint32_t gen; /* 0: empty */
	uint8_t comm_len, exe_len, uid_len, auid_len;
	uint8_t family, proto, scope;
	char comm[CONNECT_CCOMM];
	char exe[CONNECT_CEXE];
	char uid[CONNECT_CUID];
	char auid[CONNECT_CUID];
	struct fam_series *connect[CONNECT_NRESULT];
	struct fam_series *proc; /* the process's unique-destination sketch */
	struct fam_series *user; /* the (uid, auid)'s */
};

static const struct coll_fam connect_fams[CONNECT_NFAM] = {
	[CONNECT_TOTAL] = {
		.desc = {
			"audit_connect",
			"connect() calls by process name, real uid, login uid "
			"(auid), address family (inet, inet6, unix, other), "
			"protocol of the socket (tcp, udp, other, unknown), "
			"scope of the destination and result (success, "
			"in_progress for EINPROGRESS, refused for "
			"ECONNREFUSED, error).",
			FAM_COUNTER,
			7,
			{ "comm", "uid", "auid", "family", "protocol", "scope",
			  "result" },
			0x37,
		},
		.folded_max = COLL_NFAMILY * CONNECT_NRESULT,
	},
	[CONNECT_HOST] = {
		.desc = {
			"audit_connect_unique_destinations",
			"Estimated number of distinct inet/inet6 destinations "
			"(protocol, address, port) connected to in the window, "
			"by protocol and scope; the scopes partition them, so "
			"sums over scope are exact.",
			FAM_WINDOWED,
			2,
			{ "protocol", "scope" },
			0,
		},
		.folded_max = 1,
		.host_sketch = true,
		.host_wide = true,
	},
	[CONNECT_PROC] = {
		.desc = {
			"audit_process_connect_unique_destinations",
			"Estimated number of distinct inet/inet6 destinations "
			"(protocol, address, port) connected to in the window, "
			"by process name, executable, real uid, login uid, "
			"protocol and scope.",
			FAM_WINDOWED,
			6,
			{ "comm", "exe", "uid", "auid", "protocol", "scope" },
			0,
		},
		.folded_max = 1,
	},
	[CONNECT_USER] = {
		.desc = {
			"audit_user_connect_unique_destinations",
			"Estimated number of distinct inet/inet6 destinations "
			"(protocol, address, port) connected to in the window, "
			"by real uid, login uid, protocol and scope, from a "
			"sketch of their own (not a sum over processes).",
			FAM_WINDOWED,
			4,
			{ "uid", "auid", "protocol", "scope" },
			0,
		},
		.folded_max = 1,
	},
};

/* The state, one allocation: the label-tuple cache, the host series and
 * the class label values with their lengths (no strlen per event). */
struct connect {
	struct fam_lv family_lv[COLL_NFAMILY], proto_lv[SOCKTAB_NPROTO],
		scope_lv[SCOPE_N], result_lv[CONNECT_NRESULT];
	uint32_t gen_host; /* host[] holds series of this generation */
	struct fam_series *host[SOCKTAB_NPROTO][SCOPE_N];
	struct connect_pcache pcache[CONNECT_PCACHE];
};

/* The host series of outbound TCP to public addresses, the question's,
 * exists from the start and after every sweep (which drops an empty
 * sketch's label set): 0, not "no data", on a host that has not connected
 * anywhere yet. 0 or -ENOMEM. */
static int connect_sweep_keep(struct coll *c)
{
	struct fam_lv lv[2] = { COLL_LV(socktab_proto_name(SOCKTAB_TCP)),
				COLL_LV(scope_name(SCOPE_PUBLIC)) };

	return fam_get(c->fam[CONNECT_HOST], lv, 0) ? 0 : -ENOMEM;
}

static void connect_sweep(struct coll *c)
{
	(void)connect_sweep_keep(c); /* no memory: "no data" until it has */
}

static int connect_init(struct coll *c)
{
	struct connect *k = calloc(1, sizeof(struct connect));

	if (!k)
		return -ENOMEM;
	for (unsigned i = 0; i < COLL_NFAMILY; i++)
		k->family_lv[i] = COLL_LV(coll_family_labels[i]);
	for (unsigned i = 0; i < SOCKTAB_NPROTO; i++)
		k->proto_lv[i] = COLL_LV(socktab_proto_name(i));
	for (unsigned i = 0; i < SCOPE_N; i++)
		k->scope_lv[i] = COLL_LV(scope_name(i));
	for (unsigned i = 0; i < CONNECT_NRESULT; i++)
		k->result_lv[i] = COLL_LV(connect_result_labels[i]);
	c->state = k;
	return connect_sweep_keep(c);
}

/* An event's labels, as the families take them. */
struct connect_lbl {
	struct fam_lv comm, exe, uid, auid;
	unsigned family, proto, scope;
};

static bool connect_view_eq(const char *c, size_t cl, struct fam_lv v)
{
	return cl == v.len && (v.len == 0 || !memcmp(c, v.p, v.len));
}

static void connect_view_set(char *c, uint8_t *cl, struct fam_lv v)
{
	*cl = (uint8_t)v.len;
	if (v.len)
		memcpy(c, v.p, v.len);
}

/* The first min(len, 8) bytes at p as a word, the rest zero; p has 8
 * readable bytes (comm and exe are the event's AEV_STR_MAX buffers). */
static inline uint64_t connect_word(const char *p, size_t len)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return len >= 8 ? w : w & ((UINT64_C(1) << (8 * len)) - 1);
}

/* The cache entry of this label tuple, claimed for it if it held another
 * or an older generation; NULL when a value is too long to cache. */
static struct connect_pcache *connect_pentry(struct coll *c,
					     const struct connect_lbl *l)
{
	struct connect *k = c->state;
	struct connect_pcache *pc;
	uint8_t cls[3] = { (uint8_t)l->family, (uint8_t)l->proto,
			   (uint8_t)l->scope };
	uint64_t w;
	uint32_t h;

	if (l->comm.len > CONNECT_CCOMM || l->exe.len > CONNECT_CEXE ||
	    l->uid.len > CONNECT_CUID || l->auid.len > CONNECT_CUID)
		return NULL;
	/* the slot only (an entry is checked against the whole tuple):
	 * comm and exe by their first and last 8 bytes, a word at a time
	 * (byte-wise FNV over all of them cost more than the rest of the
	 * update), the short ids byte-wise */
	w = connect_word(l->comm.p, l->comm.len) * 31 +
	    connect_word(l->comm.p + (l->comm.len > 8 ? l->comm.len - 8 : 0),
			 l->comm.len);
	w = w * 31 +
	    connect_word(l->exe.p + (l->exe.len > 8 ? l->exe.len - 8 : 0),
			 l->exe.len);
	w = w * 31 + ((uint64_t)l->comm.len << 32 | (uint64_t)l->exe.len << 16 |
		      (uint64_t)cls[0] << 8 | cls[1] << 4 | cls[2]);
	w *= UINT64_C(0x9e3779b97f4a7c15);
	h = coll_fnv((uint32_t)(w >> 32), l->uid.p, l->uid.len);
	h = coll_fnv(h, l->auid.p, l->auid.len);
	pc = &k->pcache[h & (CONNECT_PCACHE - 1)];
	if (pc->gen == c->ctx->gen && !memcmp(&pc->family, cls, sizeof(cls)) &&
	    connect_view_eq(pc->comm, pc->comm_len, l->comm) &&
	    connect_view_eq(pc->uid, pc->uid_len, l->uid) &&
	    connect_view_eq(pc->auid, pc->auid_len, l->auid) &&
	    connect_view_eq(pc->exe, pc->exe_len, l->exe))
		return pc;
	memset(pc, 0, sizeof(*pc));
	pc->gen = c->ctx->gen;
	memcpy(&pc->family, cls, sizeof(cls));
	connect_view_set(pc->comm, &pc->comm_len, l->comm);
	connect_view_set(pc->exe, &pc->exe_len, l->exe);
	connect_view_set(pc->uid, &pc->uid_len, l->uid);
	connect_view_set(pc->auid, &pc->auid_len, l->auid);
	return pc;
}

/* The sketch item of an inet/inet6 destination: (protocol, family, port,
 * address) and, for loopback in another network namespace, the
 * namespace. */
static uint64_t connect_item(const struct coll *c, const struct aev *e)
{
	uint8_t buf[4 + 16 + 8];
	size_t alen = e->sa.family == AREC_AF_INET ? 4 : 16, n = 4 + alen;

	buf[0] = (uint8_t)e->net.proto;
	buf[1] = (uint8_t)e->sa.family;
	buf[2] = (uint8_t)(e->sa.port >> 8);
	buf[3] = (uint8_t)e->sa.port;
	memcpy(buf + 4, e->sa.addr, alen);
	if (e->net.netns_other && e->net.scope == SCOPE_LOOPBACK) {
		for (unsigned i = 0; i < 8; i++)
			buf[n + i] = (uint8_t)(e->net.netns >> (8 * i));
		n += 8;
	}
	return hash_siphash24(&c->ctx->cfg->sketch_key, buf, n);
}

/* The series of f in *slot (a cache slot, may be NULL) or, on a miss, the
 * one of the n labels of l listed in which (CONNECT_L_* in label order):
 * the label array is built only when it is needed. */
enum {
	CONNECT_L_COMM,
	CONNECT_L_EXE,
	CONNECT_L_UID,
	CONNECT_L_AUID,
	CONNECT_L_FAMILY,
	CONNECT_L_PROTO,
	CONNECT_L_SCOPE,
	CONNECT_L_RESULT,
	CONNECT_L_N
};
static struct fam_series *connect_series(struct coll *c, struct fam *f,
					 struct fam_series **slot,
					 const struct connect_lbl *l,
					 const uint8_t *which, unsigned n,
					 unsigned ri, int64_t t)
{
	const struct connect *k = c->state;
	struct fam_lv lv[FAM_MAX_LABELS];

	if (slot && *slot)
		return coll_cached(f, slot, NULL, t);
	{
		const struct fam_lv all[CONNECT_L_N] = {
			[CONNECT_L_COMM] = l->comm,
			[CONNECT_L_EXE] = l->exe,
			[CONNECT_L_UID] = l->uid,
			[CONNECT_L_AUID] = l->auid,
			[CONNECT_L_FAMILY] = k->family_lv[l->family],
			[CONNECT_L_PROTO] = k->proto_lv[l->proto],
			[CONNECT_L_SCOPE] = k->scope_lv[l->scope],
			[CONNECT_L_RESULT] = k->result_lv[ri],
		};

		for (unsigned i = 0; i < n; i++)
			lv[i] = all[which[i]];
	}
	return coll_cached(f, slot, lv, t);
}

/* Each family's labels, in its fam_desc order. */
static const uint8_t connect_total_lbl[] = { CONNECT_L_COMM,  CONNECT_L_UID,
					     CONNECT_L_AUID,  CONNECT_L_FAMILY,
					     CONNECT_L_PROTO, CONNECT_L_SCOPE,
					     CONNECT_L_RESULT };
static const uint8_t connect_host_lbl[] = { CONNECT_L_PROTO, CONNECT_L_SCOPE };
static const uint8_t connect_proc_lbl[] = { CONNECT_L_COMM,  CONNECT_L_EXE,
					    CONNECT_L_UID,   CONNECT_L_AUID,
					    CONNECT_L_PROTO, CONNECT_L_SCOPE };
static const uint8_t connect_user_lbl[] = { CONNECT_L_UID, CONNECT_L_AUID,
					    CONNECT_L_PROTO, CONNECT_L_SCOPE };

static void connect_unique(struct coll *c, const struct aev *e,
			   const struct connect_lbl *l,
			   struct connect_pcache *pc)
{
	struct connect *k = c->state;
	uint64_t h = connect_item(c, e);
	struct fam_series *s;

	if (k->gen_host != c->ctx->gen) {
		memset(k->host, 0, sizeof(k->host));
		k->gen_host = c->ctx->gen;
	}
	s = connect_series(c, c->fam[CONNECT_HOST],
			   &k->host[l->proto][l->scope], l, connect_host_lbl,
			   sizeof(connect_host_lbl), 0, e->t);
	coll_add_item(c->ctx, c->fam[CONNECT_HOST], s, h, e->t);
	s = connect_series(c, c->fam[CONNECT_PROC], pc ? &pc->proc : NULL, l,
			   connect_proc_lbl, sizeof(connect_proc_lbl), 0, e->t);
	coll_add_item(c->ctx, c->fam[CONNECT_PROC], s, h, e->t);
	s = connect_series(c, c->fam[CONNECT_USER], pc ? &pc->user : NULL, l,
			   connect_user_lbl, sizeof(connect_user_lbl), 0, e->t);
	coll_add_item(c->ctx, c->fam[CONNECT_USER], s, h, e->t);
}

/* Index into connect_result_labels. */
static unsigned connect_result(const struct aev *e)
{
	if (e->success == 1)
		return 0;
	if (e->have_exit && e->exit == -115) /* EINPROGRESS */
		return 1;
	if (e->have_exit && e->exit == -111) /* ECONNREFUSED */
		return 2;
	return 3;
}

static struct fam_lv connect_lv(struct aev_view v)
{
	return (struct fam_lv){ v.p ? v.p : "", v.len };
}

static void connect_event(struct coll *c, const struct aev *e)
{
	enum arec_family af = e->have_sa ? e->sa.family : AREC_AF_OTHER;
	bool inet = af == AREC_AF_INET || af == AREC_AF_INET6;
	struct connect_lbl l = {
		.comm = { e->comm, e->comm_len },
		.exe = { e->exe, e->exe_len },
		.uid = connect_lv(e->uid),
		.auid = connect_lv(e->auid),
		.family = coll_family(af),
		.proto = (unsigned)e->net.proto < SOCKTAB_NPROTO
				 ? (unsigned)e->net.proto
				 : SOCKTAB_UNKNOWN,
		.scope = inet && (unsigned)e->net.scope < SCOPE_N
				 ? (unsigned)e->net.scope
				 : SCOPE_UNKNOWN,
	};
	unsigned ri = connect_result(e);
	struct connect_pcache *pc = connect_pentry(c, &l);
	struct fam_series *s = connect_series(
		c, c->fam[CONNECT_TOTAL], pc ? &pc->connect[ri] : NULL, &l,
		connect_total_lbl, sizeof(connect_total_lbl), ri, e->t);

	if (s)
		fam_inc(s, 1);
	else
		c->ctx->skipped[AGG_SKIP_NO_MEMORY]++;
	if (inet)
		connect_unique(c, e, &l, pc);
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
	.sweep = connect_sweep,
	.write = connect_write,
};
