#!/bin/sh
# Who connected where, replayed: a hand-written log (audit.log RAW format,
# written below) through --audit.source=file, and the per-destination
# lines compared with the answer worked out by hand from the log:
#   - an old connect (wget, two hours before the rest) has expired when
#     the others come (horizon 1h): no line, and not counted as evicted;
#   - a scanner (nmap) tries 127.100.0.1 .. 127.100.0.30:22, refused, into
#     a table of --collector.destinations.max=20: 1 .. 10 are evicted;
#   - then eight more tuples: curl to 127.200.0.7:22 from a socket whose
#     socket() was seen (TCP) and once from one that was not (protocol
#     unknown: two tuples), to [2001:db8::1]:443 over TCP and to
#     8.8.4.4:53 over UDP, python3 to 10.1.2.3:443 and 8.8.8.8:53 (as
#     root in auid 1001's session), a python that renamed itself sshd (its
#     exe says python3.11), a comm with a quote, a brace and a newline:
#     each evicts the oldest scanner entry, 11 .. 18;
# so 20 entries: nmap 19 .. 30 and the eight, 18 evicted. The same replay
# over HTTP in OpenMetrics has the family's TYPE once, as a counter.
set -u
. "$(dirname "$0")/../integration/lib.sh"
log=$ae_tmp/dest.log
v6=20010DB8000000000000000000000001 # 2001:db8::1
n=0
ev() { # time comm-field exe uid auid saddr exit [pid]
	n=$((n + 1))
	ok=yes
	[ "$7" = 0 ] || ok=no
	printf 'type=SYSCALL msg=audit(%s:%u): arch=c000003e syscall=42 success=%s exit=%s a0=3 a1=7ffd a2=10 a3=0 items=0 ppid=1 pid=%u auid=%s uid=%s gid=0 euid=%s suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=%s exe="%s" key="net"\n' \
		"$1" "$n" "$ok" "$7" "${8:-$((1000 + n))}" "$5" "$4" "$4" "$2" "$3"
	printf 'type=SOCKADDR msg=audit(%s:%u): saddr=%s\n' "$1" "$n" "$6"
	printf 'type=EOE msg=audit(%s:%u): \n' "$1" "$n"
}
sock() { # time pid family type: a successful socket() that returns fd 3
	n=$((n + 1))
	printf 'type=SYSCALL msg=audit(%s:%u): arch=c000003e syscall=41 success=yes exit=3 a0=%s a1=%s a2=0 a3=0 items=0 ppid=1 pid=%u auid=1001 uid=1001 gid=0 euid=1001 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="curl" exe="/usr/bin/curl" key="socket"\n' \
		"$1" "$n" "$3" "$4" "$2"
	printf 'type=EOE msg=audit(%s:%u): \n' "$1" "$n"
}
sa4() { # a b c d port: an inet saddr
	printf '0200%04X%02X%02X%02X%02X0000000000000000' "$5" "$1" "$2" "$3" "$4"
}
{
	ev 1699992800.000 '"wget"' /usr/bin/wget 1002 1002 "$(sa4 127 0 0 9 8080)" 0
	for i in $(seq 30); do
		ev "1700000000.$(printf %03d "$i")" '"nmap"' /usr/bin/nmap 1000 1000 \
			"$(sa4 127 100 0 "$i" 22)" -111
	done
	# curl's sockets are seen: TCP (pid 500), TCP over inet6 (501), UDP
	# (502, a resolver's connect to 8.8.4.4:53)
	sock 1700000099.000 500 2 1
	sock 1700000099.100 501 a 80801
	sock 1700000099.200 502 2 2
	ev 1700000100.000 '"curl"' /usr/bin/curl 1001 1001 "$(sa4 127 200 0 7 22)" 0 500
	ev 1700000101.000 '"curl"' /usr/bin/curl 1001 1001 "$(sa4 127 200 0 7 22)" 0
	ev 1700000102.000 '"curl"' /usr/bin/curl 1001 1001 \
		0A0001BB00000000${v6}00000000 0 501
	ev 1700000102.500 '"curl"' /usr/bin/curl 1001 1001 "$(sa4 8 8 4 4 53)" 0 502
	ev 1700000103.000 '"python3"' /usr/bin/python3.11 0 1001 "$(sa4 10 1 2 3 443)" 0
	ev 1700000104.000 '"python3"' /usr/bin/python3.11 0 1001 "$(sa4 8 8 8 8 53)" 0
	ev 1700000105.000 '"sshd"' /usr/bin/python3.11 1001 1001 "$(sa4 127 200 0 7 22)" 0
	ev 1700000106.000 657622696C7D20310A78 /tmp/x 1001 1001 "$(sa4 127 0 0 1 80)" 0
} >"$log"

