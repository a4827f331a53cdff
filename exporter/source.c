/*
 * source: where records come from, and the one path they all take.
 *
 *   unicast, multicast   the audit netlink socket (kaudit sets it up);
 *                        records arrive one per datagram, in batches
 *   plugin, stdin, file  audit.log text, one record per line (plugin:
 *                        auditd's live feed of this host on stdin; stdin
 *                        and file: a replay of a log from anywhere)
 *
 * Every record goes through source_record(): parse the header
 * (netlink/arec), count it by type, hand it to the assembler, which calls
 * the aggregator once per event. The reader thread does all of it, holding
 * the exporter's lock per batch: one recvmmsg() drain or one read() chunk,
 * each through exporter_batch (exporter/lock.c), so this file never takes
 * the lock itself.
 * It also talks to the kernel (status each second, the rules' watch keys,
 * a reload), and keeps draining the event socket while it awaits a reply.
 *
 * Text input is read in chunks into a fixed buffer; lines are cut at '\n'
 * and never copied. A line longer than SRC_LINE_MAX is not kept: the reader
 * skips to the next newline and counts one line_too_long error, so memory
 * stays bounded whatever arrives on stdin (NUL bytes are a parse error of
 * the line, not the end of it).
 *
 * The clock: live sources use the wall clock; a replay uses the events' own
 * time (so results are deterministic): the aggregator's event clock, which
 * one absurd stamp cannot move (exporter/evclock.c). Each time a record
 * moves it, the assembler is ticked before the record is pushed, so events
 * time out and gaps are judged as the log's clock passes, wherever the
 * reads cut the input: file, `stdin < FILE` and `cat FILE |` give one
 * answer. (A log without EOE records that spans a reboot merged events of
 * the new boot into still-open events of the old one with the same serial
 * when the timeout ran only between 1 MiB reads.) The ticks of the reader
 * loop and after each read then find nothing to do, as asm_tick at an
 * unchanged clock does nothing. plugin is a live feed (and stdin may be
 * one): there the event clock also advances with wall time while the
 * input is idle, so that open events still time out and windows still
 * slide on a quiet host.
 */
#include "exporter/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter/exporter.h"
#include "netlink/kaudit.h"
#include "exporter/log.h"
#include "netlink/arec.h"
#include "netlink/rules.h"

#define SRC_BUF (1024 * 1024)
#define SRC_LINE_MAX (256 * 1024)
#define SRC_POLL_MS 1000
#define SRC_KEYS_MS 10000 /* how often the kernel's watch keys are read */

struct source {
	struct exporter *x;
	enum cfg_source kind;
	struct kaudit *ka;
	bool broken; /* the event socket failed: replace it */
	int fd; /* text input */
	bool eof;
	char *buf;
	size_t len;
	bool skipping; /* inside an over-long line */
	int64_t last_poll_ms;
	int64_t last_keys_ms;
	struct rules_keyset *kernel_keys; /* watch keys of the kernel's rules */
};

int64_t exporter_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t exporter_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t exporter_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t exporter_now_ms(const struct exporter *x)
{
	int64_t t = x->src.last_event_ms;
	int64_t idle;

	if (!x->replay)
		return exporter_wall_ms();
	if (t == INT64_MIN)
		return 0;
	idle = exporter_mono_ms() - x->src.last_input_mono;
	if (cfg_source_is_feed(x->cfg.source) && x->src.up && idle > 1000)
		t += idle - 1000;
	return t;
}

/* One parsed record: counted, then assembled. Lock held. */
static void source_record(struct exporter *x, const struct arec_hdr *h)
{
	int64_t t;

	agg_record(x->agg, h); /* moves the event clock */
	t = agg_clock(x->agg);
	if (t > x->src.last_event_ms) {
		x->src.last_event_ms = t;
		if (x->replay)
			asm_tick(x->asm, t);
	}
	/* live: the wall clock read once per received batch, not per record */
	asm_push(x->asm, h, x->replay ? t : x->src.arrival_ms);
}

