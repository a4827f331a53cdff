#!/bin/sh
# Replay speed, side by side with libauparse. The bench captures its own
# log from this kernel (tests/tools/audit_capture running tests/tools/
# mixload under the bundled rules and a watch: connect, bind/listen, execve
# and watched-file events with their SOCKADDR, EXECVE, CWD, PATH, PROCTITLE
# and EOE records), then replays it with the exporter (--once, one thread)
# and with a program written on libauparse the way a user would (tests/
# tools/auparse_peer: iterate events, count connects by comm/uid, count
# distinct destinations). Best of three runs each; records/s counts the
# log's lines for both. `wc -l` on the same log is printed as the floor:
# what it costs only to read the file and find its lines.
. "$(dirname "$0")/../integration/lib.sh"
ae_kernel_begin
: "${REPLAY_ITERATIONS:=150000}"

cp /bin/true "$ae_tmp/mix_true"
touch "$ae_tmp/watched"
{
	cat "$AE_ROOT/packaging/audit_exporter.rules"
	echo "-w $ae_tmp/watched -p r -k bench_watch"
} >"$ae_tmp/rules"
log=$ae_tmp/replay.log
"$AE_TOOLS/audit_capture" --rules "$ae_tmp/rules" --out "$log" \
	--max-drain-ms 20000 -- "$AE_TOOLS/mixload" --iterations "$REPLAY_ITERATIONS" \
	--watch "$ae_tmp/watched" --exe "$ae_tmp/mix_true" >"$ae_tmp/mix.out" \
	2>"$ae_tmp/capture.err" || ae_fail "capture failed: $(cat "$ae_tmp/capture.err")"
records=$(wc -l <"$log")
bytes=$(stat -c %s "$log")

best() { # command... : best wall time of three runs, in seconds
	b=
	for _ in 1 2 3; do
		t0=$(date +%s%N)
		"$@" >"$ae_tmp/out" 2>/dev/null || ae_fail "$1 failed"
		t=$(($(date +%s%N) - t0))
		if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
	done
	awk -v t="$b" 'BEGIN { printf "%.3f", t / 1e9 }'
}

te=$(best "$AE_BIN" --baseline.file= --audit.source=file --audit.file="$log" --once \
	--sketch.key-file="$ae_tmp/key" --runas.user= --log.level=error)
cp "$ae_tmp/out" "$ae_tmp/exporter.prom"
tp=$(best "$AE_TOOLS/auparse_peer" "$log")
cp "$ae_tmp/out" "$ae_tmp/peer.out"
# the floor: reading the log and finding its lines, nothing else
tw=$(best wc -l "$log")

# both must have seen the same workload
ce=$(awk '/^audit_connect_total\{comm="mix/ { s += $NF } END { printf "%d", s }' "$ae_tmp/exporter.prom")
cp_=$(sed 's/.*connects=\([0-9]*\).*/\1/' "$ae_tmp/peer.out")
cw=$(sed 's/.*connects=\([0-9]*\).*/\1/' "$ae_tmp/mix.out")

echo "replay of $records records ($(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1048576 }') MiB) captured from this kernel: $(cat "$ae_tmp/mix.out")"
printf '%-16s %9s %12s %9s %11s %12s\n' program seconds records/s MiB/s connects "vs auparse"
row() { # name seconds connects
	awk -v n="$1" -v t="$2" -v r="$records" -v b="$bytes" -v c="$3" -v p="$tp" \
		'BEGIN { printf "%-16s %9.3f %12.0f %9.1f %11s %11.1fx\n", n, t, r / t, b / 1048576 / t, c, p / t }'
}
row audit_exporter "$te" "$ce"
row auparse_peer "$tp" "$cp_"
row "wc -l" "$tw" -
echo "(the workload made $cw connects; both readers must agree with it)"
[ "$ce" = "$cw" ] && [ "$cp_" = "$cw" ] || ae_fail "a reader miscounted the connects"
