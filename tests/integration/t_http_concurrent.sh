#!/bin/sh
# Concurrent scrapes are consistent (replay source, no kernel): 8 loops
# scrape at once, in text, OpenMetrics and gzip, for a few seconds; every
# exposition must be whole: promtool accepts the text ones, and each one
# holds every series of tests/fixtures/workload.expect with its value.
# Run it under `make test SANITIZE=thread` for the data-race check.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/http_lib.sh"

command -v curl >/dev/null || ae_skip "curl is not installed"
fx=$AE_ROOT/tests/fixtures
d=$ae_tmp
loops=8
seconds=${AE_CONCURRENT_SECONDS:-3}

http_replay_start
url=http://127.0.0.1:$port/metrics

# one loop: scrapes until the end time, rotating the formats; a failed
# request is recorded as such
scrape_loop() { # loop-number end-epoch
	n=0
	while [ "$(date +%s)" -lt "$2" ]; do
		f=$d/x.$1.$n
		case $((n % 3)) in
		0) curl -s --max-time 30 -o "$f.txt" -w '%{http_code}\n' \
			"$url" >"$f.status" ;;
		1) curl -s --max-time 30 -o "$f.om" -w '%{http_code}\n' \
			-H 'Accept: application/openmetrics-text;version=1.0.0' \
			"$url" >"$f.status" ;;
		2) curl -s --max-time 30 -o "$f.gz" -w '%{http_code}\n' \
			-H 'Accept-Encoding: gzip' "$url" >"$f.status" ;;
		esac
		n=$((n + 1))
	done
}
end=$(($(date +%s) + seconds))
jobs=""
i=0
while [ $i -lt $loops ]; do
	scrape_loop $i $end &
	jobs="$jobs $!"
	i=$((i + 1))
done
# shellcheck disable=SC2086
http_wait_jobs $jobs

# every request answered 200
total=0
for s in "$d"/x.*.status; do
	[ "$(cat "$s")" = 200 ] || ae_fail "${s##*/}: status $(cat "$s")"
	total=$((total + 1))
done
[ "$total" -ge $loops ] || ae_fail "only $total scrapes"
for f in "$d"/x.*.gz; do
	gzip -dc <"$f" >"${f%.gz}.txt" || ae_fail "${f##*/}: bad gzip"
	rm -f "$f"
done
for f in "$d"/x.*.om; do
	[ "$(tail -n 1 "$f")" = "# EOF" ] || ae_fail "${f##*/}: no # EOF"
done
# every series of the expectations, exactly (an expectation names some
# of a series' labels: the sum over the rest, as ae_value reads it)
for f in "$d"/x.*.txt "$d"/x.*.om; do
	ae_check_expect "$f" "$fx/workload.expect" ||
		ae_fail "${f##*/}: not every expected series holds"
done
# promtool on every text exposition, a few at a time
command -v promtool >/dev/null || ae_fail "promtool is not installed"
ls "$d"/x.*.txt | xargs -P 4 -n 16 sh -c '
	for f; do
		out=$(promtool check metrics <"$f" 2>&1) ||
			{ echo "$f: $out" >&2; exit 1; }
	done' sh || ae_fail "promtool refused an exposition"
ae_stop_pid "$pid"
echo "concurrent scrapes: $total expositions from $loops loops over" \
	"${seconds}s, all whole and as expected"
