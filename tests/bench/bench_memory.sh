#!/bin/sh
# Memory. For 10^3, 10^4 and 10^5 distinct process names, each connecting
# to 10 destinations of its own (tests/tools/loggen, streamed through
# --audit.source=stdin; no kernel needed), the exporter's peak RSS (VmHWM)
# once the input is consumed, and the bytes each process name costs: its
# connect label set, its unique-destination sketch label set and its share
# of the host-wide sketch, over a run with one process name.
. "$(dirname "$0")/../integration/lib.sh"
key=$AE_ROOT/tests/fixtures/sketch.key

peak() { # names -> "peak_kib"
	ae_fed_exporter "$(ae_free_port)" "'$AE_TOOLS/loggen' --procs $1 --dests 10" \
		--sketch.key-file="$key" --metrics.max-series=$(($1 + 100))
	p=$ae_last_pid
	[ "$(ae_value "$ae_tmp/m" 'audit_exporter_series{metric="audit_connect"}')" = "$1" ] ||
		ae_fail "not every process name was kept"
	awk '/^VmHWM:/ { print $2 }' "/proc/$p/status"
	ae_stop_pid "$p"
}

base=$(peak 1)
echo "memory: each process name connects to 10 destinations of its own"
printf '%-14s %14s %22s\n' "process names" "peak RSS MiB" "bytes per process name"
printf '%-14s %14.1f %22s\n' 1 "$(awk -v k="$base" 'BEGIN { print k / 1024 }')" -
for n in 1000 10000 100000; do
	k=$(peak "$n")
	printf '%-14s %14.1f %22.0f\n' "$n" "$(awk -v k="$k" 'BEGIN { print k / 1024 }')" \
		"$(awk -v k="$k" -v b="$base" -v n="$n" 'BEGIN { print (k - b) * 1024 / n }')"
done
