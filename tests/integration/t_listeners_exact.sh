#!/bin/sh
# Live, as the audit daemon with the bundled rules, running as its default
# --runas.user after the privilege drop: listeners are exact (issue 22
# item 1). A user created for the test (and deleted after it) runs python:
#   a  TCP on 127.0.0.1 port 0       the kernel's port, not "0"
#   b  TCP on 0.0.0.0:P0             the any address: exposed
#   c  TCP on [::1] port 0           inet6, the kernel's port
#   d  TCP bound on 127.0.0.1:P1 in the parent, listen() in a forked child:
#      the child's record has no bind of its own; the kernel has the socket
#   u  UDP on 127.0.0.2 port 0       a UDP service, counted at its bind()
# The ports the kernel chose are read independently, from `ss -lnp` by the
# processes' pids. Every listener must show exactly once with exactly its
# labels, and nothing else for that uid.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || ae_skip "no setpriv"
command -v ss >/dev/null || ae_skip "no ss"
command -v useradd >/dev/null || ae_skip "no useradd"
py=/usr/bin/python3
[ -x "$py" ] || ae_skip "no $py"
ae_kernel_begin

user=aelsn$$
useradd -M -N -r -s /usr/sbin/nologin "$user" || ae_fail "useradd $user"
# On every exit: the user's processes end (EOF on their stdin, then the
# parent by its pid), the user is deleted, then lib.sh's cleanup.
lsn_cleanup() {
	rc=$?
	exec 6>&-
	[ -n "${ppid:-}" ] && ae_stop_pid "$ppid"
	[ -n "${cpid:-}" ] && ae_wait_exit "$cpid" 5
	userdel "$user" 2>/dev/null || ae_log "could not delete user $user"
	(exit $rc)
	ae_cleanup
}
trap lsn_cleanup EXIT
uid=$(id -u "$user")
gid=$(id -g "$user")
auid=$(cat /proc/self/loginuid)

port=$(ae_free_port)
base=$(ae_free_ports 4)
[ -n "$base" ] || ae_fail "no free ports"
p0=$((base + 2))
p1=$((base + 3))
ae_workload_setup
ae_daemon_up "$port"
euid=$(awk '/^Uid:/ { print $3 }' "/proc/$exporter/status")
[ "$euid" != 0 ] || ae_fail "the exporter did not drop root"

cat >"$ae_tmp/listeners.py" <<'PY'
import os, socket, sys

p0, p1 = int(sys.argv[1]), int(sys.argv[2])
a = socket.socket()
a.bind(("127.0.0.1", 0))
a.listen()
b = socket.socket()
b.bind(("0.0.0.0", p0))
b.listen()
c = socket.socket(socket.AF_INET6)
c.bind(("::1", 0))
c.listen()
d = socket.socket()
d.bind(("127.0.0.1", p1))
r, w = os.pipe()
child = os.fork()
if child == 0:  # holds d alone, so ss tells the two apart
    for s in (a, b, c):
        s.close()
    d.listen()
    os.write(w, b"x")
    sys.stdin.read()
    os._exit(0)
os.read(r, 1)
d.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.2", 0))
print(os.getpid(), child, flush=True)
sys.stdin.read()
os.waitpid(child, 0)
PY
chmod 644 "$ae_tmp/listeners.py"

ae_spawn_on_fifo "$ae_tmp/in" setpriv --reuid="$uid" --regid="$gid" \
	--clear-groups "$py" "$ae_tmp/listeners.py" "$p0" "$p1" \
	>"$ae_tmp/pids"
for _ in $(seq 100); do
	[ -s "$ae_tmp/pids" ] && break
	sleep 0.1
done
read -r ppid cpid <"$ae_tmp/pids" || ae_fail "the listeners did not start"
comm=$(cat "/proc/$ppid/comm")

# The kernel's ports, by pid: ss prints users:(("comm",pid=N,fd=M)).
ss_port() { # tcp|udp pid local-address
	ss -Hln"$(printf %.1s "$1")"p | awk -v pid="pid=$2," -v a="$3" '
		index($0, pid) { n = split($4, f, ":"); l = substr($4, 1,
			length($4) - length(f[n]) - 1)
			if (l == a) print f[n] }'
}
ka=$(ss_port tcp "$ppid" 127.0.0.1)
kc=$(ss_port tcp "$ppid" "[::1]")
ku=$(ss_port udp "$ppid" 127.0.0.2)
kd=$(ss_port tcp "$cpid" 127.0.0.1)
[ -n "$ka" ] && [ -n "$kc" ] && [ -n "$ku" ] ||
	ae_fail "ss does not show the listeners ($ka $kc $ku)"
[ "$kd" = "$p1" ] || ae_fail "ss shows the child on port '$kd', not $p1"

l="audit_listen_total{comm=\"$comm\",uid=\"$uid\",auid=\"$auid\""
cat >"$ae_tmp/expect" <<EXP
$l,family="inet",protocol="tcp",address="127.0.0.1",port="$ka"} 1
$l,family="inet",protocol="tcp",address="0.0.0.0",port="$p0"} 1
$l,family="inet6",protocol="tcp",address="::1",port="$kc"} 1
$l,family="inet",protocol="tcp",address="127.0.0.1",port="$p1"} 1
$l,family="inet",protocol="udp",address="127.0.0.2",port="$ku"} 1
EXP
ae_wait_expect "$port" "$ae_tmp/expect" "$ae_tmp/scrape" ||
	ae_fail "the listeners are not exact"
n=$(grep -c "^audit_listen_total{.*,uid=\"$uid\"," "$ae_tmp/scrape")
[ "$n" = 5 ] || {
	grep "^audit_listen_total{.*,uid=\"$uid\"," "$ae_tmp/scrape" >&2
	ae_fail "$n listen series for uid $uid, not 5"
}
ae_promtool_check "$ae_tmp/scrape"

exec 6>&- # the listeners read EOF and exit
ae_wait_exit "$ppid" 5 || ae_fail "the listeners did not exit"
ae_stop_daemon "$exporter" 5
echo "listeners exact: ports $ka (127.0.0.1) $p0 (0.0.0.0) $kc (::1)" \
	"$p1 (forked) udp $ku (127.0.0.2)"
