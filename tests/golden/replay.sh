#!/bin/sh
# The exporter's --once replay of an audit log, normalised for comparison:
# collector timings and the build revision vary from run to run and commit
# to commit, and the memory charged to the budget with the build's struct
# layouts (test_fam, test_win and test_asm check it), so they become 0 and
# X (0 keeps the exposition parseable); everything else must be
# byte-for-byte stable (the clock is the events' own time, the sketch key
# is the fixture's).
#   replay.sh LOG [--audit.source=stdin | --pipe] [FLAG...]
# --audit.source=stdin reads LOG as stdin (`< LOG`), --pipe through a pipe
# (`cat LOG |`); further flags go to the exporter. Exits with the
# exporter's status (a crash is not hidden by the pipe).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
: "${AE_BIN:=$root/audit_exporter}"
log=$1
shift
how=file
case ${1:-} in
--audit.source=stdin) how=stdin; shift ;;
--pipe) how=pipe; shift ;;
esac
run() {
	"$AE_BIN" --baseline.file= "$@" --once --log.level=error --web.disable-exporter-metrics \
		--sketch.key-file="$root/tests/fixtures/sketch.key" \
		--audit.rules.file="$root/tests/fixtures/workload.rules"
}
out=$(mktemp /tmp/ae-replay.XXXXXX)
trap 'rm -f "$out"' EXIT
rc=0
case $how in
file) run --audit.source=file --audit.file="$log" "$@" >"$out" || rc=$? ;;
stdin) run --audit.source=stdin "$@" <"$log" >"$out" || rc=$? ;;
pipe) { cat "$log" | run --audit.source=stdin "$@" >"$out"; } || rc=$? ;;
esac
sed -e 's/^\(audit_exporter_scrape_collector_duration_seconds{[^}]*}\) .*/\1 0/' \
    -e 's/^\(audit_exporter_memory_used_bytes{[^}]*}\) .*/\1 0/' \
    -e 's/revision="[^"]*"/revision="X"/' -e 's/compiler="[^"]*"/compiler="X"/' "$out"
exit $rc
