#!/bin/sh
# Golden replay: the fixture log captured from this kernel (see
# tests/fixtures/capture.sh) is replayed with --once.
#   1. the exposition must equal tests/golden/workload.prom (normalised);
#   2. independently of the golden file, every line of the workload's own
#      answer (tests/fixtures/workload.expect) must be in it;
#   3. promtool must accept it;
#   4. the same log through stdin must give the same exposition.
set -u
. "$(dirname "$0")/../integration/lib.sh"
fx=$AE_ROOT/tests/fixtures
"$AE_ROOT/tests/golden/replay.sh" "$fx/workload.log" >"$ae_tmp/file.prom" ||
	ae_fail "replay failed"
if ! diff -u "$AE_ROOT/tests/golden/workload.prom" "$ae_tmp/file.prom" >"$ae_tmp/diff"; then
	head -n 80 "$ae_tmp/diff" >&2
	ae_fail "replay differs from tests/golden/workload.prom"
fi
ae_check_expect "$ae_tmp/file.prom" "$fx/workload.expect" ||
	ae_fail "replay does not match the workload's answer"
"$AE_BIN" --audit.source=file --audit.file="$fx/workload.log" --once \
	--sketch.key-file="$fx/sketch.key" --log.level=error >"$ae_tmp/raw.prom" ||
	ae_fail "raw replay failed"
ae_promtool_check "$ae_tmp/raw.prom"
"$AE_ROOT/tests/golden/replay.sh" "$fx/workload.log" --audit.source=stdin \
	>"$ae_tmp/stdin.prom" || ae_fail "stdin replay failed"
sed 's/source="stdin"/source="file"/' "$ae_tmp/stdin.prom" >"$ae_tmp/stdin2.prom"
diff -u "$ae_tmp/file.prom" "$ae_tmp/stdin2.prom" >&2 ||
	ae_fail "stdin replay differs from the file replay"
echo "golden replay: $(grep -c '' "$fx/workload.expect") workload series, $(grep -vc '^#' "$ae_tmp/file.prom") samples"
