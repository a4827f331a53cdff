/*
 * Allocation torture, as curl runs it: a scenario runs once to count the
 * allocations the project's code makes, then once more for each of them
 * with exactly that one refused (NULL). Every run must end cleanly:
 *   - nothing the project allocated is left over when the scenario has
 *     freed what it holds (a leak shows as a block still live here, in
 *     every build, not only under LeakSanitizer), and nothing is left
 *     charged to the memory budget;
 *   - a step that fails says so: NULL or an error, errno ENOMEM, and a
 *     message that names memory where the step writes one;
 *   - an exposition rendered after a refusal is whole (the fuzzers'
 *     independent checker), names no series the run without refusals
 *     does not, and agrees with it except for what it counts as lost:
 *     counter samples are never higher, the sum of what is missing from
 *     the event counters is at most the updates counted as
 *     skipped{reason="no_memory"} plus two per event counted as
 *     truncated for lack of memory (its syscall and its call), and with
 *     nothing counted as lost every sample is the same. A collector may
 *     fail (success 0, its families left out) only when the refusal came
 *     while rendering; a gzip body, when one is made, inflates to the text.
 *
 * How: this binary is linked with -Wl,--wrap for malloc, calloc, realloc,
 * free, strdup, strndup and asprintf, so the calls the project's objects
 * make come here (libraries' own allocations do not, and are not
 * counted). Live blocks are kept in an open-addressed table; a free of a
 * block the project did not allocate here (a library's) is passed on.
 * The gzip helper thread allocates too, hence the lock.
 *
 * Scenarios:
 *   - the replay pipeline: flags with an @FILE argument, the aggregator,
 *     the assembler, the file source on the fixture log among 601 connects
 *     to distinct destinations (so that sketches turn dense), the scrape in
 *     text and OpenMetrics with the exported registers, gzip in two halves;
 *   - the same served by exporter/web/http and scraped plain and gzip over a
 *     socket: 500 when the exposition could not be had, plain text when
 *     gzip could not;
 *   - the bundled rules plus rules of every kind;
 *   - a web configuration with every section, and the same as files
 *     (certificate, key, client CA) opened, used and loaded again as a
 *     serving exporter does (exporter/web/webctx).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporter/agg.h"
#include "exporter/cfg.h"
#include "exporter/exporter.h"
#include "exporter/web/gzip.h"
#include "exporter/web/http.h"
#include "exporter/log.h"
#include "exporter/scrape.h"
#include "exporter/source.h"
#include "exporter/web/webcfg.h"
#include "exporter/web/webctx.h"
#include "metrics/budget.h"
#include "netlink/asm.h"
#include "netlink/rules.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/unit/gunzip.h"

/* ---- the failing allocator ------------------------------------------------ */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t max);
int __wrap_asprintf(char **out, const char *fmt, ...);

#define LIVE_SLOTS (1u << 16) /* power of two, well above the live blocks */
#define TOMB ((void *)1)

static pthread_mutex_t alloc_lock = PTHREAD_MUTEX_INITIALIZER;
static void *live[LIVE_SLOTS];
static size_t nlive;
static long nalloc; /* allocations asked for in this run */
static long refuse_at; /* the one to refuse (1-based); 0: none */
static int phase, refused_phase; /* where the run is; where it refused */

static size_t live_slot(const void *p)
{
	uintptr_t h = (uintptr_t)p;

	h ^= h >> 17;
	h *= UINT64_C(0x9e3779b97f4a7c15);
	return (size_t)(h >> 20) & (LIVE_SLOTS - 1);
}

static void live_add(void *p)
{
	size_t i = live_slot(p);

	while (live[i] && live[i] != TOMB)
		i = (i + 1) & (LIVE_SLOTS - 1);
	live[i] = p;
	nlive++;
	assert_true(nlive < LIVE_SLOTS / 2);
}

