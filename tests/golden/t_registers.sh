#!/bin/sh
# The fleet export: with --sketch.export-registers the replay of the fixture
# exposes the host-wide sketch's registers folded to 2^8, for each window;
# the HyperLogLog estimate computed from them here (linear counting at this
# size), independently of the exporter's code, must agree with the exact
# answer the workload gives (13 distinct destinations) within the error of
# 2^8 registers (standard error 1.04/16 = 6.5%; 4 of them allowed: 9..17),
# and promtool must accept the exposition.
set -u
. "$(dirname "$0")/../integration/lib.sh"
fx=$AE_ROOT/tests/fixtures
"$AE_BIN" --baseline.file= --audit.source=file --audit.file="$fx/workload.log" --once \
	--sketch.key-file="$fx/sketch.key" --sketch.export-registers \
	--log.level=error >"$ae_tmp/r.prom" || ae_fail "replay failed"
ae_promtool_check "$ae_tmp/r.prom"
for w in 5m 1h 24h; do
	n=$(grep -c "^audit_connect_unique_destinations_register{window=\"$w\"," "$ae_tmp/r.prom")
	[ "$n" = 256 ] || ae_fail "window $w has $n registers, not 256"
	est=$(python3 - "$ae_tmp/r.prom" "$w" <<'PY'
import math, re, sys
regs = [int(float(v)) for w, v in re.findall(
    r'^audit_connect_unique_destinations_register\{window="([^"]+)",register="\d+"\} (\S+)$',
    open(sys.argv[1]).read(), re.M) if w == sys.argv[2]]
m = len(regs)
raw = 0.7213 / (1 + 1.079 / m) * m * m / sum(2.0 ** -r for r in regs)
zeros = regs.count(0)
print(round(m * math.log(m / zeros) if raw <= 2.5 * m and zeros else raw))
PY
)
	[ "$est" -ge 9 ] && [ "$est" -le 17 ] ||
		ae_fail "window $w: registers estimate $est, not 13 within 26%"
done
echo "registers: 3 x 256 exported, estimate $est for the workload's 13 destinations"
