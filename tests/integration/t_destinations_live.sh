#!/bin/sh
# Live, as the audit daemon on the bundled rules: who connected where.
# Clients of known identity connect to addresses of 127.77.S.0/24 that
# nothing else on the host uses (S random per run), and every
# audit_connect_recent_total line for that block must be exactly the
# workload's own answer, written below before anything runs:
#   python3 as root     127.77.S.1:P twice, 127.77.S.2:P once, and
#                       127.77.S.5:Q once (nothing listens: refused)
#   curl as nobody      127.77.S.3:P once (one HTTP GET)
#   ncat as nobody      127.77.S.4:P once
# comm (the name it was run by: python3, not the python3.11 of its exe),
# exe (the resolved binary), uid, the session's auid (4242, set for the
# clients' session), protocol tcp
# (the bundled rules' socket() audit), scope loopback, destination and
# port; no other line of the block. promtool must accept the exposition,
# and SIGTERM must leave the kernel's audit state as it was.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || ae_skip "no setpriv"
command -v curl >/dev/null || ae_skip "no curl"
command -v ncat >/dev/null || ae_skip "no ncat"
py=/usr/bin/python3
[ -x "$py" ] || ae_skip "no $py"
ae_kernel_begin

port=$(ae_free_port)
P=$(ae_free_port)
Q=$((P + 1))
S=$(awk 'BEGIN { srand(); print 1 + int(rand() * 250) }')
net=127.77.$S
# the clients run in a login session of auid 4242 (root may set the
# loginuid of a process that has none); if this shell already has one,
# that is the session
in_session() { sh -c '[ "$(cat /proc/self/loginuid)" != 4294967295 ] ||
	echo 4242 >/proc/self/loginuid; exec "$@"' sh "$@"; }
auid=$(in_session cat /proc/self/loginuid)
pyexe=$(readlink -f "$py")
curlexe=$(readlink -f "$(command -v curl)")
ncatexe=$(readlink -f "$(command -v ncat)")
T='protocol="tcp",scope="loopback"'
{
	echo "audit_connect_recent_total{comm=\"${py##*/}\",exe=\"$pyexe\",uid=\"0\",auid=\"$auid\",$T,destination=\"$net.1\",port=\"$P\"} 2"
	echo "audit_connect_recent_total{comm=\"${py##*/}\",exe=\"$pyexe\",uid=\"0\",auid=\"$auid\",$T,destination=\"$net.2\",port=\"$P\"} 1"
	echo "audit_connect_recent_total{comm=\"${py##*/}\",exe=\"$pyexe\",uid=\"0\",auid=\"$auid\",$T,destination=\"$net.5\",port=\"$Q\"} 1"
	echo "audit_connect_recent_total{comm=\"curl\",exe=\"$curlexe\",uid=\"65534\",auid=\"$auid\",$T,destination=\"$net.3\",port=\"$P\"} 1"
	echo "audit_connect_recent_total{comm=\"ncat\",exe=\"$ncatexe\",uid=\"65534\",auid=\"$auid\",$T,destination=\"$net.4\",port=\"$P\"} 1"
} | sort >"$ae_tmp/expect"

ae_workload_setup
# a large table: the host's other connects must not evict ours
ae_daemon_up "$port" --collector.destinations.max=20000

# one server on 127.77.S.1-4:P: accepts, answers HTTP, closes
cat >"$ae_tmp/srv.py" <<'PY'
import socket, sys, threading
net, port = sys.argv[1], int(sys.argv[2])
def serve(addr):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        c.settimeout(2)
        try:
            c.recv(4096)
        except OSError:
            pass
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
        c.close()
for i in range(1, 5):
    threading.Thread(target=serve, args=("%s.%d" % (net, i),), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
PY
export AE_READY="$ae_tmp/ready"
ae_spawn sh -c 'exec "$0" "$@" >"$AE_READY"' \
	"$py" "$ae_tmp/srv.py" "$net" "$P"
server=$ae_last_pid
for _ in $(seq 100); do
	grep -q ready "$ae_tmp/ready" 2>/dev/null && break
	kill -0 "$server" 2>/dev/null || ae_fail "server did not start"
	sleep 0.1
done

# the clients (the server's own accepts are not connects)
in_session "$py" - "$net" "$P" "$Q" <<'PY' || ae_fail "python client failed"
import socket, sys
net, p, q = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for host in (net + ".1", net + ".1", net + ".2"):
    s = socket.create_connection((host, p))
    s.sendall(b"x")
    s.close()
s = socket.socket()
try:
    s.connect((net + ".5", q))
    sys.exit("connect to a closed port succeeded")
except ConnectionRefusedError:
    pass
PY
in_session setpriv --reuid=65534 --regid=65534 --clear-groups \
	curl -sf --noproxy '*' -o /dev/null "http://$net.3:$P/" ||
	ae_fail "curl as nobody failed"
in_session setpriv --reuid=65534 --regid=65534 --clear-groups \
	ncat --send-only "$net.4" "$P" </dev/null || ae_fail "ncat as nobody failed"

# every line of the block, exactly, and no other
for _ in $(seq 75); do
	ae_scrape "$port" "$ae_tmp/scrape"
	grep "^audit_connect_recent_total{.*destination=\"$net\\." "$ae_tmp/scrape" |
		sort >"$ae_tmp/got"
	cmp -s "$ae_tmp/expect" "$ae_tmp/got" && break
	sleep 0.2
done
diff -u "$ae_tmp/expect" "$ae_tmp/got" || ae_fail "per-destination lines differ"
ae_promtool_check "$ae_tmp/scrape"
ae_expect "$ae_tmp/scrape" audit_connect_recent_max_entries 20000
ae_expect "$ae_tmp/scrape" audit_connect_recent_evicted_total 0

ae_stop_pid "$server"
ae_stop_daemon "$exporter" 5
echo "destinations live: 5 tuples of $net as the clients made them"