/* False for a block the project did not allocate here. */
static bool live_del(const void *p)
{
	for (size_t i = live_slot(p); live[i]; i = (i + 1) & (LIVE_SLOTS - 1))
		if (live[i] == p) {
			live[i] = TOMB;
			nlive--;
			return true;
		}
	return false;
}

/* Starts a run that refuses allocation k (0: none). */
static void alloc_start(long k)
{
	pthread_mutex_lock(&alloc_lock);
	memset(live, 0, sizeof(live));
	nlive = 0;
	nalloc = 0;
	refuse_at = k;
	phase = refused_phase = 0;
	pthread_mutex_unlock(&alloc_lock);
}

/* Under alloc_lock: counts an allocation; whether to refuse it. */
static bool alloc_refuse(void)
{
	if (++nalloc != refuse_at)
		return false;
	refused_phase = phase;
	errno = ENOMEM;
	return true;
}

void *__wrap_malloc(size_t n)
{
	void *p = NULL;

	pthread_mutex_lock(&alloc_lock);
	if (!alloc_refuse() && (p = __real_malloc(n)))
		live_add(p);
	pthread_mutex_unlock(&alloc_lock);
	return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
	void *p = NULL;

	pthread_mutex_lock(&alloc_lock);
	if (!alloc_refuse() && (p = __real_calloc(n, size)))
		live_add(p);
	pthread_mutex_unlock(&alloc_lock);
	return p;
}

void *__wrap_realloc(void *p, size_t n)
{
	void *q = NULL;

	pthread_mutex_lock(&alloc_lock);
	if (!alloc_refuse() && (q = __real_realloc(p, n))) {
		if (p)
			live_del(p);
		live_add(q);
	}
	pthread_mutex_unlock(&alloc_lock);
	return q;
}

void __wrap_free(void *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&alloc_lock);
	live_del(p);
	pthread_mutex_unlock(&alloc_lock);
	__real_free(p);
}

char *__wrap_strdup(const char *s)
{
	return __wrap_strndup(s, strlen(s));
}

char *__wrap_strndup(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *p = __wrap_malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

int __wrap_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	*out = n < 0 ? NULL : __wrap_malloc((size_t)n + 1);
	if (!*out)
		return -1;
	va_start(ap, fmt);
	vsnprintf(*out, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return n;
}

static void set_phase(int p)
{
	pthread_mutex_lock(&alloc_lock);
	phase = p;
	pthread_mutex_unlock(&alloc_lock);
}

/* Runs scenario once without refusals (its reference), then once per
 * allocation it made, refusing that one; checks that nothing is left. */
static void torture(const char *name, void (*scenario)(long k, void *ref),
		    void *ref)
{
	long total;

	alloc_start(0);
	scenario(0, ref);
	total = nalloc;
	if (nlive)
		fail_msg("%s: %zu blocks left without refusals", name, nlive);
	assert_true(total > 0);
	for (long k = 1; k <= total; k++) {
		alloc_start(k);
		scenario(k, ref);
		if (nlive)
			fail_msg("%s: %zu blocks left when allocation %ld of "
				 "%ld was refused",
				 name, nlive, k, total);
	}
	alloc_start(0);
	print_message("[ torture  ] %s: %ld allocations, each refused once\n",
		      name, total);
}

/* ---- the pipeline --------------------------------------------------------- */

enum { PH_SETUP = 1, PH_FEED, PH_RENDER, PH_GZIP };

/* An exposition, its samples sorted by series for lookup. */
struct scraped {
	char *text;
	size_t len;
	struct sample {
		const char *key; /* `name{labels}`, NUL-terminated in text */
		double v;
	} * s;
	size_t n;
	bool collector_failed;
};

static int sample_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sample *)a)->key,
		      ((const struct sample *)b)->key);
}

