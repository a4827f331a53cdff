#!/bin/sh
# Memory. For 10^3, 10^4 and 10^5 distinct process names, each connecting
# to 10 destinations of its own (tests/tools/loggen, streamed through
# --audit.source=stdin; no kernel needed), the exporter's peak RSS (VmHWM)
# once the input is consumed, and the bytes each process name costs: its
# connect label set, its unique-destination sketch label set and its share
# of the host-wide sketch, over a run with one process name; and per label
# set, the label sets counted by the exporter itself (audit_exporter_series,
# all metrics).
. "$(dirname "$0")/../integration/lib.sh"
key=$AE_ROOT/tests/fixtures/sketch.key

peak() { # names -> "peak_kib label_sets"
	ae_fed_exporter "$(ae_free_port)" "'$AE_TOOLS/loggen' --procs $1 --dests 10" \
		--sketch.key-file="$key" --metrics.max-series=$(($1 + 100))
	p=$ae_last_pid
	[ "$(ae_value "$ae_tmp/m" 'audit_exporter_series{metric="audit_connect"}')" = "$1" ] ||
		ae_fail "not every process name was kept"
	printf '%s %s\n' "$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status")" \
		"$(awk '/^audit_exporter_series\{/ { s += $2 } END { print s }' "$ae_tmp/m")"
	ae_stop_pid "$p"
}

set -- $(peak 1)
base=$1 base_sets=$2
echo "memory: each process name connects to 10 destinations of its own"
printf '%-14s %14s %11s %22s %20s\n' "process names" "peak RSS MiB" "label sets" \
	"bytes per process name" "bytes per label set"
printf '%-14s %14.1f %11s %22s %20s\n' 1 "$(awk -v k="$base" 'BEGIN { print k / 1024 }')" \
	"$base_sets" - -
for n in 1000 10000 100000; do
	set -- $(peak "$n")
	printf '%-14s %14.1f %11s %22.0f %20.0f\n' "$n" "$(awk -v k="$1" 'BEGIN { print k / 1024 }')" "$2" \
		"$(awk -v k="$1" -v b="$base" -v n="$n" 'BEGIN { print (k - b) * 1024 / n }')" \
		"$(awk -v k="$1" -v b="$base" -v s="$2" -v s0="$base_sets" 'BEGIN { print (k - b) * 1024 / (s - s0) }')"
done
