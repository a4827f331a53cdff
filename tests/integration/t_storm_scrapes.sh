#!/bin/sh
# Scrapes during a full-rate storm are whole and consistent (kernel). The
# exporter first holds 2,500 process names (tests/tools/mixload: connect,
# process sketch, listen, execve, watch), so an exposition is over 1 MiB:
# collectors read it in several slices, each taking the lock from the
# reader, and gzip deflates it in two halves. Then one process issues
# 400,000 connect() calls as fast as it can while two loops scrape, 0.1 s
# apart, rotating text, OpenMetrics and gzip. Checked:
#   - every scrape answered 200 with a whole exposition: gzip ones inflate,
#     OpenMetrics ones end in # EOF, promtool accepts every tenth text one;
#   - within each loop, no counter is ever below what the scrape before
#     it said, and the storm's count never exceeds the connects it made;
#   - at the end every connect is counted, with no serial gap, no socket
#     overrun and nothing lost by the kernel.
# Latency is not asserted (bench_scrape measures it). A sanitizer build,
# several times slower, is fed 100,000 connects at 10,000 a second instead
# (as in t_full_rate.sh: at full rate it falls behind and the kernel
# overruns its socket).
. "$(dirname "$0")/lib.sh"
ae_kernel_begin
command -v curl >/dev/null || ae_skip "curl is not installed"
names=2500
connects=400000
pace=
if ae_sanitized; then
	connects=100000
	pace="--rate 10000"
fi
loops=2

port=$(ae_free_port)
sport=$(ae_free_ports 8)
d=$ae_tmp
ae_mixload_exporter "$port" "$sport" $names --audit.backlog-wait-time=1s
size=$(wc -c <"$d/m")
[ "$size" -gt 1048576 ] || ae_fail "the exposition is $size bytes, not over 1 MiB"
lost0=$(ae_kstatus lost)

url=http://127.0.0.1:$port/metrics
scrape_loop() { # loop: scrapes until the storm is done, numbered in order
	# (a pause between them keeps the files to some tens of megabytes)
	n=0
	while [ ! -f "$d/storm.done" ]; do
		f=$d/s.$1.$(printf %05d $n)
		case $((n % 3)) in
		0) curl -s --max-time 60 -o "$f.txt" -w '%{http_code}\n' "$url" ;;
		1) curl -s --max-time 60 -o "$f.om" -w '%{http_code}\n' \
			-H 'Accept: application/openmetrics-text;version=1.0.0' "$url" ;;
		2) curl -s --max-time 60 -o "$f.gz" -w '%{http_code}\n' \
			-H 'Accept-Encoding: gzip' "$url" ;;
		esac >"$f.status"
		n=$((n + 1))
		sleep 0.1
	done
}
jobs=
for i in $(seq $loops); do
	scrape_loop "$i" &
	jobs="$jobs $!"
done
ae_pids="$ae_pids $jobs"
# shellcheck disable=SC2086
"$AE_TOOLS/storm" --count $connects --distinct 8 --comm ae_storm_scr \
	--port "$sport" $pace >/dev/null || ae_fail "storm failed"
touch "$d/storm.done"
for j in $jobs; do
	wait "$j"
done

series='audit_connect_total{comm="ae_storm_scr",uid="0",family="inet",result="success"}'
for _ in $(seq 300); do
	ae_scrape "$port" "$d/m"
	[ "$(ae_value "$d/m" "$series")" = $connects ] && break
	sleep 0.1
done
ae_expect "$d/m" "$series" $connects
ae_expect "$d/m" 'audit_process_connect_unique_destinations{comm="ae_storm_scr",uid="0",window="5m"}' 8
ae_expect "$d/m" audit_exporter_serial_gaps_total 0
ae_expect "$d/m" audit_exporter_socket_overruns_total 0
[ "$(ae_kstatus lost)" = "$lost0" ] ||
	ae_fail "the kernel lost records during the storm"

# every scrape whole; gzip and OpenMetrics ones turned into text
total=0
for s in "$d"/s.*.status; do
	f=${s%.status}
	[ "$(cat "$s")" = 200 ] || ae_fail "${f##*/}: status $(cat "$s")"
	if [ -f "$f.gz" ]; then
		gzip -dc <"$f.gz" >"$f.txt" || ae_fail "${f##*/}: not whole gzip"
	elif [ -f "$f.om" ]; then
		[ "$(tail -n 1 "$f.om")" = "# EOF" ] || ae_fail "${f##*/}: no # EOF"
		sed '$d' "$f.om" >"$f.txt"
	fi
	grep -q '^audit_exporter_build_info{' "$f.txt" || ae_fail "${f##*/}: no build_info"
	total=$((total + 1))
	[ $((total % 10)) = 1 ] && [ ! -f "$f.om" ] && ae_promtool_check "$f.txt"
done
[ "$total" -ge $((loops * 3)) ] || ae_fail "only $total scrapes during the storm"

# counters never go back within a loop (each scrape against the one before
# it, the first against itself); the storm's never beyond its total
for i in $(seq $loops); do
	prev=
	for f in "$d"/s."$i".*.txt; do
		back=$(awk -v series="$series" -v most=$connects '
			FNR == 1 { file++ }
			/^#/ || !/_total[{ ]/ { next }
			{ v = $NF; k = substr($0, 1, length($0) - length(v) - 1) }
			file == 1 { was[k] = v; next }
			(k in was) && v + 0 < was[k] + 0 { print k " went from " was[k] " to " v; exit }
			k == series && v + 0 > most { print k " is " v; exit }' "${prev:-$f}" "$f")
		[ -z "$back" ] || ae_fail "${f##*/} after ${prev##*/}: $back"
		prev=$f
	done
done
echo "storm scrapes: $total scrapes of $size bytes during $connects connects, all whole and consistent, every connect counted"
