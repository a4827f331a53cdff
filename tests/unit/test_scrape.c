/*
 * Unit tests for exporter/scrape: health samples that come from other
 * modules' counters reach the exposition.
 *
 * The netlink socket (netlink/nl) counts datagrams it cannot hand to the
 * parser: larger than a receive slot (MSG_TRUNC) and shorter than a
 * netlink header. The reader copies those counters into the exporter's
 * source stats; a scrape must show them as
 * audit_exporter_parse_errors_total{reason="truncated_datagram"} and
 * {reason="short_datagram"}, added to what the parser itself counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "exporter/agg.h"
#include "exporter/cfg.h"
#include "exporter/exporter.h"
#include "exporter/scrape.h"
#include "metrics/dbuf.h"
#include "tests/unit/feed.h"

static struct exporter x;

static int setup(void **state)
{
	char *argv[] = { (char *)"audit_exporter",
			 (char *)"--audit.source=stdin",
			 (char *)"--web.disable-exporter-metrics" };
	struct agg_config ac = { .sketch_key = { 1, 2 },
				 .table_key = { 3, 4 },
				 .bind_slots = 64 };

	(void)state;
	memset(&x, 0, sizeof(x));
	exporter_lock_init(&x);
	x.replay = true;
	if (cfg_parse(&x.cfg, 3, argv, stderr, stderr))
		return -1;
	ac.series_cap = x.cfg.max_series;
	ac.nwindows = x.cfg.nwindows;
	memcpy(ac.windows_ms, x.cfg.windows_ms, sizeof(ac.windows_ms));
	ac.host_p = x.cfg.host_p;
	ac.proc_p = x.cfg.proc_p;
	x.agg = agg_new(&ac);
	x.asm = x.agg ? asm_new(NULL, agg_event, x.agg) : NULL;
	x.src.last_event_ms = INT64_MIN;
	return x.asm ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	scrape_buf_drop(&x);
	asm_free(x.asm);
	agg_free(x.agg);
	cfg_free(&x.cfg);
	exporter_lock_destroy(&x);
	return 0;
}

/* The exposition in the text format, NUL-terminated in out. */
static void render(struct dbuf *out)
{
	render_text(&x, out);
}

static void test_datagram_errors(void **state)
{
	struct dbuf out;

	(void)state;
	render(&out);
	assert_non_null(strstr(out.p, "\naudit_exporter_parse_errors_total{"
				      "reason=\"truncated_datagram\"} 0\n"));
	assert_non_null(strstr(out.p, "\naudit_exporter_parse_errors_total{"
				      "reason=\"short_datagram\"} 0\n"));
	dbuf_free(&out);
	/* what source_drain copies from nl_audit_stats */
	x.src.nl.truncated = 3;
	x.src.nl.malformed = 2;
	x.src.nl.overruns = 5;
	/* and one the parser's side counted, which adds up */
	agg_error(x.agg, AGG_E_DATAGRAM);
	render(&out);
	assert_non_null(strstr(out.p, "\naudit_exporter_parse_errors_total{"
				      "reason=\"truncated_datagram\"} 4\n"));
	assert_non_null(strstr(out.p, "\naudit_exporter_parse_errors_total{"
				      "reason=\"short_datagram\"} 2\n"));
	assert_non_null(strstr(out.p, "\naudit_exporter_socket_overruns_total "
				      "5\n"));
	assert_non_null(strstr(out.p, "\naudit_exporter_parse_errors_total{"
				      "reason=\"header\"} 0\n"));
	dbuf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_datagram_errors, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