/* Splits text (owned by e from now on) into samples: key and value. */
static void scraped_parse(struct scraped *e, char *text, size_t len)
{
	size_t cap = 64;

	e->text = text;
	e->len = len;
	e->n = 0;
	e->s = __real_malloc(cap * sizeof(*e->s));
	e->collector_failed = false;
	assert_non_null(e->s);
	for (char *line = text, *end; line < text + len; line = end + 1) {
		char *sp;

		end = memchr(line, '\n', (size_t)(text + len - line));
		assert_non_null(end);
		*end = 0;
		if (*line == '#')
			continue;
		sp = strrchr(line, ' ');
		assert_non_null(sp);
		*sp = 0;
		if (e->n == cap) {
			cap *= 2;
			e->s = __real_realloc(e->s, cap * sizeof(*e->s));
			assert_non_null(e->s);
		}
		e->s[e->n].key = line;
		e->s[e->n].v = strtod(sp + 1, NULL);
		if (!strncmp(line, "audit_exporter_scrape_collector_success{",
			     40) &&
		    e->s[e->n].v == 0)
			e->collector_failed = true;
		e->n++;
	}
	qsort(e->s, e->n, sizeof(*e->s), sample_cmp);
}

static void scraped_free(struct scraped *e)
{
	__real_free(e->s);
	__real_free(e->text);
	memset(e, 0, sizeof(*e));
}

static const struct sample *scraped_find(const struct scraped *e,
					 const char *key)
{
	struct sample k = { .key = key };

	return bsearch(&k, e->s, e->n, sizeof(*e->s), sample_cmp);
}

static double scraped_get(const struct scraped *e, const char *key)
{
	const struct sample *s = scraped_find(e, key);

	if (!s)
		fail_msg("no sample %s", key);
	return s->v;
}

/* The sum of the family's samples (labelled ones), and how many. */
static double family_sum(const struct scraped *e, const char *name, size_t *n)
{
	size_t len = strlen(name), k = 0;
	double sum = 0;

	for (size_t i = 0; i < e->n; i++)
		if (!strncmp(e->s[i].key, name, len) &&
		    e->s[i].key[len] == '{') {
			sum += e->s[i].v;
			k++;
		}
	if (n)
		*n = k;
	return sum;
}

static bool family_present(const struct scraped *e, const char *name)
{
	size_t n;

	family_sum(e, name, &n);
	return n > 0;
}

static const char *const event_counters[] = {
	"audit_records_total", "audit_syscall_events_total",
	"audit_connect_total", "audit_listen_total",
	"audit_execve_total",  "audit_watch_hits_total",
};

/* Samples that differ from run to run whatever was lost: timings, and
 * the memory charged (a refused refit of a sketch's buffer loses nothing
 * and leaves it larger) */
static bool is_timing(const char *key)
{
	return !strncmp(key, "audit_exporter_scrape_collector_", 32) ||
	       !strncmp(key, "audit_exporter_memory_used_bytes", 32);
}

/* got, rendered with allocation k refused, against ref. */
static void scraped_agrees(const struct scraped *got, const struct scraped *ref,
			   long k)
{
	const char *nm = "audit_exporter_skipped_total{reason=\"no_memory\"}";
	const char *tr = "audit_exporter_events_truncated_total";
	double lost = scraped_get(got, nm), missing = 0;
	double truncated = scraped_get(got, tr) - scraped_get(ref, tr);

	if (got->collector_failed && refused_phase != PH_RENDER)
		fail_msg("refusal %ld (phase %d): a collector failed", k,
			 refused_phase);
	for (size_t i = 0; i < got->n; i++) {
		const struct sample *r = scraped_find(ref, got->s[i].key);

		if (!r)
			fail_msg("refusal %ld: a series not in the reference: "
				 "%s",
				 k, got->s[i].key);
	}
	for (size_t f = 0; f < sizeof(event_counters) / sizeof(*event_counters);
	     f++) {
		double d;

		if (!family_present(got, event_counters[f]))
			continue;
		d = family_sum(ref, event_counters[f], NULL) -
		    family_sum(got, event_counters[f], NULL);
		if (d < 0)
			fail_msg("refusal %ld: %s counts more than without "
				 "refusals",
				 k, event_counters[f]);
		missing += d;
	}
	if (missing > lost + 2 * truncated)
		fail_msg("refusal %ld: %.0f counts missing, %.0f counted lost, "
			 "%.0f events truncated",
			 k, missing, lost, truncated);
	if (lost || truncated)
		return;
	/* nothing lost: the same numbers as without refusals */
	for (size_t i = 0; i < ref->n; i++) {
		const struct sample *r = &ref->s[i], *g;
		char name[128];
		size_t n = strcspn(r->key, "{");

		if (is_timing(r->key) || n >= sizeof(name))
			continue;
		memcpy(name, r->key, n);
		name[n] = 0;
		g = scraped_find(got, r->key);
		if (!g && !family_present(got, name))
			continue; /* a failed collector's family */
		if (!g || g->v != r->v)
			fail_msg("refusal %ld (phase %d), nothing lost: %s is "
				 "%g, %g without refusals",
				 k, refused_phase, r->key, g ? g->v : -1.0,
				 r->v);
	}
}