flags="--collector.destinations.max=20 --collector.destinations.horizon=1h"
# shellcheck disable=SC2086 # flags are words
"$AE_BIN" --audit.source=file --audit.file="$log" --once --log.level=error \
	--runas.user= --sketch.key-file="$ae_tmp/key" $flags >"$ae_tmp/m.prom" ||
	ae_fail "replay failed"
ae_promtool_check "$ae_tmp/m.prom"
grep '^audit_connect_recent' "$ae_tmp/m.prom" | sort >"$ae_tmp/got"

P='protocol="unknown"'
{
	cat <<EXP
audit_connect_recent_entries 20
audit_connect_recent_evicted_total 18
audit_connect_recent_max_entries 20
audit_connect_recent_total{comm="curl",exe="/usr/bin/curl",uid="1001",auid="1001",protocol="tcp",scope="documentation",destination="2001:db8::1",port="443"} 1
audit_connect_recent_total{comm="curl",exe="/usr/bin/curl",uid="1001",auid="1001",protocol="tcp",scope="loopback",destination="127.200.0.7",port="22"} 1
audit_connect_recent_total{comm="curl",exe="/usr/bin/curl",uid="1001",auid="1001",protocol="udp",scope="public",destination="8.8.4.4",port="53"} 1
audit_connect_recent_total{comm="curl",exe="/usr/bin/curl",uid="1001",auid="1001",$P,scope="loopback",destination="127.200.0.7",port="22"} 1
audit_connect_recent_total{comm="ev\\"il} 1\\nx",exe="/tmp/x",uid="1001",auid="1001",$P,scope="loopback",destination="127.0.0.1",port="80"} 1
audit_connect_recent_total{comm="python3",exe="/usr/bin/python3.11",uid="0",auid="1001",$P,scope="private",destination="10.1.2.3",port="443"} 1
audit_connect_recent_total{comm="python3",exe="/usr/bin/python3.11",uid="0",auid="1001",$P,scope="public",destination="8.8.8.8",port="53"} 1
audit_connect_recent_total{comm="sshd",exe="/usr/bin/python3.11",uid="1001",auid="1001",$P,scope="loopback",destination="127.200.0.7",port="22"} 1
EXP
	for i in $(seq 19 30); do
		printf 'audit_connect_recent_total{comm="nmap",exe="/usr/bin/nmap",uid="1000",auid="1000",%s,scope="loopback",destination="127.100.0.%u",port="22"} 1\n' "$P" "$i"
	done
} | sort >"$ae_tmp/want"
diff -u "$ae_tmp/want" "$ae_tmp/got" || ae_fail "per-destination lines differ"

# OpenMetrics: the counter family once, its samples _total
port=$(ae_free_port)
# shellcheck disable=SC2086
ae_spawn "$AE_BIN" --audit.source=file --audit.file="$log" --log.level=error \
	--runas.user= --sketch.key-file="$ae_tmp/key" $flags \
	--web.listen-address="127.0.0.1:$port"
srv=$ae_last_pid
ae_wait_http "$port" || ae_fail "replay did not serve"
for _ in $(seq 100); do
	curl -sf -H 'Accept: application/openmetrics-text;version=1.0.0' \
		"http://127.0.0.1:$port/metrics" >"$ae_tmp/m.om" &&
		grep -q '^audit_exporter_source_up{source="file"} 0$' "$ae_tmp/m.om" &&
		break
	sleep 0.1
done
ae_stop_pid "$srv"
[ "$(grep -c '^# TYPE audit_connect_recent counter$' "$ae_tmp/m.om")" = 1 ] ||
	ae_fail "OpenMetrics: TYPE audit_connect_recent not once"
[ "$(grep -c '^# HELP audit_connect_recent ' "$ae_tmp/m.om")" = 1 ] ||
	ae_fail "OpenMetrics: HELP audit_connect_recent not once"
[ "$(grep -c '^audit_connect_recent_total{' "$ae_tmp/m.om")" = 20 ] ||
	ae_fail "OpenMetrics: not 20 samples"
tail -n 1 "$ae_tmp/m.om" | grep -qx '# EOF' || ae_fail "OpenMetrics: no # EOF"
echo "destinations replay: 20 entries as worked out, 18 evicted, 1 expired"
