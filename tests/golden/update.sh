#!/bin/sh
# Regenerates the golden expositions from the fixture replay, without the
# kernel or root (make golden-update). Run it when the exposition changes on
# purpose (a new metric, label or help text), read the diff, and say in the
# commit why each line changed:
#   tests/golden/workload.prom   replay.sh of tests/fixtures/workload.log
#   tests/golden/workload.om     replay_om.sh of the same log
# The log itself comes from the kernel: tests/fixtures/capture.sh (root)
# re-captures it and then calls this. Nothing is written unless both
# replays worked; a file whose replay is unchanged is left untouched.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
log=$here/../fixtures/workload.log
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$here/replay.sh" "$log" >"$tmp/workload.prom"
"$here/replay_om.sh" "$log" >"$tmp/workload.om"
# replay.sh's exit status is its sed's, so a replay is judged by what it
# wrote: both must have reached the end of the log (source_up 0)
for f in workload.prom workload.om; do
	grep -q '^audit_exporter_source_up{source="file"} 0$' "$tmp/$f" || {
		echo "update.sh: the replay for $f did not complete" >&2
		exit 1
	}
done
for f in workload.prom workload.om; do
	if cmp -s "$tmp/$f" "$here/$f"; then
		echo "tests/golden/$f: unchanged"
	else
		cp "$tmp/$f" "$here/$f"
		echo "tests/golden/$f: updated"
	fi
done
