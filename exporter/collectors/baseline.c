/*
 * baseline: what is new on this host against its own first-seen baseline
 * (docs/BASELINE.md, issue 22 item 2), without Prometheus history.
 *
 *   audit_listen_new_total{comm,exe,uid,auid,protocol,address,port}
 *   audit_connect_new_destinations_total{comm,exe,uid,auid}
 *   audit_execve_new_total{exe,uid,auid}
 *   audit_exporter_baseline_{items,evicted_total}{kind}
 *   audit_exporter_baseline_{max_items,learning,
 *     learning_end_timestamp_seconds,persistent,bytes}
 *
 * Items (metrics/baseline.c keeps their keyed hashes):
 *   listen       (exe or comm, protocol, address, port) of a successful
 *                listen() (tcp; the local address from the enrich stage,
 *                "unknown" when it is not known) or of a successful bind()
 *                of a UDP socket to a port (a bound UDP service; a bind to
 *                port 0 is a client taking an ephemeral port, not learnt)
 *   destination  (exe or comm, protocol, address, port) of a connect() to
 *                an inet/inet6 address, whatever its result: a scan is
 *                refused attempts
 *   execve       (exe, uid) of a successful execve/execveat
 * An item new after learning counts one in its family, labelled with the
 * process, its uid and login uid.
 *
 * Time: the source's clock (ms, as everything else: wall time live, the
 * events' own in a replay), in seconds for the store. A fresh baseline is
 * created by the first event it tests, or live by the first tick (it is
 * made "at the end of time", and the store moves a creation time later
 * than its clock back to it). In a replay only events move learning, not
 * ticks (which fall where reads end), so that the answer depends on the
 * log alone, whether it came from a file or a pipe.
 *
 * Saving. The store is the reader's; a save of a full baseline (3 x 65536
 * items) takes tens of ms with its fsyncs, the copy into the file image
 * about a millisecond (docs/BASELINE.md has the measurement). So the tick
 * takes the image under the exporter's lock into a buffer kept from start
 * (baseline_encode), and a writer thread of this collector, started at the first tick (after the
 * privilege drop: it runs as the run-as user), writes it atomically
 * (baseline_write) outside the lock. While a write is under way the image
 * is the writer's and the tick does not take another (it tries again at
 * the next tick). The first tick saves at once, so that a directory that
 * cannot be written shows within a tick (warned once,
 * audit_exporter_baseline_persistent 0: the baseline still learns and
 * counts in memory); then every --baseline.save-interval; and fini joins
 * the writer and saves the last state synchronously (the exit path).
 *
 * Loading: a file refused for what it holds (corrupt, another version,
 * another key: docs/BASELINE.md) is replaced by the fresh baseline's
 * first save; one that cannot be read at all (a symlink, which the load
 * does not follow, a permission, an I/O error) is left alone and the
 * baseline kept in memory, so that a passing error never costs a good
 * file.
 *
 * Memory: the store's tables and the image buffer, allocated in init and
 * reserved in the budget (they never grow). Nothing on the event path
 * allocates; new items are rare, so their series are not cached.
 */
#include "exporter/collectors/collector.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/log.h"
#include "exporter/scrape.h"
#include "metrics/baseline.h"
#include "metrics/budget.h"

#define BL_DEFAULT_MAX 65536
#define BL_ADDR_MAX 48 /* INET6_ADDRSTRLEN, and "unknown" */

enum { BL_LISTEN, BL_DEST, BL_EXEC, BL_NFAM };

