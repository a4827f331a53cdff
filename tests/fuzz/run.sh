#!/bin/sh
# Builds every libFuzzer target (tests/fuzz/fuzz_<target>.c) with clang,
# ASan and UBSan, and runs each for SECONDS on a copy of its seed corpus.
#   tests/fuzz/run.sh SECONDS [target...]
# `make fuzz` runs it with FUZZ_SECONDS (60), `make test` with 10.
#
# The committed seeds (tests/fuzz/<target>/) are never written: each run
# starts from a fresh copy in build/fuzz/corpus-<target> (keep what a run
# found there with FUZZ_KEEP_CORPUS=1). A crash, a leak, a timeout (an
# input that runs over 10 s) or running out of memory (2 GiB) fails the run
# and prints the reproducer; rerun it with build/fuzz/fuzz_<target> FILE.
# Each target's log is build/fuzz/log-<target>.txt. FUZZ_JOBS targets run
# at once (default: the number of CPUs); a second run in the same tree
# waits for the first (a lock in build/fuzz).
set -u
cd "$(dirname "$0")/../.." || exit 1
secs=${1:-}
case $secs in
'' | *[!0-9]*)
	echo "usage: $0 SECONDS [target...]" >&2
	exit 2
	;;
esac
shift
out=build/fuzz
command -v clang >/dev/null || {
	echo "skip: clang is not installed (make deps)" >&2
	exit 77
}
mkdir -p "$out"
# one run at a time in this tree (two `make test` at once share build/fuzz)
exec 8>"$out/.lock"
flock -w 900 8 || { echo "FAIL: another fuzz run holds $out/.lock" >&2; exit 1; }
make -s -f tests/fuzz/build.mk -j"$(nproc)" FUZZ="$out" ||
	{ echo "FAIL: building the fuzz targets" >&2; exit 1; }

if [ $# -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		t=${f#tests/fuzz/fuzz_}
		set -- "$@" "${t%.c}"
	done
fi

# Runs one target; leaves its verdict in $out/verdict-<target>.
fuzz_one() { # target
	t=$1
	bin=$out/fuzz_$t
	corpus=$out/corpus-$t
	art=$out/artifacts-$t
	log=$out/log-$t.txt
	verdict=$out/verdict-$t
	if [ ! -x "$bin" ] || [ ! -d "tests/fuzz/$t" ]; then
		echo "FAIL $t: no target binary or no seed corpus tests/fuzz/$t/" >"$verdict"
		return
	fi
	[ -n "${FUZZ_KEEP_CORPUS:-}" ] || rm -rf "$corpus"
	rm -rf "$art"
	mkdir -p "$corpus" "$art"
	cp "tests/fuzz/$t"/* "$corpus"/
	set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$art/"
	[ -f "tests/fuzz/$t.dict" ] && set -- "$@" -dict="tests/fuzz/$t.dict"
	"$bin" "$@" "$corpus" >"$log" 2>&1
	rc=$?
	found=$(find "$art" -type f | head -n 5)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -ao 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
	if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
		{
			echo "FAIL $t (exit $rc) after ${execs:-?} runs; log: $log"
			for f in $found; do
				echo "  reproducer: $f"
				echo "  rerun: $bin $f"
			done
			grep -aE '^(==[0-9]+==ERROR|SUMMARY|fuzz check failed|.*runtime error)' \
				"$log" | head -n 5 | sed 's/^/  /'
		} >"$verdict"
	else
		printf 'ok   %-8s %8s runs %6s/s  %s  corpus %s\n' "$t" \
			"${execs:-?}" "${speed:-?}" "$cov" \
			"$(find "$corpus" -type f | wc -l)" >"$verdict"
	fi
}

jobs=${FUZZ_JOBS:-$(nproc)}
running=0
for t in "$@"; do
	rm -f "$out/verdict-$t"
	fuzz_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

bad=0
for t in "$@"; do
	if [ -f "$out/verdict-$t" ]; then
		cat "$out/verdict-$t"
		grep -q '^FAIL' "$out/verdict-$t" && bad=1
	else
		echo "FAIL $t: no verdict"
		bad=1
	fi
done
exit $bad