static void source_nl_record(void *arg, uint16_t type, const char *text,
			     size_t len)
{
	struct exporter *x = arg;
	struct arec_hdr h;
	int rc = arec_parse_payload(type, text, len, &h);

	if (rc)
		agg_error(x->agg, agg_err_from_arec(rc));
	else
		source_record(x, &h);
}

/* One record, for exporter_batch. */
struct source_rec {
	uint16_t type;
	const char *text;
	size_t len;
};

static int source_nl_one(struct exporter *x, void *arg)
{
	const struct source_rec *r = arg;

	source_nl_record(x, r->type, r->text, r->len);
	return 0;
}

static void source_nl_record_locked(void *arg, uint16_t type, const char *text,
				    size_t len)
{
	struct source_rec r = { type, text, len };

	exporter_batch(arg, source_nl_one, &r);
}

/* Watch keys: those of the kernel's file-watch rules when they can be read
 * (netlink sources, a privileged auditd plugin), and those of the rules
 * file. Called by the aggregator under the lock. */
static bool source_watch_key(void *arg, const char *key, size_t len)
{
	struct source *s = arg;

	return rules_keyset_has(s->kernel_keys, key, len) ||
	       (s->x->rules && rules_is_watch_key(s->x->rules, key, len));
}

/* Reads the kernel's watch keys; without them (and without a rules file)
 * the aggregator falls back to its heuristic. */
/* How watch keys are told: by the kernel's keys or the rules file when
 * there are any, else by the shape of the event (agg.h). */
static void source_watch_update(struct source *s)
{
	if (s->kernel_keys || s->x->rules)
		agg_set_watch(s->x->agg, source_watch_key, s);
	else
		agg_set_watch(s->x->agg, NULL, NULL);
}

struct source_keys {
	struct source *s;
	struct rules_keyset *ks; /* the kernel's keys read now (NULL: none) */
};

static int source_keys_batch(struct exporter *x, void *arg)
{
	struct source_keys *k = arg;

	(void)x;
	if (k->ks || k->s->kernel_keys) {
		rules_keyset_free(k->s->kernel_keys);
		k->s->kernel_keys = k->ks;
	}
	source_watch_update(k->s);
	return 0;
}

static void source_kernel_keys(struct source *s, struct nl_audit *ctl)
{
	struct source_keys k = { .s = s };

	if (rules_kernel_watch_keys(ctl, &k.ks) != 0)
		k.ks = NULL;
	exporter_batch(s->x, source_keys_batch, &k);
}

/* No watch keys: the source is going away (or never started). */
static int source_unwatch_batch(struct exporter *x, void *arg)
{
	(void)arg;
	agg_set_watch(x->agg, NULL, NULL);
	return 0;
}

static void source_line(struct exporter *x, const char *line, size_t len)
{
	struct arec_hdr h;
	int rc;

	if (len && line[len - 1] == '\r')
		len--;
	if (!len)
		return;
	rc = arec_parse_line(line, len, &h);
	if (rc)
		agg_error(x->agg, agg_err_from_arec(rc));
	else
		source_record(x, &h);
}

/* Receives what the event socket holds, under the lock: for the reader's
 * poll, and for the control socket while it awaits a reply. A broken socket
 * is remembered for source_read to replace. */
static int source_drain_batch(struct exporter *x, void *arg)
{
	struct source *s = arg;
	int rc;

	x->src.arrival_ms = exporter_wall_ms();
	rc = nl_audit_recv(kaudit_events(s->ka), source_nl_record, x);
	x->src.nl = *nl_audit_stats(kaudit_events(s->ka));
	return rc;
}

static int source_drain(void *arg)
{
	struct source *s = arg;
	int rc = exporter_batch(s->x, source_drain_batch, s);

	if (rc < 0)
		s->broken = true;
	return rc;
}

/* The kernel side starts (kaudit_start), for exporter_batch: the records
 * it delivers meanwhile are handed on under the lock. */
struct source_start {
	struct source *s;
	struct kaudit_opts ko;
	char *err;
	size_t errlen;
};

static int source_start_batch(struct exporter *x, void *arg)
{
	struct source_start *st = arg;

	x->src.arrival_ms = exporter_wall_ms();
	st->s->ka = kaudit_start(&st->ko, x->cfg.load_rules ? x->rules : NULL,
				 source_nl_record, x, st->err, st->errlen);
	x->src.up = st->s->ka != NULL;
	return 0;
}

