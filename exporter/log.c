/*
 * log: leveled, structured logging, as the Prometheus ecosystem does it.
 *
 *   logfmt: ts=2026-11-21T11:05:00.123Z level=info msg="listening" address=:10043
 *   json:   {"ts":"2026-11-21T11:05:00.123Z","level":"info","msg":"listening","address":":10043"}
 *
 * Keys and values are strings; values are quoted when they need it and
 * escaped either way, so a hostile process name in a message cannot forge a
 * log line. Each line is formatted into a bounded stack buffer and written
 * with one write(2), so lines from different threads never interleave.
 *
 * The level and format are set once at start-up, before threads exist;
 * they are the only process-wide settings besides the signal flag.
 */
#include "exporter/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE 4096

static enum log_level log_threshold = LOG_INFO;
static bool log_json;

static const char *const log_level_names[] = { "debug", "info", "warn",
					       "error" };

int log_level_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (name && !strcmp(name, log_level_names[i]))
			return i;
	return -1;
}

bool log_format_valid(const char *name)
{
	return name && (!strcmp(name, "logfmt") || !strcmp(name, "json"));
}

int log_setup(const char *level, const char *format)
{
	int found = log_level_parse(level);

	if (found < 0 || !log_format_valid(format))
		return -EINVAL;
	log_threshold = (enum log_level)found;
	log_json = !strcmp(format, "json");
	return 0;
}

struct log_buf {
	char p[LOG_LINE];
	size_t n;
};

static void log_put(struct log_buf *b, const char *s, size_t len)
{
	if (b->n + len > sizeof(b->p) - 2)
		len = sizeof(b->p) - 2 - b->n;
	memcpy(b->p + b->n, s, len);
	b->n += len;
}

static void log_puts(struct log_buf *b, const char *s)
{
	log_put(b, s, strlen(s));
}

static void log_value(struct log_buf *b, const char *v, bool force_quote)
{
	bool quote = force_quote || log_json || !*v;

	for (const char *p = v; *p && !quote; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    (unsigned char)*p >= 0x7f)
			quote = true;
	if (quote)
		log_put(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		char esc[8];

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			log_put(b, esc, 2);
		} else if (*p == '\n') {
			log_put(b, "\\n", 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			log_puts(b, esc);
		} else {
			log_put(b, (const char *)p, 1);
		}
	}
	if (quote)
		log_put(b, "\"", 1);
}

static void log_field(struct log_buf *b, const char *k, const char *v,
		      bool first)
{
	if (log_json) {
		log_puts(b, first ? "{" : ",");
		log_value(b, k, true);
		log_put(b, ":", 1);
	} else {
		if (!first)
			log_put(b, " ", 1);
		log_puts(b, k);
		log_put(b, "=", 1);
	}
	log_value(b, v ? v : "", false);
}

void log_kv(enum log_level level, const char *msg, ...)
{
	struct log_buf b = { .n = 0 };
	struct timeval tv;
	struct tm tm;
	char ts[64];
	va_list ap;
	int saved = errno;

	if (level < log_threshold)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000) % 1000);
	log_field(&b, "ts", ts, true);
	log_field(&b, "level", log_level_names[level], false);
	log_field(&b, "msg", msg, false);
	va_start(ap, msg);
	for (;;) {
		const char *k = va_arg(ap, const char *);
		const char *v;

		if (!k)
			break;
		v = va_arg(ap, const char *);
		log_field(&b, k, v, false);
	}
	va_end(ap);
	if (log_json)
		log_put(&b, "}", 1);
	b.p[b.n++] = '\n';
	if (write(STDERR_FILENO, b.p, b.n) < 0) {
		/* nowhere left to report it */
	}
	errno = saved;
}
