#!/bin/sh
# Scrape cost. The live exporter holds 10,000 label sets in each labelled
# metric (tests/tools/mixload with one process name and one executable per
# iteration: connect, process sketch, listen, execve, watch), then is
# scraped SCRAPES times in plain text and SCRAPES times with gzip, one after
# another: first with nothing else happening, then while one process issues
# connect() at full rate (tests/tools/storm). Printed: p50/p99/max latency
# and size per encoding and phase, and whether intake lost anything during
# the storm (the storm's connects against the exporter's count, serial
# gaps, the kernel's lost counter). Target: p99 under 20 ms.
# Beside each scrape's latency, the time of the HTTP thread that served it
# from /proc/<pid>/task/*/schedstat: on a core, and runnable but waiting
# for one (the thread that deflates the second half of a large gzip body
# is not counted).
# Then, if perf is installed, every context switch on every core for 5 s
# of further storm scrapes (not in the table: tracing costs a little):
# behind whom the HTTP threads waited for a core, and how long the kernel's
# kauditd held one (tests/bench/sched_waits.awk).
. "$(dirname "$0")/../integration/lib.sh"
ae_kernel_begin
: "${SCRAPES:=200}"
: "${NAMES:=10000}"

port=$(ae_free_port)
sport=$(ae_free_ports 1)
ae_mixload_exporter "$port" "$sport" "$NAMES"
exporter=$ae_last_pid
sets=$(grep '^audit_exporter_series{' "$ae_tmp/m" | sed 's/audit_exporter_series{metric="\(.*\)"} /\1=/' | tr '\n' ' ')

url=http://127.0.0.1:$port/metrics
http_sched() { # suffix: each HTTP thread's ns on a core and waiting for one
	for task in /proc/"$exporter"/task/*; do
		read -r comm <"$task/comm" || continue
		# libmicrohttpd's pool, and the worker that renders
		[ "$comm" = MHD-worker ] || [ "$comm" = ae-scrape ] || continue
		read -r r w _ <"$task/schedstat" || continue
		eval "run$1_${task##*/}=$r wait$1_${task##*/}=$w"
	done
}
scrape_one() { # file [curl flags]: one timed scrape, a line in file, with
	# the on-core and waiting time of the HTTP thread that served it (the
	# one that ran most; the others only woke for the connection)
	out=$1
	shift
	http_sched 0
	t=$(curl -s -o /dev/null -w '%{time_total} %{size_download}' "$@" "$url")
	http_sched 1
	run=0 wait=0
	for task in /proc/"$exporter"/task/*; do
		tid=${task##*/}
		eval "r=\$((\${run1_$tid:-0} - \${run0_$tid:-0})) w=\$((\${wait1_$tid:-0} - \${wait0_$tid:-0}))"
		[ "$r" -gt "$run" ] && run=$r wait=$w
	done
	echo "$t $((run / 1000)) $((wait / 1000))" >>"$out"
}
scrape_rounds() { # prefix: SCRAPES plain and SCRAPES gzip scrapes, timed
	: >"$1.plain"
	: >"$1.gzip"
	for _ in $(seq "$SCRAPES"); do
		scrape_one "$1.plain"
		scrape_one "$1.gzip" -H 'Accept-Encoding: gzip'
	done
}
scrape_rounds "$ae_tmp/idle"
ae_scrape "$port" "$ae_tmp/idle.last"