static const struct coll_fam bl_fams[BL_NFAM] = {
	[BL_LISTEN] = {
		.desc = {
			"audit_listen_new",
			"Listeners (TCP listen() or bound UDP service: program, "
			"protocol, address, port) not in the host's baseline.",
			FAM_COUNTER,
			7,
			{ "comm", "exe", "uid", "auid", "protocol", "address",
			  "port" },
			0x7f,
		},
		.folded_max = 1,
	},
	[BL_DEST] = {
		.desc = {
			"audit_connect_new_destinations",
			"Destinations (protocol, address, port) a program "
			"connected to that its baseline did not hold.",
			FAM_COUNTER,
			4,
			{ "comm", "exe", "uid", "auid" },
			0xf,
		},
		.folded_max = 1,
	},
	[BL_EXEC] = {
		.desc = {
			"audit_execve_new",
			"Programs executed (successful execve) that the "
			"baseline did not hold for that uid.",
			FAM_COUNTER,
			3,
			{ "exe", "uid", "auid" },
			0x7,
		},
		.folded_max = 1,
	},
};

struct bl {
	struct baseline *b;
	const char *path; /* NULL: memory only */
	int64_t save_ms, last_save_ms; /* INT64_MIN: not saved yet */
	int learning; /* as of the last event or tick */
	size_t reserved; /* bytes taken from the budget's tables part */
	/* the writer: img is its while busy; everything below under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thr;
	bool thr_on, busy, stop;
	bool failed; /* the last write failed: memory only */
	bool ready; /* init went through: fini saves */
	uint8_t *img;
	size_t img_cap, img_len;
};

/* What a load's result leaves of the file: 0 to use it (loaded, or
 * none yet), 1 to replace it (refused: the doc's table of reasons), -1
 * to leave it alone (it could not be read: a symlink, a permission, an
 * I/O error), the baseline then in memory only. */
static int bl_loaded(const char *path, int rc)
{
	const char *why = rc == -EBADMSG	? "corrupt"
			  : rc == -EPROTO	? "not a baseline file of this "
						  "version"
			  : rc == -EKEYREJECTED ? "written under another "
						  "sketch key"
						: NULL;

	if (!rc || rc == -ENOENT)
		return 0;
	if (why) {
		log_warn("baseline file refused; learning afresh", "file", path,
			 "reason", why);
		return 1;
	}
	log_warn("cannot read the baseline file; learning afresh in "
		 "memory only, the file left as it is",
		 "file", path, "error", strerror(-rc));
	return -1;
}

static int bl_init(struct coll *c)
{
	const struct agg_config *cfg = c->ctx->cfg;
	/* created by the first event or tick (see the top) */
	int64_t now = INT64_MAX;
	struct bl *s = calloc(1, sizeof(*s));
	int rc = -ENOMEM;

	if (!s)
		return -ENOMEM;
	c->state = s;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->last_save_ms = INT64_MIN;
	s->save_ms = cfg->baseline_save_ms > 0 ? cfg->baseline_save_ms : 300000;
	s->path = cfg->baseline_file && *cfg->baseline_file ? cfg->baseline_file
							    : NULL;
	s->b = baseline_new(&cfg->sketch_key,
			    cfg->baseline_max ? cfg->baseline_max
					      : BL_DEFAULT_MAX,
			    now, cfg->baseline_learning_ms / 1000);
	if (!s->b)
		return -errno;
	s->img_cap = baseline_file_max(s->b);
	s->img = malloc(s->img_cap);
	if (!s->img)
		return -ENOMEM;
	/* touched now: the first image is not a page-fault storm under
	 * the lock */
	memset(s->img, 0, s->img_cap);
	rc = budget_table_take(cfg->budget, baseline_bytes(s->b) + s->img_cap);
	if (rc)
		return rc;
	s->reserved = baseline_bytes(s->b) + s->img_cap;
	if (s->path) {
		if (bl_loaded(s->path, baseline_load(s->b, s->path)) < 0)
			s->path = NULL; /* memory only */
	}
	s->learning = 1; /* until the first tick says */
	s->ready = true;
	return 0;
}

/* Logs a change between saved and not (once each way). Under mu. */
static void bl_note_write(struct bl *s, int rc)
{
	if (rc && !s->failed) {
		log_warn("cannot save the baseline; keeping it in memory only",
			 "file", s->path, "error", strerror(-rc));
		s->failed = true;
	} else if (!rc && s->failed) {
		log_info("baseline saved again", "file", s->path);
		s->failed = false;
	}
}

