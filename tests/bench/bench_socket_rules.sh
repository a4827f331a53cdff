#!/bin/sh
# Kernel events that telling TCP from UDP costs (issue 21, item 1): runs a
# client workload (curl, python, DNS lookups through getent) under the
# bundled connect and socket() rules (packaging/audit_exporter.rules),
# and, for the documentation of what is not seen, rules on every
# sendto/sendmsg/sendmmsg and on MSG_FASTOPEN. All
# rules filter on a private audit uid, so only the workload is counted.
# Prints SYSCALL events per (key, syscall, comm). Loopback only: the
# workload runs in its own network namespace with its own DNS responder.
#   BENCH_SOCKET_N=50 sh tests/bench/bench_socket_rules.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tests/integration/lib.sh"
ae_kernel_begin
[ -x /usr/bin/python3 ] || ae_skip "needs /usr/bin/python3"
command -v curl >/dev/null || ae_skip "needs curl"
command -v unshare >/dev/null || ae_skip "needs unshare"
n=${BENCH_SOCKET_N:-50}
auid=4243
dir=$ae_tmp/socket
mkdir -p "$dir"
echo hello >"$dir/index.html"
rules=$dir/rules
{
	# first match wins: the MSG_FASTOPEN rules come before every-sendto
	echo "-a always,exit -F arch=b64 -S sendto -F a3&0x20000000 -F auid=$auid -k tfo"
	echo "-a always,exit -F arch=b64 -S sendmsg -F a2&0x20000000 -F auid=$auid -k tfo"
	echo "-a always,exit -F arch=b64 -S sendto,sendmsg,sendmmsg -F auid=$auid -k send_all"
	grep -h '^-a .* -S \(connect\|socket\|socketcall\) ' \
		"$root/packaging/audit_exporter.rules" |
		grep -v 'socketcall -F a0=[24]' |
		sed "s/^\(-a .*\) -k \(.*\)\$/\1 -F auid=$auid -k \2/"
} >"$rules"
"$AE_TOOLS/audit_capture" --rules "$rules" --out "$dir/log" \
	--loginuid "$auid" -- unshare -n -m sh "$here/socket_workload.sh" "$dir" "$n"
echo "workload: $n x (curl, python create_connection, getent hosts NAME (DNS), getent hosts localhost)"
printf '%-10s %-10s %-16s %s\n' key syscall comm events
awk '/^type=SYSCALL / {
	k = ""; s = ""; c = ""
	for (i = 1; i <= NF; i++) {
		if ($i ~ /^key=/) k = substr($i, 5)
		if ($i ~ /^SYSCALL=/ || $i ~ /^syscall=/) s = substr($i, index($i, "=") + 1)
		if ($i ~ /^comm=/) c = substr($i, 6)
	}
	gsub(/"/, "", k); gsub(/"/, "", c)
	n[k " " s " " c]++
} END { for (x in n) { split(x, f, " "); printf "%-10s %-10s %-16s %d\n", f[1], f[2], f[3], n[x] } }' \
	"$dir/log" | sort
