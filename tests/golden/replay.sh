#!/bin/sh
# The exporter's --once replay of an audit log, normalised for comparison:
# collector timings and the build revision vary from run to run and commit
# to commit, and the memory charged to the budget with the build's struct
# layouts (test_fam, test_win and test_asm check it), so they become 0 and
# X (0 keeps the exposition parseable); everything else must be
# byte-for-byte stable (the clock is the events' own time, the sketch key
# is the fixture's).
#   replay.sh LOG [--audit.source=stdin]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
: "${AE_BIN:=$root/audit_exporter}"
log=$1
shift
if [ "${1:-}" = --audit.source=stdin ]; then
	src="--audit.source=stdin"
	exec <"$log"
else
	src="--audit.source=file --audit.file=$log"
fi
# shellcheck disable=SC2086
"$AE_BIN" $src --once --log.level=error --web.disable-exporter-metrics \
	--sketch.key-file="$root/tests/fixtures/sketch.key" \
	--audit.rules.file="$root/tests/fixtures/workload.rules" |
	sed -e 's/^\(audit_exporter_scrape_collector_duration_seconds{[^}]*}\) .*/\1 0/' \
	    -e 's/^\(audit_exporter_memory_used_bytes{[^}]*}\) .*/\1 0/' \
	    -e 's/revision="[^"]*"/revision="X"/' -e 's/compiler="[^"]*"/compiler="X"/'