static void *bl_writer(void *arg)
{
	struct bl *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		int rc;

		while (!s->busy && !s->stop)
			pthread_cond_wait(&s->cv, &s->mu);
		if (!s->busy)
			break;
		pthread_mutex_unlock(&s->mu);
		rc = baseline_write(s->path, s->img, s->img_len);
		pthread_mutex_lock(&s->mu);
		bl_note_write(s, rc);
		s->busy = false;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Takes the image and hands it to the writer; false when the writer is
 * still busy with the last one (try again at the next tick). */
static bool bl_save_async(struct bl *s)
{
	bool busy;
	ssize_t len;

	pthread_mutex_lock(&s->mu);
	busy = s->busy;
	if (busy)
		goto out;
	if (!s->thr_on) {
		if (pthread_create(&s->thr, NULL, bl_writer, s)) {
			bl_note_write(s, -EAGAIN);
			goto out;
		}
		s->thr_on = true;
	}
	len = baseline_encode(s->b, s->img, s->img_cap);
	if (len < 0)
		goto out;
	s->img_len = (size_t)len;
	s->busy = true;
	pthread_cond_signal(&s->cv);
out:
	pthread_mutex_unlock(&s->mu);
	return !busy;
}

static void bl_tick(struct coll *c, int64_t now_ms)
{
	struct bl *s = c->state;

	if (now_ms == INT64_MIN)
		return;
	/* a replay's ticks fall where its reads end: only its events move
	 * learning, so that the answer does not depend on how bytes came */
	if (!c->ctx->cfg->replay)
		s->learning = baseline_learning(s->b, now_ms / 1000);
	if (!s->path || (s->last_save_ms != INT64_MIN &&
			 now_ms - s->last_save_ms < s->save_ms &&
			 now_ms >= s->last_save_ms))
		return;
	if (bl_save_async(s))
		s->last_save_ms = now_ms;
}

static void bl_fini(struct coll *c)
{
	struct bl *s = c->state;

	if (s->thr_on) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thr, NULL);
	}
	if (s->path && s->ready) {
		ssize_t len = baseline_encode(s->b, s->img, s->img_cap);

		bl_note_write(s, len < 0 ? (int)len
					 : baseline_write(s->path, s->img,
							  (size_t)len));
	}
	if (s->reserved)
		budget_table_give(c->ctx->cfg->budget, s->reserved);
	baseline_free(s->b);
	free(s->img);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	c->state = NULL;
}

static struct fam_lv bl_view(struct aev_view v)
{
	return (struct fam_lv){ v.p ? v.p : "", v.p ? v.len : 0 };
}

/* The program of an item: its exe, or its comm when the exe is unknown. */
static struct baseline_field bl_prog(const struct aev *e)
{
	if (e->exe_len)
		return (struct baseline_field){ e->exe, e->exe_len };
	return (struct baseline_field){ e->comm, e->comm_len };
}

/* Tests the item of kind made of n fields; 1 when it is new. */
static int bl_test(struct bl *s, enum baseline_kind kind,
		   const struct baseline_field *f, unsigned n, int64_t t_ms)
{
	uint64_t item = baseline_item(s->b, kind, f, n);
	int rc = baseline_test(s->b, kind, item, t_ms / 1000);

	s->learning = baseline_learning(s->b, t_ms / 1000);
	return rc == 1;
}

/* An inet/inet6 address and port as text: 0 or -EAFNOSUPPORT. */
static int bl_addr(enum arec_family fam, const uint8_t *addr, uint16_t port,
		   char *a, size_t acap, char *p, size_t pcap)
{
	if (fam != AREC_AF_INET && fam != AREC_AF_INET6)
		return -EAFNOSUPPORT;
	if (!inet_ntop(fam == AREC_AF_INET ? AF_INET : AF_INET6, addr, a,
		       (socklen_t)acap))
		return -EAFNOSUPPORT;
	snprintf(p, pcap, "%u", port);
	return 0;
}