struct source *source_open(struct exporter *x, char *err, size_t errlen)
{
	struct source *s = calloc(1, sizeof(*s));
	struct source_start st;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->x = x;
	s->kind = x->cfg.source;
	s->fd = -1;
	x->replay = cfg_source_is_text(s->kind);
	x->src.last_event_ms = INT64_MIN;
	switch (s->kind) {
	case CFG_UNICAST:
	case CFG_MULTICAST:
		cfg_kaudit_opts(&x->cfg, &st.ko);
		st.s = s;
		st.err = err;
		st.errlen = errlen;
		exporter_batch(x, source_start_batch, &st);
		if (!s->ka)
			goto fail;
		x->ka = s->ka;
		nl_audit_set_drain(kaudit_control(s->ka), kaudit_events(s->ka),
				   source_drain, s);
		/* the first poll also tells whether the source delivers */
		source_tick(s);
		return s;
	case CFG_STDIN:
	case CFG_PLUGIN:
		/* an auditd plugin runs as root: learn the watch keys */
		{
			struct nl_audit *ctl = nl_audit_open(NL_CONTROL, 0);

			if (ctl) {
				source_kernel_keys(s, ctl);
				nl_audit_close(ctl);
			}
		}
		s->fd = STDIN_FILENO;
		fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
		break;
	case CFG_FILE:
		s->fd = open(x->cfg.audit_file, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0) {
			snprintf(err, errlen, "cannot open %s: %s",
				 x->cfg.audit_file, strerror(errno));
			goto fail;
		}
		break;
	}
	s->buf = malloc(SRC_BUF);
	if (!s->buf) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (x->rules && !s->kernel_keys)
		exporter_batch(x, source_keys_batch,
			       &(struct source_keys){ .s = s });
	x->src.up = true;
	x->src.last_input_mono = exporter_mono_ms();
	return s;
fail:
	if (s->fd > STDIN_FILENO)
		close(s->fd);
	exporter_batch(x, source_unwatch_batch, NULL);
	rules_keyset_free(s->kernel_keys);
	free(s->buf);
	free(s);
	return NULL;
}

int source_fd(const struct source *s)
{
	if (s->ka)
		return nl_audit_fd(kaudit_events(s->ka));
	return s->eof ? -1 : s->fd;
}

/* Processes the complete lines in the buffer, keeps the partial tail. */
static void source_lines(struct source *s)
{
	char *p = s->buf, *end = s->buf + s->len;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			break;
		if (s->skipping)
			s->skipping = false; /* the over-long line ends here */
		else if ((size_t)(nl - p) > SRC_LINE_MAX)
			/* too long even when it arrived whole in one read:
			 * the bound must not depend on how reads cut lines */
			agg_error(s->x->agg, AGG_E_LINE_TOO_LONG);
		else
			source_line(s->x, p, (size_t)(nl - p));
		p = nl + 1;
	}
	s->len = (size_t)(end - p);
	if (s->len && p != s->buf)
		memmove(s->buf, p, s->len);
	if (s->len > SRC_LINE_MAX) {
		/* no newline within the limit: drop it, skip to the next */
		if (!s->skipping)
			agg_error(s->x->agg, AGG_E_LINE_TOO_LONG);
		s->skipping = true;
		s->len = 0;
	}
}

struct source_chunk {
	struct source *s;
	ssize_t n; /* bytes read() added after s->len (0: end of input) */
};

/* One read() chunk of text: its whole lines to the parser, or the end. */
static int source_chunk_batch(struct exporter *x, void *arg)
{
	struct source_chunk *c = arg;
	struct source *s = c->s;
	ssize_t n = c->n;

	if (n == 0) {
		/* a last line without newline still counts */
		if (s->len && !s->skipping)
			source_line(x, s->buf, s->len);
		s->len = 0;
		asm_flush(x->asm);
		x->src.up = false;
		s->eof = true;
	} else {
		/* a live plugin's clock went on while its input was idle: the
		 * first record after a quiet spell is no leap (evclock.c) */
		if (cfg_source_is_feed(s->kind))
			agg_clock_advance(x->agg, exporter_now_ms(x));
		s->len += (size_t)n;
		source_lines(s);
		x->src.last_input_mono = exporter_mono_ms();
		asm_tick(x->asm, exporter_now_ms(x));
	}
	return 0;
}

