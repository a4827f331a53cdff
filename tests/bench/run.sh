#!/bin/sh
# make bench: runs every tests/bench/bench_*.sh in order; exits non-zero
# if any of them did.
set -u
cd "$(dirname "$0")/../.."
rc=0
for b in tests/bench/bench_*.sh; do
	[ -f "$b" ] || continue
	echo "### $b"
	sh "$b" || { echo "### $b failed" >&2; rc=1; }
	echo
done
exit $rc
