#!/bin/sh
# make bench: runs every bench_*.sh of DIR (default tests/bench) in order.
# A script exits 0 (done), 77 (skipped: it cannot measure here, with the
# reason as the last line of its stderr) or anything else (failed). A skip
# is reported as a skip with its reason and does not fail the run; the run
# exits non-zero if any script failed, and its last line counts all three.
set -u
cd "$(dirname "$0")/../.."
dir=${1:-tests/bench}
ran=0 skipped=0 failed=0 names=""
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
for b in "$dir"/bench_*.sh; do
	[ -f "$b" ] || continue
	echo "### $b"
	# stderr stays live on stderr and is kept for a skip's reason
	{ (sh "$b" 2>&1 1>&3; echo $? >"$tmp/rc") | tee "$tmp/err" >&2; } 3>&1
	rc=$(cat "$tmp/rc")
	case $rc in
	0) ran=$((ran + 1)) ;;
	77) skipped=$((skipped + 1))
	    echo "### $b skipped: $(tail -n 1 "$tmp/err" | sed "s/^skip: //")" ;;
	*) failed=$((failed + 1)) names="$names $b"
	   echo "### $b failed (exit $rc)" >&2 ;;
	esac
	echo
done
echo "bench: $ran ran, $skipped skipped, $failed failed${names:+:$names}"
[ "$failed" -eq 0 ]