static void bl_listen(struct coll *c, const struct aev *e, const char *proto,
		      const char *addr, const char *port)
{
	struct bl *s = c->state;
	struct baseline_field f[4] = { bl_prog(e),
				       { proto, strlen(proto) },
				       { addr, strlen(addr) },
				       { port, strlen(port) } };
	struct fam_lv lv[7] = { { e->comm, e->comm_len },
				{ e->exe, e->exe_len },
				bl_view(e->uid),
				bl_view(e->auid),
				COLL_LV(proto),
				COLL_LV(addr),
				COLL_LV(port) };

	if (bl_test(s, BASELINE_LISTEN, f, 4, e->t))
		coll_count(c->ctx, c->fam[BL_LISTEN], NULL, lv, e->t);
}

/* listen(): tcp (a stream socket; other when socket() said so), at the
 * address the enrich stage knows, else "unknown". */
static void bl_on_listen(struct coll *c, const struct aev *e)
{
	char addr[BL_ADDR_MAX] = "unknown", port[8] = "unknown";
	const char *proto = e->net.proto == SOCKTAB_OTHER ? "other" : "tcp";

	if (e->net.have_local &&
	    bl_addr(e->net.lfamily, e->net.laddr, e->net.lport, addr,
		    sizeof(addr), port, sizeof(port)))
		return; /* unix and the rest: not a network listener */
	bl_listen(c, e, proto, addr, port);
}

/* bind() of a UDP socket to a port: a UDP service, at the local address
 * the enrich stage gives. A bind asking for port 0 is a client taking an
 * ephemeral port (whatever the kernel chose): not learnt. */
static void bl_on_bind(struct coll *c, const struct aev *e)
{
	char addr[BL_ADDR_MAX], port[8];

	if (e->net.proto != SOCKTAB_UDP || !e->net.have_local || !e->have_sa ||
	    !e->sa.port ||
	    bl_addr(e->net.lfamily, e->net.laddr, e->net.lport, addr,
		    sizeof(addr), port, sizeof(port)))
		return;
	bl_listen(c, e, "udp", addr, port);
}

static void bl_on_connect(struct coll *c, const struct aev *e)
{
	struct bl *s = c->state;
	const char *proto = socktab_proto_name(e->net.proto);
	char addr[BL_ADDR_MAX], port[8];
	struct fam_lv lv[4] = { { e->comm, e->comm_len },
				{ e->exe, e->exe_len },
				bl_view(e->uid),
				bl_view(e->auid) };

	if (!e->have_sa || bl_addr(e->sa.family, e->sa.addr, e->sa.port, addr,
				   sizeof(addr), port, sizeof(port)))
		return;
	{
		struct baseline_field f[4] = { bl_prog(e),
					       { proto, strlen(proto) },
					       { addr, strlen(addr) },
					       { port, strlen(port) } };

		if (bl_test(s, BASELINE_DEST, f, 4, e->t))
			coll_count(c->ctx, c->fam[BL_DEST], NULL, lv, e->t);
	}
}

static void bl_on_exec(struct coll *c, const struct aev *e)
{
	struct bl *s = c->state;
	struct fam_lv lv[3] = { { e->exe, e->exe_len },
				bl_view(e->uid),
				bl_view(e->auid) };
	struct baseline_field f[2] = { { e->exe, e->exe_len },
				       { lv[1].p, lv[1].len } };

	if (bl_test(s, BASELINE_EXEC, f, 2, e->t))
		coll_count(c->ctx, c->fam[BL_EXEC], NULL, lv, e->t);
}

static void bl_event(struct coll *c, const struct aev *e)
{
	if (e->class == AEV_CONNECT) {
		bl_on_connect(c, e);
		return;
	}
	if (e->success != 1)
		return;
	if (e->class == AEV_LISTEN)
		bl_on_listen(c, e);
	else if (e->class == AEV_BIND)
		bl_on_bind(c, e);
	else if (e->class == AEV_EXEC)
		bl_on_exec(c, e);
}