struct pipeline_ref {
	char log[64], args[64];
	struct scraped text, om; /* without refusals, rendered directly */
	unsigned port; /* 0: render directly; else serve over HTTP on it */
};

/* The pieces as one NUL-terminated buffer of the test's own. */
static char *pieces_text(const struct expo_pieces *ps, size_t *len)
{
	char *t = __real_malloc(ps->len + 1);
	size_t n = 0;

	assert_non_null(t);
	for (size_t i = 0; i < ps->n; i++) {
		memcpy(t + n, ps->v[i].p, ps->v[i].len);
		n += ps->v[i].len;
	}
	t[n] = 0;
	*len = n;
	return t;
}

static void gunzip_equals(const char *gz, size_t gzlen, const char *want,
			  size_t len)
{
	char *out = __real_malloc(len + 1);

	assert_non_null(out);
	assert_int_equal(gunzip(gz, gzlen, out, len + 1), len);
	assert_memory_equal(out, want, len);
	__real_free(out);
}

/* One render in fmt, checked against the reference (k > 0) or kept as it
 * (k == 0). The gzip body of the text format is checked too. */
static void pipeline_render(struct exporter *x, enum expo_format fmt, long k,
			    struct scraped *ref)
{
	struct scrape_buf *b;
	struct scraped got;
	char *text, *gz;
	size_t len, gzlen;
	int rc;

	set_phase(PH_RENDER);
	b = scrape_buf_take(x);
	if (!b) {
		assert_int_equal(refused_phase, PH_RENDER);
		return;
	}
	rc = scrape_render(fmt, b);
	if (rc) {
		assert_true(rc == -ENOMEM || rc == -E2BIG);
		assert_int_equal(refused_phase, PH_RENDER);
		scrape_buf_give(b);
		return;
	}
	text = pieces_text(&b->pieces, &len);
	if (!fuzz_expo_ok(text, len, fmt == EXPO_OPENMETRICS))
		fail_msg("refusal %ld: a malformed exposition", k);
	set_phase(PH_GZIP);
	gz = fmt == EXPO_TEXT ? gzip_pieces_split(&b->pieces, len / 2, &gzlen)
			      : NULL;
	if (gz) {
		gunzip_equals(gz, gzlen, text, len);
		free(gz);
	} else if (fmt == EXPO_TEXT) {
		assert_int_equal(refused_phase, PH_GZIP);
	}
	scrape_buf_give(b);
	scraped_parse(&got, text, len);
	if (k == 0) {
		*ref = got;
		return;
	}
	scraped_agrees(&got, ref, k);
	scraped_free(&got);
}

/* A loopback port nothing listens on now. */
static unsigned free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* GET /metrics from 127.0.0.1:port (with Accept-Encoding: gzip if gzip):
 * the status, and the body in a new buffer of the test's own (inflated if
 * it came gzipped, which *gzipped says). */
