#!/bin/sh
# Live, as the audit daemon (running as nobody, with the capabilities
# --audit.resolve-sockets keeps): non-blocking connects by root clients
# whose endings are known, against audit_connect_outcome_total:
#   N connects to a listening 127.0.0.1 port, kept open until told:
#     success N
#   M connects to a closed port (refused), descriptors kept until told:
#     refused_or_failed M
#   K connects closed at once after connect() returned:
#     unresolved_gone K, and never success nor refused_or_failed
# The clients (outcome_client.py) check each connect returned EINPROGRESS
# and ended as their group says, so every count is known independently.
# Protocol is tcp (the bundled rules audit socket()), scope loopback.
# The delay is raised to 500ms so that a closing client is closed long
# before its lookup (it would have to stall half a second between its
# connect() and its close() to be seen established).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || ae_skip "no python3"
ae_kernel_begin
N=20
M=15
K=25
client=$AE_ROOT/tests/integration/outcome_client.py

port=$(ae_free_port)
lport=$(ae_free_ports 2)
cport=$((lport + 1)) # free, and nobody listens: refused
ae_workload_setup
ae_daemon_up "$port" --collector.connect_outcome.delay=500ms

ae_spawn_on_fifo "$ae_tmp/listen.in" python3 -c '
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(256)
print("listening", flush=True)
sys.stdin.readline()' "$lport" >"$ae_tmp/listen.out"
listener=$ae_last_pid
exec 7>&6 6>&-
for _ in $(seq 100); do
	grep -q listening "$ae_tmp/listen.out" && break
	sleep 0.05
done
grep -q listening "$ae_tmp/listen.out" || ae_fail "listener did not start"

# The fifo stays open for writing through fd 6 until the group ends it;
# a client reads its stdin line when the fifo's writer goes away.
ae_spawn_on_fifo "$ae_tmp/oc_hold.in" python3 "$client" hold "$N" "$lport" \
	oc_hold >"$ae_tmp/oc_hold.out"
exec 3>&6 6>&-
ae_spawn_on_fifo "$ae_tmp/oc_refused.in" python3 "$client" refused "$M" \
	"$cport" oc_refused >"$ae_tmp/oc_refused.out"
exec 4>&6 6>&-
ae_spawn_on_fifo "$ae_tmp/oc_close.in" python3 "$client" close "$K" \
	"$lport" oc_close >"$ae_tmp/oc_close.out"
exec 5>&6 6>&-
for c in oc_hold:$N oc_refused:$M oc_close:$K; do
	name=${c%:*}
	for _ in $(seq 200); do
		grep -q '^ready' "$ae_tmp/$name.out" && break
		sleep 0.05
	done
	grep -qx "ready ${c#*:}" "$ae_tmp/$name.out" ||
		ae_fail "$name: client failed: $(cat "$ae_tmp/$name.out")"
done

l() { # comm outcome
	printf 'audit_connect_outcome_total{comm="%s",uid="0",protocol="tcp",scope="loopback",outcome="%s"}' "$1" "$2"
}
{
	echo "$(l oc_hold success) $N"
	echo "$(l oc_refused refused_or_failed) $M"
	echo "$(l oc_close unresolved_gone) $K"
} >"$ae_tmp/expect"
ae_wait_expect "$port" "$ae_tmp/expect" "$ae_tmp/scrape" ||
	ae_fail "connect outcomes differ"
# nothing else for these clients: every connect has exactly one outcome
others=$(grep -E '^audit_connect_outcome_total\{comm="oc_' "$ae_tmp/scrape" |
	grep -v -F -e "$(l oc_hold success)" \
		-e "$(l oc_refused refused_or_failed)" \
		-e "$(l oc_close unresolved_gone)")
[ -z "$others" ] || ae_fail "unexpected outcomes: $others"
ae_promtool_check "$ae_tmp/scrape"

exec 3>&- 4>&- 5>&- 7>&- # the clients and the listener close and exit
ae_stop_daemon "$exporter" 5
echo "connect outcome live: success $N, refused_or_failed $M, unresolved_gone $K"
