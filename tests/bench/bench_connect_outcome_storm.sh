#!/bin/sh
# The connect_outcome collector's intake cost at a storm of non-blocking
# connects: one python process connects non-blocking to a closed loopback
# port and closes at once, in a loop, for STORM_SECONDS (one socket() and
# one in-progress connect() event each), beside the exporter as the audit
# daemon, with the collector off and on, STORM_ROUNDS rounds each.
# Printed per round: the connects made, the outcomes counted for them
# (each connect ends in exactly one, so on: the same number), the
# exporter's CPU per connect, and the outcomes by kind (mostly
# unresolved_evicted and unresolved_gone: lookups are bounded to 5% of the
# reader, and the clients close before any lookup; refused_or_failed only
# when a client was preempted between connect() and close()).
. "$(dirname "$0")/../integration/lib.sh"
ae_kernel_begin
: "${STORM_SECONDS:=5}"
: "${STORM_ROUNDS:=2}"
ae_workload_setup
cport=$(ae_free_ports 1)
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # clock ticks
tck=$(getconf CLK_TCK)
for flags in --no-collector.connect_outcome --collector.connect_outcome; do
	for r in $(seq "$STORM_ROUNDS"); do
		port=$(ae_free_port)
		ae_daemon_up "$port" --log.level=warn $flags
		c0=$(cpu "$exporter")
		python3 -c '
import socket, sys, time
with open("/proc/self/comm", "w") as f:
    f.write("oc_storm")
n, end = 0, time.time() + float(sys.argv[2])
while time.time() < end:
    for _ in range(100):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", int(sys.argv[1])))
        s.close()
        n += 1
print(n)' "$cport" "$STORM_SECONDS" >"$ae_tmp/n"
		sleep 4 # the last parked ones end (timeout 3 s)
		ae_scrape "$port" "$ae_tmp/m"
		c1=$(cpu "$exporter")
		n=$(cat "$ae_tmp/n")
		grep '^audit_connect_outcome_total{comm="oc_storm"' "$ae_tmp/m" |
			sed 's/.*outcome="\([a-z_]*\)"} \(.*\)/\1=\2/' >"$ae_tmp/o"
		got=$(awk -F= '{ s += $2 } END { print s + 0 }' "$ae_tmp/o")
		echo "$flags round $r: connects $n outcomes $got" \
			"reader cpu $(awk -v t=$((c1 - c0)) -v h="$tck" -v n="$n" \
				'BEGIN { printf "%.1f us/connect", t / h * 1e6 / n }')" \
			"$(tr '\n' ' ' <"$ae_tmp/o")"
		ae_stop_daemon "$exporter" 5
	done
done
