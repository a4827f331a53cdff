#!/bin/sh
# Full-rate intake, side by side. One process calls connect() as fast as it
# can (tests/tools/storm: UDP connects to loopback, one audited event each)
# for STORM_SECONDS, once beside the bare discard reader (tests/tools/
# bare_reader: the same kernel setup, no parsing) and once beside the
# exporter, alternating for STORM_ROUNDS rounds. Printed per reader (median
# round): the producer's rate, the events the exporter counted against the
# connects the producer made, the kernel's lost records, and the reader's
# CPU time. The target: the exporter counts every event, the kernel loses
# none, and the producer keeps at least 90% of its rate beside the bare
# reader. STORM_EXPORTER_FLAGS adds flags to the exporter, for experiments
# such as --audit.backlog-limit=32768 or --audit.priority-boost=0.
. "$(dirname "$0")/../integration/lib.sh"
ae_kernel_begin
: "${STORM_SECONDS:=5}"
: "${STORM_ROUNDS:=3}"
: "${STORM_EXPORTER_FLAGS:=}"

rules=$AE_ROOT/packaging/audit_exporter.rules
port=$(ae_free_port)
sport=$(ae_free_ports 1)
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # clock ticks
tck=$(getconf CLK_TCK)

round() { # reader round -> "rate counted connects lost cpu_s"
	lost0=$(ae_kstatus lost)
	if [ "$1" = bare ]; then
		ae_spawn "$AE_TOOLS/bare_reader" --rules "$rules" >/dev/null
		r=$ae_last_pid
		sleep 1
	else
		ae_spawn "$AE_BIN" --baseline.file= --web.listen-address="127.0.0.1:$port" \
			--sketch.key-file="$ae_tmp/key" --log.level=warn \
			$STORM_EXPORTER_FLAGS
		r=$ae_last_pid
		ae_wait_http "$port" || ae_fail "exporter did not come up"
	fi
	c0=$(cpu "$r")
	out=$("$AE_TOOLS/storm" --seconds "$STORM_SECONDS" \
		--comm "ae_bench$2" --port "$sport")
	n=$(echo "$out" | sed 's/.*connects=\([0-9]*\).*/\1/')
	rate=$(echo "$out" | sed 's/.*rate=\([0-9]*\).*/\1/')
	counted=-
	if [ "$1" = exporter ]; then
		series="audit_connect_total{comm=\"ae_bench$2\",uid=\"0\",family=\"inet\",result=\"success\"}"
		for _ in $(seq 100); do
			ae_scrape "$port" "$ae_tmp/m"
			counted=$(ae_value "$ae_tmp/m" "$series")
			[ "$counted" = "$n" ] && break
			sleep 0.1
		done
	fi
	c1=$(cpu "$r")
	ae_stop_pid "$r"
	ae_wait_pid_released >/dev/null
	echo "$rate $counted $n $(($(ae_kstatus lost) - lost0)) $(awk -v t=$((c1 - c0)) -v h="$tck" 'BEGIN { printf "%.2f", t / h }')"
}

: >"$ae_tmp/bare"
: >"$ae_tmp/exporter"
for i in $(seq "$STORM_ROUNDS"); do
	round bare "$i" >>"$ae_tmp/bare"
	round exporter "$i" >>"$ae_tmp/exporter"
done

median() { sort -n -k1 "$1" | awk -v n="$STORM_ROUNDS" 'NR == int((n + 1) / 2)'; }
b=$(median "$ae_tmp/bare")
e=$(median "$ae_tmp/exporter")
echo "full-rate storm: connect() as fast as one process can, ${STORM_SECONDS} s, median of $STORM_ROUNDS rounds${STORM_EXPORTER_FLAGS:+, exporter flags: $STORM_EXPORTER_FLAGS}"
printf '%-16s %14s %22s %12s %14s %8s\n' reader "producer ev/s" "counted / connects" "kernel lost" "reader cpu s" "vs bare"
set -- $b
printf '%-16s %14s %22s %12s %14s %8s\n' bare_reader "$1" "-" "$4" "$5" "100%"
brate=$1
set -- $e
printf '%-16s %14s %22s %12s %14s %7s%%\n' audit_exporter "$1" "$2 / $3" "$4" "$5" \
	"$(awk -v a="$1" -v b="$brate" 'BEGIN { printf "%.1f", 100 * a / b }')"
echo "all rounds (rate counted connects lost cpu):"
sed 's/^/  bare     /' "$ae_tmp/bare"
sed 's/^/  exporter /' "$ae_tmp/exporter"
