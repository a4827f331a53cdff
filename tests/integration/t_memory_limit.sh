#!/bin/sh
# The memory budget against a hostile host (issue 19), without the kernel:
# logs whose answer is known by construction, replayed through stdin.
#   1. listen on 20,000 ports from one process (any user can), and
#   2. 20,000 forged watch keys (a text stream names what it likes), under
#      --metrics.max-series=100: each family stays at the cap plus its
#      folded label sets, with every call counted (port and key fold too);
#   3. 300 process names x 1,000 destinations each under a memory limit
#      that holds about half their sketches: the budget is never passed,
#      the refusals are counted, the process sketches that could not grow
#      gave their items to __other__ (the per-process gauges still add up
#      to the 300,000 distinct destinations, within the sketches' error),
#      the host-wide gauge (never refused) counts them all, and every
#      connect is counted;
#   4. a limit that cannot hold the reserve of the host-wide counts stops
#      the start with a message; the default fits the unit's MemoryMax.
. "$(dirname "$0")/lib.sh"
gen=$AE_TOOLS/loggen
key=$AE_ROOT/tests/fixtures/sketch.key

sum_metric() { # file metric: sum of every sample of the metric
	awk -v m="$2" 'index($0, m "{") == 1 { s += $NF } END { printf "%d", s }' "$1"
}

replay() { # out flags...: the exposition of stdin, --once
	out=$1
	shift
	"$AE_BIN" --baseline.file= --audit.source=stdin --once --log.level=warn \
		--sketch.key-file="$key" --web.disable-exporter-metrics "$@" >"$out" ||
		ae_fail "replay failed ($*)"
	ae_promtool_check "$out"
}

# One event: SYSCALL (syscall, a0, key, extra fields), the given records,
# EOE. Serial s, in awk.
events_awk='
function ev(s, nr, a0, key, recs) {
	printf "type=SYSCALL msg=audit(1795000000.000:%d): arch=c000003e " \
		"syscall=%d success=yes exit=0 a0=%x a1=0 a2=10 a3=0 items=1 " \
		"ppid=1 pid=77 auid=1000 uid=1000 gid=0 comm=\"srv\" " \
		"exe=\"/bin/srv\" key=%s\n%s", s, nr, a0, key, recs
	printf "type=EOE msg=audit(1795000000.000:%d): \n", s
}'

# --- 1. one process listening on 20,000 ports ----------------------------------
awk "$events_awk"'
BEGIN {
	for (i = 0; i < 20000; i++) {
		ev(2 * i + 1, 49, 3, "(null)", sprintf("type=SOCKADDR " \
			"msg=audit(1795000000.000:%d): saddr=0200%04X7F000001" \
			"0000000000000000\n", 2 * i + 1, 1024 + i))
		ev(2 * i + 2, 50, 3, "(null)", "")
	}
}' | replay "$ae_tmp/listen.prom" --metrics.max-series=100
f=$ae_tmp/listen.prom
ae_expect "$f" 'audit_exporter_series{metric="audit_listen"}' 101
ae_expect "$f" 'audit_listen_total{comm="__other__",uid="__other__",auid="__other__",family="inet",protocol="unknown",address="__other__",port="__other__"}' 19900
ae_expect "$f" 'audit_exporter_series_folded_total{metric="audit_listen"}' 19900
[ "$(sum_metric "$f" audit_listen_total)" = 20000 ] ||
	ae_fail "sum of audit_listen_total is $(sum_metric "$f" audit_listen_total), not 20000"

# --- 2. 20,000 forged watch keys ----------------------------------------------------
# replayed from a file: with no rules to name the watch keys (stdin would
# read the kernel's), every key of an event with PATH records counts
awk "$events_awk"'
BEGIN {
	for (i = 1; i <= 20000; i++)
		ev(i, 257, 3, "\"w" i "\"", sprintf("type=PATH " \
			"msg=audit(1795000000.000:%d): item=0 name=\"/etc/x\"\n", i))
}' >"$ae_tmp/watch.log"
replay "$ae_tmp/watch.prom" --metrics.max-series=100 </dev/null \
	--audit.source=file --audit.file="$ae_tmp/watch.log"
f=$ae_tmp/watch.prom
ae_expect "$f" 'audit_exporter_series{metric="audit_watch_hits"}' 101
ae_expect "$f" 'audit_watch_hits_total{key="__other__",comm="__other__",uid="__other__",path="__other__",syscall="__other__",result="success"}' 19900
[ "$(sum_metric "$f" audit_watch_hits_total)" = 20000 ] ||
	ae_fail "sum of audit_watch_hits_total is $(sum_metric "$f" audit_watch_hits_total), not 20000"
# the keys fold in the syscall counter as well
[ "$(ae_value "$f" 'audit_exporter_series{metric="audit_syscall_events"}')" -le 104 ] ||
	ae_fail "audit_syscall_events_total holds more than the cap"

