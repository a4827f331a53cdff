#!/bin/sh
# Cardinality, without the kernel: synthetic logs whose answer is known by
# construction (tests/tools/loggen) replayed through the exporter.
#   1. 20,000 distinct process names, 2 connects each, default cap 10,000:
#      10,000 label sets of their own plus the folded one per metric; the
#      folded series holds exactly the updates beyond the cap, sums over
#      the metric are exact, the fold is counted; without a cap, no fold.
#   2. memory: 20,000 processes x 50 destinations (a million distinct
#      destinations) stay far under the 256 MiB budget (bound checked:
#      128 MiB peak RSS).
#   3. label sets idle longer than --metrics.idle-timeout (on the events'
#      clock) are dropped; windowed gauges answer for their windows.
. "$(dirname "$0")/lib.sh"
gen=$AE_TOOLS/loggen
key=$AE_ROOT/tests/fixtures/sketch.key

sum_metric() { # file metric: sum of every sample of the metric
	awk -v m="$2" 'index($0, m "{") == 1 { s += $NF } END { printf "%d", s }' "$1"
}

# --- 1. caps and sums ------------------------------------------------------------
"$gen" --procs 20000 --dests 2 >"$ae_tmp/flood.log"
"$AE_BIN" --baseline.file= --audit.source=file --audit.file="$ae_tmp/flood.log" --once \
	--sketch.key-file="$key" >"$ae_tmp/capped.prom" || ae_fail "replay failed"
f=$ae_tmp/capped.prom
ae_promtool_check "$f"
ae_expect "$f" 'audit_exporter_series{metric="audit_connect"}' 10001
ae_expect "$f" 'audit_exporter_series{metric="audit_process_connect_unique_destinations"}' 10001
ae_expect "$f" 'audit_exporter_series_folded_total{metric="audit_connect"}' 20000
ae_expect "$f" 'audit_connect_total{comm="__other__",uid="__other__",family="inet",result="success"}' 20000
ae_expect "$f" 'audit_connect_total{comm="p0",uid="1000",family="inet",result="success"}' 2
ae_expect "$f" 'audit_connect_total{comm="p9999",uid="1000",family="inet",result="success"}' 2
ae_expect "$f" 'audit_connect_total{comm="p10000",uid="1000",family="inet",result="success"}' absent
[ "$(sum_metric "$f" audit_connect_total)" = 40000 ] ||
	ae_fail "sum of audit_connect_total is $(sum_metric "$f" audit_connect_total), not 40000"
# the folded process sketch is the union of the 10,000 folded processes'
# 20,000 destinations (p=12: 1.6% standard error; 4 of them allowed)
v=$(ae_value "$f" 'audit_process_connect_unique_destinations{comm="__other__",uid="__other__",window="5m"}')
awk -v v="$v" 'BEGIN { exit !(v >= 20000 * 0.935 && v <= 20000 * 1.065) }' ||
	ae_fail "folded unique destinations $v, not 20000 within 6.5%"
"$AE_BIN" --baseline.file= --audit.source=file --audit.file="$ae_tmp/flood.log" --once \
	--sketch.key-file="$key" --metrics.max-series=0 >"$ae_tmp/uncapped.prom" ||
	ae_fail "uncapped replay failed"
ae_expect "$ae_tmp/uncapped.prom" 'audit_exporter_series{metric="audit_connect"}' 20000
ae_expect "$ae_tmp/uncapped.prom" 'audit_exporter_series_folded_total{metric="audit_connect"}' 0
rm "$ae_tmp/flood.log"

# --- 2. memory: a million destinations over 20,000 processes ---------------------
ae_fed_exporter "$(ae_free_port)" "'$gen' --procs 20000 --dests 50" \
	--sketch.key-file="$key" --metrics.max-series=20000
exporter=$ae_last_pid
ae_expect "$ae_tmp/m" 'audit_exporter_series{metric="audit_process_connect_unique_destinations"}' 20000
[ "$(sum_metric "$ae_tmp/m" audit_connect_total)" = 1000000 ] ||
	ae_fail "sum of audit_connect_total is not 1000000"
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$exporter/status")
echo "20,000 processes x 50 destinations: peak RSS ${hwm} KiB"
# a sanitizer's own memory is not the exporter's: the bound is for release
# builds
ae_sanitized || [ "$hwm" -lt $((128 * 1024)) ] ||
	ae_fail "peak RSS $hwm KiB over 128 MiB"
ae_stop_pid "$exporter"

# --- 3. idle label sets dropped on the events' clock -------------------------------
"$gen" --procs 100 --dests 1 --prefix a --start 1795000000 --spread 60 \
	>"$ae_tmp/idle.log"
"$gen" --procs 100 --dests 1 --prefix b --first 100 --start 1795000600 \
	--spread 60 --serial 5000 >>"$ae_tmp/idle.log"
"$AE_BIN" --baseline.file= --audit.source=file --audit.file="$ae_tmp/idle.log" --once \
	--sketch.key-file="$key" --metrics.idle-timeout=5m >"$ae_tmp/idle.prom" ||
	ae_fail "idle replay failed"
f=$ae_tmp/idle.prom
ae_expect "$f" 'audit_connect_total{comm="a0",uid="1000",family="inet",result="success"}' absent
ae_expect "$f" 'audit_connect_total{comm="b100",uid="1000",family="inet",result="success"}' 1
ae_expect "$f" 'audit_exporter_series{metric="audit_connect"}' 100
# a sketch answers for 24h, idle or not: a0 left the 5m window, not 1h
ae_expect "$f" 'audit_process_connect_unique_destinations{comm="a0",uid="1000",window="5m"}' 0
ae_expect "$f" 'audit_process_connect_unique_destinations{comm="a0",uid="1000",window="1h"}' 1
ae_expect "$f" 'audit_connect_unique_destinations{window="5m"}' 100
ae_expect "$f" 'audit_connect_unique_destinations{window="1h"}' 200
echo "cardinality: caps, sums, memory and idle drops as expected"