static int http_get(unsigned port, bool gzip, char **body, size_t *len,
		    bool *gzipped)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), status = 0;
	size_t n = 0, cap = 1 << 16;
	char *r = __real_malloc(cap), *end, req[160];
	ssize_t got;

	assert_true(fd >= 0);
	assert_non_null(r);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(req, sizeof(req),
		 "GET /metrics HTTP/1.1\r\nHost: torture\r\n%s"
		 "Connection: close\r\n\r\n",
		 gzip ? "Accept-Encoding: gzip\r\n" : "");
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while ((got = read(fd, r + n, cap - n - 1)) > 0) {
		n += (size_t)got;
		if (n + 1 == cap) {
			r = __real_realloc(r, cap *= 2);
			assert_non_null(r);
		}
	}
	close(fd);
	r[n] = 0;
	end = strstr(r, "\r\n\r\n");
	if (!end || sscanf(r, "HTTP/1.1 %d", &status) != 1)
		fail_msg("refusal %ld: not an HTTP response: '%.80s'",
			 refuse_at, r);
	*end = 0;
	*gzipped = strcasestr(r, "\r\ncontent-encoding: gzip") != NULL;
	end += 4;
	*len = n - (size_t)(end - r);
	if (*gzipped) {
		size_t out = 4 * (1 << 20);

		*body = __real_malloc(out);
		assert_non_null(*body);
		*len = gunzip(end, *len, *body, out - 1);
	} else {
		*body = __real_malloc(*len + 1);
		assert_non_null(*body);
		memcpy(*body, end, *len);
	}
	(*body)[*len] = 0;
	__real_free(r);
	return status;
}

/* One scrape over HTTP, checked against the reference: 200 with a whole
 * exposition, gzipped when asked for unless gzip was refused memory, or
 * 500 when the exposition was. */
static void served_check(unsigned port, bool gzip, long k,
			 const struct scraped *ref)
{
	struct scraped got;
	char *text;
	size_t len;
	bool gzipped;
	int status = http_get(port, gzip, &text, &len, &gzipped);

	if (status == 500 || gzip != gzipped) {
		if (refused_phase != PH_RENDER)
			fail_msg("refusal %ld (phase %d): status %d, gzip %d "
				 "for %d",
				 k, refused_phase, status, gzipped, gzip);
		__real_free(text);
		return;
	}
	if (status != 200)
		fail_msg("refusal %ld: status %d", k, status);
	if (!fuzz_expo_ok(text, len, false))
		fail_msg("refusal %ld: a malformed exposition served", k);
	scraped_parse(&got, text, len);
	scraped_agrees(&got, ref, k);
	scraped_free(&got);
}

/* The exporter served by exporter/web/http: started, scraped plain and gzip,
 * stopped. */
static void pipeline_serve(struct exporter *x, long k, struct pipeline_ref *r)
{
	char err[256] = "";
	struct http *h;

	set_phase(PH_SETUP);
	h = http_start(x, err, sizeof(err));
	if (!h) {
		if (!strstr(err, "memory"))
			fail_msg("refusal %ld: http_start: '%s'", k, err);
		return;
	}
	set_phase(PH_RENDER);
	served_check(r->port, false, k, &r->text);
	served_check(r->port, true, k, &r->text);
	http_stop(h);
}

/* A connect by "torture" (uid 1000) to 127.0.0.1:port, refused. */
static void put_connect(FILE *out, const char *stamp, unsigned serial,
			unsigned port)
{
	fprintf(out,
		"type=SYSCALL msg=audit(%s:%u): arch=c000003e syscall=42 "
		"success=no exit=-111 a0=3 a1=7ffe a2=10 a3=0 items=0 ppid=1 "
		"pid=4000 auid=0 uid=1000 gid=0 euid=0 suid=0 fsuid=0 egid=0 "
		"sgid=0 fsgid=0 tty=(none) ses=1 comm=\"torture\" "
		"exe=\"/usr/bin/torture\" key=\"connect\"\n",
		stamp, serial);
	fprintf(out,
		"type=SOCKADDR msg=audit(%s:%u): "
		"saddr=0200%04X7F0000010000000000000000\n",
		stamp, serial, port);
	fprintf(out, "type=EOE msg=audit(%s:%u): \n", stamp, serial);
}