# --- 3. sketches under a memory limit -------------------------------------------
# The limit is what the exporter reserves at start with these precisions
# (the host-wide sketches and folded label sets at their worst, and the
# fixed tables: socket table, users, destinations view, baseline; measured
# here as the smallest limit it starts with, to 4 KiB, since it grows with
# every table a collector takes) plus 768 KiB, about half of what the 300
# process sketches of 1,000 destinations need.
reserve_bytes() { # flags...: the smallest limit that starts
	lo=1048576 hi=268435456
	while [ $((hi - lo)) -gt 4096 ]; do
		mid=$(((lo + hi) / 2))
		if "$AE_BIN" --baseline.file= --audit.source=file --once \
			--audit.file=/dev/null --sketch.key-file="$key" \
			--metrics.memory-limit="$mid" "$@" >/dev/null 2>&1; then
			hi=$mid
		else
			lo=$mid
		fi
	done
	echo "$hi"
}
reserve=$(reserve_bytes --sketch.host-precision=12 --sketch.process-precision=10)
limit=$((reserve + 786432))
echo "reserve at p = 12/10: $reserve bytes; limit $limit"
"$gen" --procs 300 --dests 1000 |
	replay "$ae_tmp/sk.prom" --metrics.memory-limit=$limit \
		--sketch.host-precision=12 --sketch.process-precision=10
f=$ae_tmp/sk.prom
ae_expect "$f" audit_exporter_memory_limit_bytes $limit
used=$(sum_metric "$f" audit_exporter_memory_used_bytes)
echo "300 x 1,000 destinations: $used bytes charged of a $limit-byte limit"
[ "$used" -gt 0 ] && [ "$used" -le $limit ] || ae_fail "memory used $used, limit $limit"
refused=$(ae_value "$f" 'audit_exporter_memory_refused_total{part="sketches"}')
folded=$(ae_value "$f" 'audit_exporter_series_folded_total{metric="audit_process_connect_unique_destinations"}')
[ "$refused" -gt 0 ] && [ "$folded" -gt 0 ] ||
	ae_fail "the limit did not bind: $refused refused, $folded folded"
ae_expect "$f" 'audit_exporter_skipped_total{reason="no_memory"}' 0
[ "$(sum_metric "$f" audit_connect_total)" = 300000 ] ||
	ae_fail "sum of audit_connect_total is not 300000"
# host-wide: p = 12, 1.6% standard error (4 of them allowed); the sum over
# processes adds as many errors as sketches, so 10%
host=$(ae_value "$f" 'audit_connect_unique_destinations{window="24h"}')
procs=$(awk '/^audit_process_connect_unique_destinations\{.*window="24h"/ { s += $NF } END { print s }' "$f")
other=$(ae_value "$f" 'audit_process_connect_unique_destinations{comm="__other__",uid="__other__",window="24h"}')
echo "host-wide $host, per process $procs in all ($other in __other__)"
awk -v v="$host" 'BEGIN { exit !(v >= 300000 * 0.935 && v <= 300000 * 1.065) }' ||
	ae_fail "host-wide unique destinations $host, not 300000 within 6.5%"
awk -v v="$procs" 'BEGIN { exit !(v >= 300000 * 0.9 && v <= 300000 * 1.1) }' ||
	ae_fail "per-process unique destinations add up to $procs, not 300000 within 10%"
[ "$other" -gt 1000 ] || ae_fail "__other__ holds $other destinations"

# --- 4. the limit against the reserve ----------------------------------------------
if "$AE_BIN" --baseline.file= --audit.source=stdin --once --sketch.key-file="$key" \
	--metrics.memory-limit=4MiB </dev/null >/dev/null 2>"$ae_tmp/err"; then
	ae_fail "a 4 MiB limit with a p = 14 host sketch (8 MiB reserve) started"
fi
grep -q 'memory-limit cannot hold the reserve' "$ae_tmp/err" ||
	ae_fail "no message for a limit below the reserve: $(cat "$ae_tmp/err")"
"$AE_BIN" --baseline.file= --audit.source=stdin --once --sketch.key-file="$key" </dev/null \
	>"$ae_tmp/def.prom" || ae_fail "the defaults do not start"
def=$(ae_value "$ae_tmp/def.prom" audit_exporter_memory_limit_bytes)
max=$(awk -F= '/^MemoryMax=/ { v = $2; sub(/M$/, "", v); print v * 1048576 }' \
	"$AE_ROOT/packaging/audit_exporter.service")
# the socket buffer (up to 128 MiB, charged to the unit) and malloc's
# overhead come on top of the budget
[ "$def" -le $((max / 2)) ] ||
	ae_fail "default limit $def is over half the unit's MemoryMax ($max)"
echo "memory limit: caps, folds and the budget hold"
