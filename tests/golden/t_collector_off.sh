#!/bin/sh
# A collector that is off does no work, end to end: the fixture replayed
# with --no-collector.connect charges no sliding-window sketch to the
# memory budget (only connect builds sketches) and writes none of
# connect's families, while the syscall collector still counts every
# connect(). The same replay with connect on is the control: it does
# charge sketches, so the check can fail.
set -u
. "$(dirname "$0")/../integration/lib.sh"
fx=$AE_ROOT/tests/fixtures
replay() { # out flags...: the raw --once exposition (memory not normalised)
	o=$1
	shift
	"$AE_BIN" --baseline.file= --audit.source=file --audit.file="$fx/workload.log" --once \
		--log.level=error --runas.user= \
		--sketch.key-file="$fx/sketch.key" \
		--audit.rules.file="$fx/workload.rules" "$@" >"$o" ||
		ae_fail "replay $* failed"
}
value() { # file series: its sample's value
	awk -v s="$2" '$1 == s { print $2 }' "$1"
}
connects() { # file: connect() syscall events counted
	awk '/^audit_syscall_events_total\{syscall="connect",/ { n += $NF }
		END { printf "%d", n }' "$1"
}
sk='audit_exporter_memory_used_bytes{part="sketches"}'
replay "$ae_tmp/on.prom"
replay "$ae_tmp/off.prom" --no-collector.connect
on=$(value "$ae_tmp/on.prom" "$sk")
off=$(value "$ae_tmp/off.prom" "$sk")
[ -n "$on" ] && [ "$on" -gt 0 ] ||
	ae_fail "control: connect on charged no sketch ($sk '$on')"
[ "$off" = 0 ] || ae_fail "connect off still charged $off bytes of sketches"
if grep -E '^audit_(process_)?connect_(total|unique)' "$ae_tmp/off.prom"; then
	ae_fail "connect off still wrote its families"
fi
grep -q 'collector="connect"' "$ae_tmp/off.prom" &&
	ae_fail "connect off still reported as a collector"
n_on=$(connects "$ae_tmp/on.prom")
n_off=$(connects "$ae_tmp/off.prom")
[ "$n_on" -gt 0 ] && [ "$n_on" = "$n_off" ] ||
	ae_fail "connect() events counted: $n_on with connect on, $n_off off"
echo "connect off: 0 sketch bytes (on: $on), $n_off connect() events counted"