/* The fixture log between connects of one process to distinct ports: one
 * first (the first event that needs a record table is one that counts),
 * 600 after it (its sketch and the host's turn dense). */
static void pipeline_files(struct pipeline_ref *r)
{
	FILE *in = fopen(AE_FIXTURES "/workload.log", "r");
	int fd = mkstemp(strcpy(r->log, "/tmp/ae-torture-log.XXXXXX"));
	FILE *out = fdopen(fd, "w");
	char buf[4096];
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	put_connect(out, "1795260117.600", 10000, 1023);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	for (unsigned i = 0; i < 600; i++) {
		char stamp[32];

		snprintf(stamp, sizeof(stamp), "1795260200.%03u", i % 1000);
		put_connect(out, stamp, 900000 + i, 1024 + i);
	}
	assert_int_equal(fclose(out), 0);
	fd = mkstemp(strcpy(r->args, "/tmp/ae-torture-args.XXXXXX"));
	out = fdopen(fd, "w");
	assert_non_null(out);
	fprintf(out, "--sketch.export-registers\n--window=5m,1h,24h\n");
	assert_int_equal(fclose(out), 0);
}

static void pipeline(long k, void *arg)
{
	struct pipeline_ref *r = arg;
	char file[96], args[96], listen[64], err[256], msg[512] = "";
	char *argv[] = { (char *)"audit_exporter",
			 (char *)"--audit.source=file",
			 file,
			 args,
			 (char *)"--web.disable-exporter-metrics",
			 listen };
	struct agg_config ac = { .sketch_key = { 1, 2 },
				 .table_key = { 3, 4 },
				 .bind_slots = 64 };
	struct asm_config mc = ASM_CONFIG_DEFAULT;
	struct exporter *x = __real_calloc(1, sizeof(*x));
	FILE *cerr = fmemopen(msg, sizeof(msg) - 1, "w");
	struct source *src = NULL;
	int rc;

	assert_non_null(x);
	assert_non_null(cerr);
	snprintf(file, sizeof(file), "--audit.file=%s", r->log);
	snprintf(args, sizeof(args), "@%s", r->args);
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%u",
		 r->port);
	set_phase(PH_SETUP);
	exporter_lock_init(x);
	x->replay = true;
	rc = cfg_parse(&x->cfg, 6, argv, cerr, cerr);
	fclose(cerr);
	if (rc) {
		if (!strstr(msg, "out of memory"))
			fail_msg("refusal %ld: cfg_parse %d without saying "
				 "why: '%s'",
				 k, rc, msg);
		goto out;
	}
	ac.series_cap = x->cfg.max_series;
	ac.idle_ms = x->cfg.idle_ms;
	ac.nwindows = x->cfg.nwindows;
	memcpy(ac.windows_ms, x->cfg.windows_ms, sizeof(ac.windows_ms));
	ac.host_p = x->cfg.host_p;
	ac.proc_p = x->cfg.proc_p;
	x->budget = budget_new(x->cfg.memory_limit);
	ac.budget = mc.budget = x->budget;
	x->agg = x->budget ? agg_new(&ac) : NULL;
	x->asm = x->agg ? asm_new(&mc, agg_event, x->agg) : NULL;
	if (!x->asm) {
		assert_int_equal(errno, ENOMEM);
		goto out;
	}
	src = source_open(x, err, sizeof(err));
	if (!src) {
		if (!strstr(err, "memory"))
			fail_msg("refusal %ld: source_open: '%s'", k, err);
		goto out;
	}
	set_phase(PH_FEED);
	while ((rc = source_read(src)) > 0)
		;
	assert_int_equal(rc, 0);
	if (r->port) {
		pipeline_serve(x, k, r);
	} else {
		pipeline_render(x, EXPO_TEXT, k, &r->text);
		pipeline_render(x, EXPO_OPENMETRICS, k, &r->om);
	}
