#!/bin/sh
# Replays LOG the three ways a user can (--audit.source=file, `stdin < LOG`,
# `cat LOG |`) and writes the file replay's normalised exposition to OUT.
# Fails when an exporter fails (a crash included) or when the three differ:
# the answer must not depend on how the bytes arrive.
#   three_ways.sh LOG OUT [FLAG...]
set -u
here=$(dirname "$0")
log=$1 out=$2
shift 2
"$here/replay.sh" "$log" "$@" >"$out" || {
	echo "$log: the file replay failed (exit $?)" >&2
	exit 1
}
for how in --audit.source=stdin --pipe; do
	"$here/replay.sh" "$log" "$how" "$@" >"$out.$$" || {
		echo "$log: the replay $how failed (exit $?)" >&2
		rm -f "$out.$$"
		exit 1
	}
	sed -i 's/source="stdin"/source="file"/' "$out.$$"
	if ! diff -u "$out" "$out.$$" >"$out.diff.$$"; then
		echo "$log: the replay $how differs from the file replay:" >&2
		head -n 40 "$out.diff.$$" >&2
		rm -f "$out.$$" "$out.diff.$$"
		exit 1
	fi
	rm -f "$out.$$" "$out.diff.$$"
done
