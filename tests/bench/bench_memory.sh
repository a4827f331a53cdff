#!/bin/sh
# Memory. For 10^3, 10^4 and 10^5 distinct process names, each connecting
# to 10 destinations of its own (tests/tools/loggen, streamed through
# --audit.source=stdin; no kernel needed), the exporter's peak RSS (VmHWM)
# once the input is consumed, and the bytes each process name costs: its
# connect label set, its unique-destination sketch label set and its share
# of the host-wide sketch, over a run with one process name; and per label
# set, the label sets counted by the exporter itself (audit_exporter_series,
# all metrics). Then the worst a hostile host can force beside the memory
# budget (--metrics.memory-limit): limits small enough to reach in a few
# seconds (a few MiB above what the defaults reserve at start, measured
# first: the smallest limit the exporter starts with), filled by label sets
# and sketches: what the budget charged, what it refused, and the peak RSS
# over the one-name run against the limit, the ratio that scales to the
# default limit.
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

# hostile LIMIT_MIB PROCS DESTS FLAGS...: one line of the hostile table
hostile() {
	lim=$1 procs=$2 dests=$3
	shift 3
	ae_fed_exporter "$(ae_free_port)" "'$AE_TOOLS/loggen' --procs $procs --dests $dests" \
		--sketch.key-file="$key" --metrics.memory-limit="${lim}MiB" "$@"
	p=$ae_last_pid
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status")
	awk -v lim="$lim" -v hwm="$hwm" -v base="$base" -v what="$procs x $dests" '
		/^audit_exporter_memory_used_bytes\{/ { used += $2 }
		/^audit_exporter_memory_refused_total\{/ { refused += $2 }
		/^audit_exporter_series\{/ { sets += $2 }
		END {
			printf "%-16s %6d %9.1f %9d %9d %10.1f %12.1f\n", what, lim,
				used / 1048576, refused, sets, hwm / 1024,
				(hwm - base) / 1024 - used / 1048576
		}' "$ae_tmp/m"
	ae_stop_pid "$p"
}

# The smallest --metrics.memory-limit the exporter starts with, in KiB (to
# 16 KiB): what the defaults reserve before any event, the host-wide
# counts and the fixed tables (socket, destinations, users), which grows
# with each table a collector takes at start.
reserve_kib() {
	lo=1024 hi=262144
	while [ $((hi - lo)) -gt 16 ]; do
		mid=$(((lo + hi) / 2))
		if "$AE_BIN" --audit.source=file --audit.file=/dev/null --once \
			--sketch.key-file="$key" --metrics.memory-limit="${mid}KiB" \
			>/dev/null 2>&1; then
			hi=$mid
		else
			lo=$mid
		fi
	done
	echo "$hi"
}
res=$(reserve_kib)
tables=$("$AE_BIN" --audit.source=file --audit.file=/dev/null --once \
	--sketch.key-file="$key" 2>/dev/null |
	awk '/^audit_exporter_memory_used_bytes\{part="tables"\}/ { print $2 / 1048576 }')
res_mib=$(((res + 1023) / 1024))

echo
echo "hostile host against the memory budget: charged never passes the limit; the"
printf 'reserve, kept whether used or not, is %.1f MiB at the defaults (the smallest\n' \
	"$(awk -v k="$res" 'BEGIN { print k / 1024 }')"
printf 'limit that starts; %.2f MiB of it fixed tables); the limits below are that\n' \
	"${tables:-0}"
echo "plus 4 and 2 MiB; 'not charged' = peak RSS - one-name RSS - charged"
printf '%-16s %6s %9s %9s %9s %10s %12s\n' "names x dests" "limit" "charged" \
	refused "label sets" "peak RSS" "not charged"
# the default cap filled (10,000 names) with 100 destinations each, the
# sketches of 1,000 names made to want 9 MiB, and label sets without a cap
hostile $((res_mib + 4)) 10000 100
hostile $((res_mib + 2)) 1000 1000
hostile 64 200000 1 --metrics.max-series=0
echo "(MiB; not charged: the fixed tables, the scrape's buffers for the label sets held and"
echo "the heap's slack, so at the defaults the worst case is the limit plus the first line's share)"