out:
	source_close(src);
	scrape_buf_drop(x);
	asm_free(x->asm);
	agg_free(x->agg);
	/* whatever failed on the way, every charge was given back */
	for (int p = 0; x->budget && p < BUDGET_NPART; p++)
		if (budget_used(x->budget, (enum budget_part)p))
			fail_msg("refusal %ld: %zu bytes of %s still charged",
				 k, budget_used(x->budget, (enum budget_part)p),
				 budget_part_name((enum budget_part)p));
	budget_free(x->budget);
	cfg_free(&x->cfg);
	exporter_lock_destroy(x);
	__real_free(x);
}

static void test_pipeline(void **state)
{
	struct pipeline_ref r = { 0 };

	(void)state;
	pipeline_files(&r);
	torture("replay pipeline", pipeline, &r);
	/* the reference saw what the log holds */
	assert_int_equal(scraped_get(&r.text, "audit_connect_total{comm="
					      "\"torture\",uid=\"1000\","
					      "auid=\"0\",family=\"inet\","
					      "protocol=\"unknown\","
					      "scope=\"loopback\","
					      "result=\"refused\"}"),
			 601);
	r.port = free_port();
	torture("replay pipeline served over HTTP", pipeline, &r);
	scraped_free(&r.text);
	scraped_free(&r.om);
	unlink(r.log);
	unlink(r.args);
}

/* ---- rules ---------------------------------------------------------------- */

extern const char default_rules_text[];

static const char more_rules[] =
	"-b 8192\n"
	"-f 1\n"
	"-a always,exit -F arch=b64 -S connect,bind,listen -F key=net\n"
	"-a exit,always -F arch=b32 -S socketcall -F a0=3 -k net32\n"
	"-w /etc/passwd -p wa -k identity\n"
	"-a always,exit -F dir=/etc/ssh -F perm=r -F auid>=1000 "
	"-F auid!=unset -k ssh_read\n"
	"-a always,exit -S execve -F success=1 -F key=exec -F key=second\n";
/* libaudit asks the kernel whether it filters on exe, which only root may
 * ask: as a normal user the rule is left out (test_rules probes it). */
static const char exe_rule[] = "-a never,exit -F exe=/usr/bin/true\n";
static bool with_exe;

static void rules(long k, void *arg)
{
	size_t *count = arg, len = strlen(default_rules_text);
	char *text = __real_malloc(len + sizeof(more_rules) + sizeof(exe_rule));
	struct rules_error err;
	struct rules_set *rs;

	assert_non_null(text);
	memcpy(text, default_rules_text, len);
	memcpy(text + len, more_rules, sizeof(more_rules));
	if (with_exe)
		strcat(text + len, exe_rule);
	rs = rules_parse_text(text, strlen(text), "torture", &err);
	__real_free(text);
	if (!rs) {
		if (errno != ENOMEM)
			fail_msg("refusal %ld: rules: errno %d (%s)", k, errno,
				 err.msg);
		return;
	}
	if (k == 0)
		*count = rules_count(rs);
	else
		assert_int_equal(rules_count(rs), *count);
	rules_set_free(rs);
}

static void test_rules(void **state)
{
	struct rules_set *exe =
		rules_parse_text(exe_rule, strlen(exe_rule), "exe", NULL);
	size_t count = 0;

	(void)state;
	with_exe = exe != NULL;
	rules_set_free(exe);
	torture("rules", rules, &count);
	assert_true(count >= 8);
}

/* ---- web configuration ---------------------------------------------------- */