lost0=$(ae_kstatus lost)
gaps0=$(ae_value "$ae_tmp/m" audit_exporter_serial_gaps_total)
"$AE_TOOLS/storm" --seconds 3600 --comm ae_scrape_bench --port "$sport" >"$ae_tmp/storm.out" &
storm=$!
ae_pids="$ae_pids $storm"
sleep 1
scrape_rounds "$ae_tmp/busy"
ae_scrape "$port" "$ae_tmp/busy.last"
preempt_model() { # how the kernel preempts, as far as this machine says
	m=$(sed -n 's/.*(\([a-z]*\)).*/\1/p' /sys/kernel/debug/sched/preempt 2>/dev/null)
	[ -n "$m" ] || m=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^preempt=//p')
	[ -n "$m" ] || m=$(zcat /proc/config.gz 2>/dev/null |
		sed -n 's/^CONFIG_PREEMPT_\(NONE\|VOLUNTARY\|LAZY\)=y/\1/p; s/^CONFIG_PREEMPT=y/full/p' |
		head -n 1 | tr '[:upper:]' '[:lower:]')
	echo "${m:-unknown}"
}
traced="not traced, perf is not installed"
if command -v perf >/dev/null 2>&1; then
	perf record -q -e sched:sched_switch -e sched:sched_wakeup -e sched:sched_migrate_task -a \
		-o "$ae_tmp/sched.data" -- sleep 5 \
		>/dev/null 2>&1 &
	perf=$!
	ae_pids="$ae_pids $perf"
	sleep 0.5
	traced_scrapes=0
	while kill -0 "$perf" 2>/dev/null; do
		curl -s -o /dev/null "$url"
		curl -s -o /dev/null -H 'Accept-Encoding: gzip' "$url"
		traced_scrapes=$((traced_scrapes + 2))
	done
	wait "$perf"
fi
kill -INT "$storm" 2>/dev/null
kill -TERM "$storm"
wait "$storm" 2>/dev/null
[ -f "$ae_tmp/sched.data" ] &&
	traced="$traced_scrapes scrapes, kernel preemption $(preempt_model): $(perf script \
		-i "$ae_tmp/sched.data" -F cpu,time,event,trace 2>/dev/null | awk -v producer=ae_scrape_bench \
		-v reader=audit_exporter -f "$AE_ROOT/tests/bench/sched_waits.awk")"
# the storm is stopped by a signal: count what the exporter saw and check
# it saw everything by the gap and loss counters instead
sleep 2
ae_scrape "$port" "$ae_tmp/m2"
counted=$(ae_value "$ae_tmp/m2" 'audit_connect_total{comm="ae_scrape_bench",uid="0",family="inet",result="success"}')
gaps1=$(ae_value "$ae_tmp/m2" audit_exporter_serial_gaps_total)
lost1=$(ae_kstatus lost)

stats() { # file: latency p50, p99, max; bytes; serving thread's CPU and wait
	sort -n "$1" | awk '{ t[NR] = $1 * 1000; s = $2; run += $3; w[NR] = $4 / 1000 }
		END { printf "%8.2f %8.2f %8.2f %10d %7.2f %7.2f %7.2f", t[int(NR * 0.5 + 0.5)],
			t[int(NR * 0.99 + 0.5)], t[NR], s, run / NR / 1000,
			w[int(NR * 0.5 + 0.5)], w[int(NR * 0.99 + 0.5)] }'
}
echo "scrape latency with $NAMES label sets per labelled metric ($sets), $SCRAPES scrapes each, idle and during a full-rate connect storm"
echo "cpu_ms: mean time on a core of the HTTP thread serving a scrape; wait50, wait99: its time waiting for a core in the p50 and p99 scrape (by latency)"
printf '%-6s %-8s %8s %8s %8s %10s %7s %7s %7s\n' intake encoding p50_ms p99_ms max_ms bytes cpu_ms \
	wait50 wait99
for phase in idle busy; do
	for enc in plain gzip; do
		printf '%-6s %-8s %s\n' "$phase" "$enc" "$(stats "$ae_tmp/$phase.$enc")"
	done
done
echo "intake meanwhile: $counted storm connects counted, serial gaps $((gaps1 - gaps0)), kernel lost $((lost1 - lost0))"
collectors() { # scrape: each collector's time in it, ms
	sed -n 's/^audit_exporter_scrape_collector_duration_seconds{collector="\(.*\)"} \(.*\)/\1 \2/p' "$1" |
		awk '{ printf "%s=%.2f ", $1, $2 * 1000 }'
}
echo "storm scrapes traced for 5 s, $traced"
echo "collector ms in one idle scrape: $(collectors "$ae_tmp/idle.last")"
echo "collector ms in one busy scrape: $(collectors "$ae_tmp/busy.last")"
