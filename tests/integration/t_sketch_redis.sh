#!/bin/sh
# The Redis-compatible sketch mode against a real redis-server: the same
# decimal-string items PFADDed to Redis and hashed by our MurmurHash64A
# (seed 0xadc83b19, p = 14) must give exactly the registers PFDEBUG GETREG
# returns, and PFCOUNT within 1 of our estimate, at 10^2 .. 10^6 distinct.
# Starts its own redis-server on a free loopback port and stops it by PID.
# Needs no root and no kernel audit.
. "$(dirname "$0")/lib.sh"

command -v redis-server >/dev/null || ae_skip "redis-server is not installed"
tool=$AE_TOOLS/sketch_redis
[ -x "$tool" ] || ae_fail "$tool is not built (make tools)"

port=$(ae_free_port)
ae_spawn redis-server --port "$port" --bind 127.0.0.1 --save '' \
	--appendonly no --daemonize no --dir "$ae_tmp" \
	--logfile "$ae_tmp/redis.log"
redis=$ae_last_pid
for _ in $(seq 100); do
	redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
	kill -0 "$redis" 2>/dev/null || ae_fail "redis-server exited: $(cat "$ae_tmp/redis.log")"
	sleep 0.1
done
redis-cli -p "$port" ping 2>/dev/null | grep -q PONG || ae_fail "redis-server did not answer"

"$tool" check "$port" || ae_fail "registers or PFCOUNT differ from Redis"
ae_stop_pid "$redis"
