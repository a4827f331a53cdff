#!/bin/sh
# Cardinality sketch benchmark (make bench): (a) accuracy over many trials,
# (b) side by side with Redis's HyperLogLog, (c) bytes per label set,
# (d) peak RSS of 20,000 per-process sketches, (e) speed.
# Starts its own redis-server on a free loopback port for (b) and stops it
# by PID; (b) is skipped when redis-server is missing. Exit 1 if a check
# in (a) fails or Redis is more accurate per byte in (b).
set -u
cd "$(dirname "$0")/../.."
: "${AE_TOOLS:=$(pwd)/build/release/tools}"
bench=$AE_TOOLS/sketch_bench
redis_tool=$AE_TOOLS/sketch_redis
for t in "$bench" "$redis_tool"; do
	[ -x "$t" ] || { echo "bench_sketch: $t is not built (make tools)" >&2; exit 2; }
done

rc=0
tmp=$(mktemp -d /tmp/ae-bench-sketch.XXXXXX)
redis_pid=
cleanup() {
	if [ -n "$redis_pid" ]; then
		kill "$redis_pid" 2>/dev/null
		wait "$redis_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

echo "== cardinality sketch (metrics/hll, metrics/win) =="
echo
"$bench" rmse || rc=1
echo

if command -v redis-server >/dev/null; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
		--daemonize no --dir "$tmp" --logfile "$tmp/redis.log" &
	redis_pid=$!
	for _ in $(seq 100); do
		redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
		sleep 0.1
	done
	out=$tmp/compare.txt
	"$redis_tool" compare "$port" | tee "$out" || rc=1
	grep -q '^verdict: ours is at least as accurate' "$out" || rc=1
	kill "$redis_pid" 2>/dev/null
	wait "$redis_pid" 2>/dev/null
	redis_pid=
else
	echo "(b) skipped: redis-server is not installed"
fi
echo
"$bench" bytes || rc=1
echo
"$bench" rss || rc=1
echo
"$bench" speed || rc=1
exit $rc