static const char web_text[] =
	"tls_server_config:\n"
	"  cert_file: server.crt\n"
	"  key_file: server.key\n"
	"  client_auth_type: RequireAndVerifyClientCert\n"
	"  client_ca_file: ca.crt\n"
	"  client_allowed_sans: [client.example, 127.0.0.1]\n"
	"  min_version: TLS12\n"
	"  cipher_suites:\n"
	"    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
	"    - TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA\n"
	"  curve_preferences: [X25519, CurveP256]\n"
	"http_server_config:\n"
	"  headers:\n"
	"    X-Frame-Options: deny\n"
	"    Content-Security-Policy: \"default-src 'self'\"\n"
	"basic_auth_users:\n"
	"  alice: "
	"$2y$04$NvdZoM1chW2OxvUvGWvHbuAdePf1p/FcP1fs7fyzZpFG848TtoIfK\n"
	"rate_limit:\n"
	"  interval: 1s\n"
	"  burst: 3\n";

static void web(long k, void *arg)
{
	char err[256] = "";
	struct webcfg *w;

	(void)arg;
	w = webcfg_parse(web_text, sizeof(web_text) - 1, "web.yml", err,
			 sizeof(err));
	if (!w) {
		if (errno != ENOMEM)
			fail_msg("refusal %ld: web config: errno %d (%s)", k,
				 errno, err);
		return;
	}
	assert_true(w->tls);
	assert_int_equal(w->nusers, 1);
	assert_int_equal(w->nheaders, 2);
	assert_int_equal(w->nallowed_sans, 2);
	webcfg_free(w);
}

static void test_web_config(void **state)
{
	(void)state;
	torture("web configuration", web, NULL);
}

/* The same file with the files it names (a certificate from openssl,
 * also its own client CA), opened, used, loaded again (SIGHUP) and closed
 * through exporter/web/webctx: what a serving exporter does with it. */
struct web_files {
	char dir[64], path[96];
};

static void web_files(long k, void *arg)
{
	const struct web_files *d = arg;
	char err[1024] = "";
	struct webctx_file *f = webctx_file_open(d->path, err, sizeof(err));
	struct webctx *c;

	if (!f) {
		if (!strstr(err, "memory"))
			fail_msg("refusal %ld: webctx_file_open: '%s'", k, err);
		return;
	}
	c = webctx_acquire(f);
	assert_non_null(c);
	assert_true(c->web->tls);
	assert_int_equal(c->web->nusers, 1);
	webctx_release(c);
	webctx_reload(f); /* a failure keeps the configuration in force */
	c = webctx_acquire(f);
	assert_non_null(c);
	assert_true(c->web->tls);
	webctx_release(c);
	webctx_file_close(f);
}

static void test_web_files(void **state)
{
	struct web_files d;
	char cmd[512];
	FILE *f;

	(void)state;
	if (system("command -v openssl >/dev/null"))
		skip();
	assert_non_null(mkdtemp(strcpy(d.dir, "/tmp/ae-torture-web.XXXXXX")));
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
		 "-subj /CN=torture -keyout %s/server.key -out %s/server.crt "
		 "2>/dev/null",
		 d.dir, d.dir);
	assert_int_equal(system(cmd), 0);
	snprintf(d.path, sizeof(d.path), "%s/web.yml", d.dir);
	f = fopen(d.path, "w");
	assert_non_null(f);
	fputs(web_text, f);
	assert_int_equal(fclose(f), 0);
	/* web_text names ca.crt as the client CA */
	snprintf(cmd, sizeof(cmd), "cp %s/server.crt %s/ca.crt", d.dir, d.dir);
	assert_int_equal(system(cmd), 0);
	log_setup("error", "logfmt"); /* not a line per load */
	torture("web configuration files", web_files, &d);
	snprintf(cmd, sizeof(cmd), "rm -r %s", d.dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_web_config),
		cmocka_unit_test(test_web_files),
		cmocka_unit_test(test_pipeline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
