#!/bin/sh
# The workload of bench_socket_rules.sh, run inside its own network and
# mount namespaces (unshare -n -m): loopback only, and /etc/resolv.conf
# pointing at a DNS responder on 127.0.0.1 so that lookups of names not in
# /etc/hosts are real UDP DNS queries that never leave the namespace.
#   socket_workload.sh DIR N
set -eu
dir=$1
n=$2
py=/usr/bin/python3
ip link set lo up
printf 'nameserver 127.0.0.1\noptions attempts:1 timeout:1\n' >"$dir/resolv.conf"
mount --bind "$dir/resolv.conf" /etc/resolv.conf
"$py" "$(dirname "$0")/dns_responder.py" 127.0.0.1 53 &
dns=$!
"$py" -m http.server --bind 127.0.0.1 18080 --directory "$dir" >/dev/null 2>&1 &
web=$!
trap 'kill $dns $web 2>/dev/null' EXIT
# wait for both servers (no timing asserted, only readiness)
for _ in $(seq 100); do
	curl -s -o /dev/null http://127.0.0.1:18080/ && break
	sleep 0.1
done
echo "marker start" >/dev/null
i=0
while [ $i -lt "$n" ]; do
	curl -s -o /dev/null "http://127.0.0.1:18080/"
	"$py" -c 'import socket; s = socket.create_connection(("127.0.0.1", 18080)); s.close()'
	getent hosts "host$i.bench.test" >/dev/null || true
	getent hosts localhost >/dev/null
	i=$((i + 1))
done
