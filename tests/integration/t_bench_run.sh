#!/bin/sh
# tests/bench/run.sh (make bench) on a directory of stand-in benchmarks
# whose outcomes are known: one that measures, one that skips (exit 77,
# its reason on stderr), one that fails. A skip is reported as a skip with
# its reason and does not fail the run; a failure does, and is named.
# No kernel, no root.
set -u
. "$(dirname "$0")/lib.sh"
trap 'rm -rf "$ae_tmp"' EXIT
b=$ae_tmp/bench
mkdir -p "$b"
printf 'echo measured 42\n' >"$b/bench_a.sh"
printf 'echo "skip: no peer here" >&2\nexit 77\n' >"$b/bench_b.sh"
run="$AE_ROOT/tests/bench/run.sh"

sh "$run" "$b" >"$ae_tmp/out1" 2>"$ae_tmp/err1" ||
	ae_fail "a run with a skip and no failure exited non-zero: $(cat "$ae_tmp/out1")"
grep -qx 'measured 42' "$ae_tmp/out1" || ae_fail "the benchmark's output is missing"
grep -q 'bench_b.sh skipped: no peer here$' "$ae_tmp/out1" ||
	ae_fail "the skip and its reason are not reported: $(cat "$ae_tmp/out1")"
grep -q 'failed (exit' "$ae_tmp/out1" "$ae_tmp/err1" && ae_fail "a skip reported as a failure"
tail -n 1 "$ae_tmp/out1" | grep -qx 'bench: 1 ran, 1 skipped, 0 failed' ||
	ae_fail "summary: $(tail -n 1 "$ae_tmp/out1")"

printf 'exit 3\n' >"$b/bench_c.sh"
sh "$run" "$b" >"$ae_tmp/out2" 2>"$ae_tmp/err2" && ae_fail "a failed benchmark did not fail the run"
grep -q 'bench_c.sh failed (exit 3)' "$ae_tmp/err2" || ae_fail "the failure is not named"
tail -n 1 "$ae_tmp/out2" | grep -q 'bench: 1 ran, 1 skipped, 1 failed: .*bench_c.sh$' ||
	ae_fail "summary: $(tail -n 1 "$ae_tmp/out2")"
echo "bench runner: skip, pass and failure reported as such"