static int source_read_text(struct source *s)
{
	struct source_chunk c = { .s = s };

	if (s->eof)
		return 0;
	c.n = read(s->fd, s->buf + s->len, SRC_BUF - s->len);
	if (c.n < 0)
		return errno == EAGAIN || errno == EINTR ? 1 : -errno;
	exporter_batch(s->x, source_chunk_batch, &c);
	return s->eof ? 0 : 1;
}

/* The event socket is gone or broken (EAGAIN and ENOBUFS are no failure):
 * a fresh one, and the daemon role back. */
static int source_mend_batch(struct exporter *x, void *arg)
{
	struct source *s = arg;

	x->src.up = false;
	return kaudit_recover(s->ka, source_nl_record, x);
}

static void source_mend(struct source *s)
{
	if (!s->broken)
		return;
	s->broken = false;
	exporter_batch(s->x, source_mend_batch, s);
}

int source_read(struct source *s)
{
	if (!s->ka)
		return source_read_text(s);
	source_drain(s);
	source_mend(s);
	return 1;
}

/* The assembler's timeouts, on the source clock. */
static int source_tick_batch(struct exporter *x, void *arg)
{
	(void)arg;
	asm_tick(x->asm, exporter_now_ms(x));
	return 0;
}

void source_tick(struct source *s)
{
	struct exporter *x = s->x;
	int64_t mono = exporter_mono_ms();

	if (!s->eof)
		exporter_batch(x, source_tick_batch, NULL);
	if (s->ka && mono - s->last_poll_ms >= SRC_POLL_MS) {
		struct kaudit_snap snap;
		int up;

		s->last_poll_ms = mono;
		/* records that arrive while re-registering: about now */
		exporter_kernel_get(x, &snap);
		/* the poll talks to the kernel: not under the lock, and
		 * records that arrive while re-registering take it there */
		up = kaudit_poll(s->ka, &snap, source_nl_record_locked, x);
		exporter_kernel_note(x, &snap, up);
		/* a drain during the poll may have found the socket broken */
		source_mend(s);
	}
	if (s->ka &&
	    (s->last_keys_ms == 0 || mono - s->last_keys_ms >= SRC_KEYS_MS)) {
		s->last_keys_ms = mono;
		source_kernel_keys(s, kaudit_control(s->ka));
	}
}

void source_reload(struct source *s)
{
	struct exporter *x = s->x;
	struct rules_error rerr;
	struct rules_set *rs;
	char msg[700];

	if (!x->cfg.rules_file) {
		log_info("SIGHUP: the bundled rules do not change; nothing to "
			 "reload");
		return;
	}
	rs = rules_parse_file(x->cfg.rules_file, &rerr);
	if (!rs) {
		log_error("SIGHUP: rules file not reloaded; the old rules stay",
			  "reason", rules_error_str(&rerr, msg, sizeof(msg)));
		return;
	}
	if (s->ka && x->cfg.load_rules &&
	    kaudit_reload(s->ka, rs, msg, sizeof(msg))) {
		log_error("SIGHUP: rules not reloaded; the old rules stay",
			  "reason", msg);
		rules_set_free(rs);
		return;
	}
	exporter_rules_swap(x, rs);
	if (s->ka)
		source_kernel_keys(s, kaudit_control(s->ka));
	log_info("SIGHUP: rules reloaded", "file", x->cfg.rules_file);
}

void source_close(struct source *s)
{
	if (!s)
		return;
	if (s->ka) {
		nl_audit_set_drain(kaudit_control(s->ka), NULL, NULL, NULL);
		kaudit_stop(s->ka);
		s->x->ka = NULL;
	}
	if (s->fd > STDIN_FILENO)
		close(s->fd);
	exporter_batch(s->x, source_unwatch_batch, NULL);
	rules_keyset_free(s->kernel_keys);
	free(s->buf);
	free(s);
}
