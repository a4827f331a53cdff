#!/bin/sh
# HTTP behaviour, without the kernel: a file replay without --once keeps
# serving its final metrics, and the server answers as Prometheus and
# people expect: /metrics in text 0.0.4 (or OpenMetrics when asked for by
# Accept, gzip when allowed), a landing page at /, 404 elsewhere, 405 for
# other methods, HEAD without a body. promtool checks every exposition.
. "$(dirname "$0")/lib.sh"

fx=$AE_ROOT/tests/fixtures
port=$(ae_free_port)
ae_spawn "$AE_BIN" --baseline.file= --audit.source=file --audit.file="$fx/workload.log" \
	--sketch.key-file="$fx/sketch.key" --web.listen-address="127.0.0.1:$port" \
	--log.level=warn
pid=$ae_last_pid
ae_wait_http "$port" || ae_fail "exporter did not come up"
url=http://127.0.0.1:$port

# the replay finished and is still served
ae_scrape "$port" "$ae_tmp/m"
ae_expect "$ae_tmp/m" 'audit_exporter_source_up{source="file"}' 0
ae_check_expect "$ae_tmp/m" "$fx/workload.expect" || ae_fail "served metrics"
ae_promtool_check "$ae_tmp/m"

hdr() { # url curl-args...: headers of a GET, lower-cased
	u=$1
	shift
	curl -s -o "$ae_tmp/body" -D - "$@" "$u" | tr -d '\r' | tr 'A-Z' 'a-z'
}
hdr "$url/metrics" >"$ae_tmp/h"
grep -qx 'http/1.1 200 ok' "$ae_tmp/h" || ae_fail "/metrics status"
grep -qx 'content-type: text/plain; version=0.0.4; charset=utf-8' "$ae_tmp/h" ||
	ae_fail "/metrics content type: $(grep content-type "$ae_tmp/h")"

hdr "$url/metrics" -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' >"$ae_tmp/h"
grep -qx 'content-type: application/openmetrics-text; version=1.0.0; charset=utf-8' "$ae_tmp/h" ||
	ae_fail "OpenMetrics content type"
[ "$(tail -n 1 "$ae_tmp/body")" = "# EOF" ] || ae_fail "OpenMetrics must end with # EOF"
grep -q '^# TYPE audit_connect counter$' "$ae_tmp/body" ||
	ae_fail "OpenMetrics counter family name keeps no _total"
ae_check_expect "$ae_tmp/body" "$fx/workload.expect" || ae_fail "OpenMetrics samples"

hdr "$url/metrics" -H 'Accept-Encoding: gzip' >"$ae_tmp/h"
grep -qx 'content-encoding: gzip' "$ae_tmp/h" || ae_fail "no gzip"
gzip -dc <"$ae_tmp/body" >"$ae_tmp/unzipped" || ae_fail "bad gzip body"
ae_check_expect "$ae_tmp/unzipped" "$fx/workload.expect" || ae_fail "gzip samples"
ae_promtool_check "$ae_tmp/unzipped"
hdr "$url/metrics" -H 'Accept-Encoding: gzip;q=0, identity' >"$ae_tmp/h"
grep -q 'content-encoding' "$ae_tmp/h" && ae_fail "gzip refused but sent"

hdr "$url/" >"$ae_tmp/h"
grep -qx 'http/1.1 200 ok' "$ae_tmp/h" || ae_fail "landing page status"
grep -q 'href="/metrics"' "$ae_tmp/body" || ae_fail "landing page has no link"
hdr "$url/nope" >"$ae_tmp/h"
grep -qx 'http/1.1 404 not found' "$ae_tmp/h" || ae_fail "unknown path is not 404"
hdr "$url/metrics" -X POST -d x=1 >"$ae_tmp/h"
grep -qx 'http/1.1 405 method not allowed' "$ae_tmp/h" || ae_fail "POST is not 405"
grep -qx 'allow: get, head' "$ae_tmp/h" || ae_fail "405 without Allow"
curl -s -I "$url/metrics" | tr -d '\r' | grep -qi '^HTTP/1.1 200' || ae_fail "HEAD"
[ -z "$(curl -s -I "$url/metrics" -o /dev/null -w '%{size_download}' | tr -d 0)" ] ||
	ae_fail "HEAD sent a body"

kill -TERM "$pid"
ae_wait_exit "$pid" 1 || ae_fail "did not stop within 1 s"
echo "http: statuses, formats and encodings as expected"
