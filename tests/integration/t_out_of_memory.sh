#!/bin/sh
# Out of memory, for real: the exporter runs under an address-space limit
# (prlimit --as) 48 MiB above what it maps when idle, and reads from stdin
# 100,000 successful execve events with distinct 200-byte executables
# (about 90 MiB of label sets), so its allocations start to fail part way
# through. tests/unit/test_torture.c refuses each allocation in turn; this
# is the whole process against the kernel's own refusal.
#   1. It stays up, and every scrape while memory is short is answered:
#      200, or 500 when the exposition could not be rendered.
#   2. What it could not count is counted as lost: skipped{reason=
#      "no_memory"} is above 0, and in a 200 scrape the execve counts plus
#      no_memory are exactly the events fed, every record and event is
#      counted (their series existed before memory ran out), and a gzip
#      body inflates to a valid exposition.
#   3. One more event, an hour and a second later, of the first executable
#      (its label set exists: the event needs no memory), then the end of
#      input: the label sets idle for the hour (--metrics.idle-timeout) are
#      swept, the memory comes back, and the scrape is 200 again, passes
#      promtool, keeps no_memory, counts every record and event, and holds
#      the first executable alone, counted twice.
. "$(dirname "$0")/lib.sh"

ae_sanitized && ae_skip "sanitizer builds map terabytes of shadow memory"
command -v prlimit >/dev/null || ae_fail "prlimit (util-linux) is not installed"
n=100000
t0=1795260000
flags="--audit.source=stdin --metrics.max-series=0 --metrics.idle-timeout=1h
--log.level=error"

cat >"$ae_tmp/gen.py" <<'PY'
import sys
# first-serial count time tag: execve events, one distinct exe each
s0, n, t, tag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
pad = "p" * 180
w = sys.stdout.write
for i in range(n):
    s = s0 + i
    w('type=SYSCALL msg=audit(%s:%d): arch=c000003e syscall=59 success=yes '
      'exit=0 a0=1 a1=2 a2=3 a3=0 items=2 ppid=1 pid=%d auid=0 uid=0 gid=0 '
      'euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 '
      'comm="oom" exe="/%s/%d/%s" key="exec"\n'
      'type=EOE msg=audit(%s:%d): \n'
      % (t, s, 1000 + i % 30000, tag, i, pad, t, s))
PY

# What the exporter maps when idle, having served a scrape (thread stacks
# and malloc arenas included): the limit is 48 MiB above it.
port=$(ae_free_port)
# shellcheck disable=SC2086
ae_spawn_on_fifo "$ae_tmp/idle" "$AE_BIN" --baseline.file= $flags \
	--web.listen-address="127.0.0.1:$port"
ae_wait_http "$port" || ae_fail "exporter did not come up"
curl -sf -H 'Accept-Encoding: gzip' -o /dev/null "http://127.0.0.1:$port/metrics" ||
	ae_fail "idle scrape"
vm=$(awk '/^VmSize:/ { print $2 }' "/proc/$ae_last_pid/status")
ae_stop_pid "$ae_last_pid"
exec 6>&-
limit=$(((vm + 48 * 1024) * 1024))

port=$(ae_free_port)
# shellcheck disable=SC2086
ae_spawn_on_fifo "$ae_tmp/in" prlimit --as="$limit" -- "$AE_BIN" --baseline.file= $flags \
	--web.listen-address="127.0.0.1:$port"
pid=$ae_last_pid
ae_wait_http "$port" || ae_fail "exporter did not come up under the limit"
python3 "$ae_tmp/gen.py" 1 "$n" "$t0.000" a >&6 || ae_fail "generator"

# Scrapes (plain and gzip by turns) until one is whole and has counted
# every event; 500s are allowed meanwhile, nothing else.
get() { # file curl-args...: the status
	f=$1
	shift
	curl -s --max-time 20 -o "$f" -w '%{http_code}' "$@" \
		"http://127.0.0.1:$port/metrics"
}
whole=
served=0
refused=0
for i in $(seq 300); do
	kill -0 "$pid" 2>/dev/null || ae_fail "the exporter died while memory was short"
	if [ $((i % 2)) = 0 ]; then
		code=$(get "$ae_tmp/z" -H 'Accept-Encoding: gzip')
		[ "$code" != 200 ] || gzip -dc <"$ae_tmp/z" >"$ae_tmp/m" ||
			ae_fail "a gzip body that does not inflate"
	else
		code=$(get "$ae_tmp/m")
	fi
	case $code in
	200) served=$((served + 1)) ;;
	500)
		refused=$((refused + 1))
		sleep 0.1
		continue
		;;
	*) ae_fail "scrape while memory was short: status $code" ;;
	esac
	if [ "$(ae_value "$ae_tmp/m" audit_exporter_events_total)" = "$n" ]; then
		whole=1
		break
	fi
	sleep 0.1
done
lost=$(ae_value "$ae_tmp/m" 'audit_exporter_skipped_total{reason="no_memory"}')
if [ -n "$whole" ]; then
	ae_promtool_check "$ae_tmp/m"
	[ "$lost" -gt 0 ] 2>/dev/null ||
		ae_fail "no update counted as lost (no_memory: $lost): the limit did not bite"
	counted=$(awk '/^audit_execve_total\{/ { s += $NF } END { print s + 0 }' "$ae_tmp/m")
	[ $((counted + lost)) = "$n" ] ||
		ae_fail "execve counted $counted + lost $lost, fed $n"
	ae_expect "$ae_tmp/m" 'audit_records_total{type="SYSCALL"}' "$n"
	ae_expect "$ae_tmp/m" 'audit_records_total{type="EOE"}' "$n"
	ae_expect "$ae_tmp/m" 'audit_exporter_events_truncated_total' 0
	echo "out of memory: $counted execve counted, $lost counted as lost ($served scrapes served, $refused refused meanwhile)"
else
	[ "$refused" -gt 0 ] || ae_fail "no scrape counted every event in 30 s"
	echo "out of memory: no scrape could be rendered while memory was short ($refused refused)"
fi

# the first executable again, an hour and a second later; end of input
python3 "$ae_tmp/gen.py" $((n + 1)) 1 "$((t0 + 3601)).000" a >&6 || ae_fail "generator"
exec 6>&-
for _ in $(seq 100); do
	code=$(get "$ae_tmp/m")
	[ "$code" = 200 ] &&
		[ "$(ae_value "$ae_tmp/m" 'audit_exporter_source_up{source="stdin"}')" = 0 ] &&
		break
	sleep 0.1
done
[ "$code" = 200 ] || ae_fail "after the sweep: status $code"
ae_promtool_check "$ae_tmp/m"
kill -0 "$pid" 2>/dev/null || ae_fail "the exporter died"
after=$(ae_value "$ae_tmp/m" 'audit_exporter_skipped_total{reason="no_memory"}')
[ "$after" -gt 0 ] 2>/dev/null || ae_fail "no_memory after the sweep: $after"
[ -z "$whole" ] || [ "$after" = "$lost" ] ||
	ae_fail "no_memory went from $lost to $after with memory back"
ae_expect "$ae_tmp/m" audit_exporter_events_total $((n + 1))
ae_expect "$ae_tmp/m" 'audit_records_total{type="SYSCALL"}' $((n + 1))
ae_expect "$ae_tmp/m" 'audit_exporter_series{metric="audit_execve"}' 1
ae_expect "$ae_tmp/m" "audit_execve_total{exe=\"/a/0/$(printf 'p%.0s' $(seq 180))\",uid=\"0\"}" 2
echo "out of memory: swept, memory back, every record and event counted"
