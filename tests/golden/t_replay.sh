#!/bin/sh
# Golden replay: the fixture log captured from this kernel (see
# tests/fixtures/capture.sh) is replayed with --once.
#   1. the exposition must equal tests/golden/workload.prom (normalised);
#   2. independently of the golden file, every line of the workload's own
#      answer (tests/fixtures/workload.expect) must be in it;
#   3. promtool must accept it;
#   4. the same log through stdin must give the same exposition;
#   5. in OpenMetrics (served, by Accept) it must equal
#      tests/golden/workload.om, carry exactly the same samples, and pass
#      the strict OpenMetrics parser of the reference Python client
#      (promtool check metrics reads only the text format).
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
"$AE_BIN" --baseline.file= --audit.source=file --audit.file="$fx/workload.log" --once \
	--sketch.key-file="$fx/sketch.key" --log.level=error >"$ae_tmp/raw.prom" ||
	ae_fail "raw replay failed"
ae_promtool_check "$ae_tmp/raw.prom"
"$AE_ROOT/tests/golden/replay.sh" "$fx/workload.log" --audit.source=stdin \
	>"$ae_tmp/stdin.prom" || ae_fail "stdin replay failed"
sed 's/source="stdin"/source="file"/' "$ae_tmp/stdin.prom" >"$ae_tmp/stdin2.prom"
diff -u "$ae_tmp/file.prom" "$ae_tmp/stdin2.prom" >&2 ||
	ae_fail "stdin replay differs from the file replay"
"$AE_ROOT/tests/golden/replay_om.sh" "$fx/workload.log" >"$ae_tmp/om.prom" ||
	ae_fail "OpenMetrics replay failed"
if ! diff -u "$AE_ROOT/tests/golden/workload.om" "$ae_tmp/om.prom" >"$ae_tmp/diff"; then
	head -n 80 "$ae_tmp/diff" >&2
	ae_fail "OpenMetrics replay differs from tests/golden/workload.om"
fi
grep -v '^#' "$ae_tmp/file.prom" >"$ae_tmp/text.samples"
grep -v '^#' "$ae_tmp/om.prom" >"$ae_tmp/om.samples"
cmp -s "$ae_tmp/text.samples" "$ae_tmp/om.samples" ||
	ae_fail "text and OpenMetrics carry different samples"
/usr/bin/python3 - "$ae_tmp/om.prom" <<'PY' || ae_fail "the OpenMetrics parser rejects the exposition"
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
list(text_string_to_metric_families(open(sys.argv[1]).read()))
PY
echo "golden replay: $(grep -c '' "$fx/workload.expect") workload series, $(grep -vc '^#' "$ae_tmp/file.prom") samples"