/* What a scrape shows of the store, copied under the lock. */
struct bl_snap {
	uint32_t items[BASELINE_KINDS];
	uint64_t evicted[BASELINE_KINDS];
	uint32_t max;
	int learning, persistent;
	int64_t learning_end;
	size_t bytes;
};

static void bl_gauge(struct expo *w, const char *name, const char *help,
		     enum expo_type type, double v)
{
	expo_family(w, name, help, type);
	expo_value(w, "", 0, NULL, v);
}

static void bl_kinds(struct expo *w, const char *name, const char *help,
		     enum expo_type type, const uint64_t *v)
{
	expo_family(w, name, help, type);
	for (int k = 0; k < BASELINE_KINDS; k++) {
		char lb[32];
		int n = snprintf(lb, sizeof(lb), "kind=\"%s\"",
				 baseline_kind_name((enum baseline_kind)k));

		expo_value(w, lb, (size_t)n, NULL, (double)v[k]);
	}
}

static int bl_write(struct scrape *sc, struct fam *const *fam)
{
	struct bl *s = scrape_coll_state(sc, "baseline");
	struct expo *w = scrape_expo(sc);
	struct bl_snap v;
	uint64_t items[BASELINE_KINDS];
	int rc = 0;

	if (!s)
		return -ENODATA;
	for (int i = 0; i < BL_NFAM && !rc; i++)
		rc = scrape_family(sc, fam[i]);
	scrape_lock(sc);
	for (int k = 0; k < BASELINE_KINDS; k++) {
		v.items[k] = baseline_items(s->b, (enum baseline_kind)k);
		v.evicted[k] = baseline_evicted(s->b, (enum baseline_kind)k);
	}
	v.max = baseline_max_items(s->b);
	v.learning = s->learning;
	v.learning_end = baseline_learning_end(s->b);
	v.bytes = baseline_bytes(s->b) + s->img_cap;
	pthread_mutex_lock(&s->mu);
	v.persistent = s->path && !s->failed;
	pthread_mutex_unlock(&s->mu);
	scrape_unlock(sc);
	for (int k = 0; k < BASELINE_KINDS; k++)
		items[k] = v.items[k];
	bl_kinds(w, "audit_exporter_baseline_items",
		 "Items the first-seen baseline holds, by kind.", EXPO_GAUGE,
		 items);
	bl_kinds(w, "audit_exporter_baseline_evicted",
		 "Items evicted because their kind was full "
		 "(--baseline.max-items).",
		 EXPO_COUNTER, v.evicted);
	bl_gauge(w, "audit_exporter_baseline_max_items",
		 "Items the baseline holds per kind at most.", EXPO_GAUGE,
		 v.max);
	bl_gauge(w, "audit_exporter_baseline_learning",
		 "1 while the baseline learns silently, 0 after.", EXPO_GAUGE,
		 v.learning);
	bl_gauge(w, "audit_exporter_baseline_learning_end_timestamp_seconds",
		 "When the baseline's learning ends (or ended), unix seconds.",
		 EXPO_GAUGE,
		 v.learning_end == INT64_MAX ? 0 : (double)v.learning_end);
	bl_gauge(w, "audit_exporter_baseline_persistent",
		 "1 when the baseline is saved to --baseline.file, 0 when it "
		 "is kept in memory only.",
		 EXPO_GAUGE, v.persistent);
	bl_gauge(w, "audit_exporter_baseline_bytes",
		 "Memory the baseline holds, fixed at start.", EXPO_GAUGE,
		 (double)v.bytes);
	return rc;
}

const struct coll_def coll_baseline = {
	.name = "baseline",
	.on = true,
	.classes = AEV_BIT(AEV_CONNECT) | AEV_BIT(AEV_BIND) |
		   AEV_BIT(AEV_LISTEN) | AEV_BIT(AEV_EXEC),
	COLL_FAMS(bl_fams),
	.init = bl_init,
	.fini = bl_fini,
	.event = bl_event,
	.tick = bl_tick,
	.write = bl_write,
};
