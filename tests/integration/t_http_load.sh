#!/bin/sh
# The HTTP server holds up (replay source, no kernel):
#   - 200 slow or idle connections held open (half of them sent half a
#     request line, half nothing; from 127.0.0.2..5) and 300 more from one
#     address (127.0.0.9, beyond the per-address limit, which closes the
#     excess) do not keep a normal scrape from answering with the right
#     series, over HTTP and over TLS (there half of them send the start of
#     a ClientHello and the rest nothing);
#   - --web.max-connections-per-ip, --web.max-connections (which evicts
#     the longest-waiting connection) and --web.connection-timeout close
#     what they should;
#   - --web.max-requests=0 means no limit: 32 scrapes at once all get 200;
#   - --web.max-requests=1 with 32 scrapes at once: every answer is a whole
#     exposition (200) or the 503 that names the flag, nothing else.
# Latency is measured and printed, never asserted (the bench tracks it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/http_lib.sh"

for t in curl python3 openssl; do
	command -v $t >/dev/null || ae_skip "$t is not installed"
done
fx=$AE_ROOT/tests/fixtures
d=$ae_tmp

# Holds connections open until killed; writes "held SLOW FLOOD CLOSED" to
# the ready file once the server has had a chance to close what it will
# (the flood beyond the per-address limit is closed at once).
cat >"$d/hold.py" <<'PY'
import select, socket, sys, time
port, ready, tls = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "tls"
# half a request: an HTTP request line, or a TLS record that announces a
# 200-byte ClientHello and brings its first bytes
partial = b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03" if tls \
    else b"GET /metrics HT"
slow, flood = [], []
for i in range(200):
    s = socket.socket()
    s.bind(("127.0.0.%d" % (2 + i % 4), 0))
    s.connect(("127.0.0.1", port))
    if i % 2 == 0:
        s.sendall(partial)
    slow.append(s)
for i in range(300):
    s = socket.socket()
    s.bind(("127.0.0.9", 0))
    try:
        s.connect(("127.0.0.1", port))
    except OSError:
        pass
    flood.append(s)

def closed(socks):
    n = 0
    r, _, _ = select.select(socks, [], [], 0)
    for s in r:
        try:
            if s.recv(1, socket.MSG_PEEK) == b"":
                n += 1
        except OSError:
            n += 1
    return n

# wait (up to 10 s) for the server to close the excess of the flood
for _ in range(100):
    if closed(flood) >= 300 - 256:
        break
    time.sleep(0.1)
with open(ready + ".tmp", "w") as f:
    f.write("held %d %d %d %d\n" % (200 - closed(slow), 300 - closed(flood),
                                    closed(slow), closed(flood)))
import os
os.rename(ready + ".tmp", ready)
while True:
    time.sleep(60)
PY

hold() { # port http|tls: starts the holder and waits until it is ready
	http_spawn_ready "$d/ready" python3 "$d/hold.py" "$1" "$d/ready" "$2"
	holder=$ae_last_pid
	set -- $(cat "$d/ready")
	echo "held open: $2 of 200 slow/idle, $3 of 300 from one address" \
		"(closed by the server: $4 slow, $5 flood)"
	[ "$4" = 0 ] || ae_fail "the server closed $4 slow connections early"
	[ "$5" -ge 44 ] ||
		ae_fail "the per-address limit closed only $5 of 300"
}

scrape_under_load() { # scheme curl-args...
	scheme=$1
	shift
	http_scrape_whole "$scheme scrape with 500 connections held" \
		"$scheme://localhost:$port/metrics" "$@"
	ae_promtool_check "$d/m"
}

# ---- plain HTTP ------------------------------------------------------------
http_replay_start
hold "$port" http
scrape_under_load http
ae_stop_pid "$holder"
ae_stop_pid "$pid"

# ---- TLS: handshakes started and never finished, or never started ----------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	-keyout "$d/server.key" -out "$d/server.crt" 2>"$d/openssl.err" ||
	ae_fail "openssl: $(cat "$d/openssl.err")"
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n' \
	>"$d/web.yml"
http_replay_start --web.config.file="$d/web.yml"
hold "$port" tls
scrape_under_load https --cacert "$d/server.crt"
ae_stop_pid "$holder"
ae_stop_pid "$pid"

# ---- the limits' flags ---------------------------------------------------------
# Opens n connections (from 127.0.0.2..5, or all from 127.0.0.9 with "one";
# half send half a request), waits up to 30 s until the server has closed
# at least want of them, and prints how many it closed.
cat >"$d/conns.py" <<'PY'
import select, socket, sys, time
port, n, want, where = (int(sys.argv[1]), int(sys.argv[2]),
                        int(sys.argv[3]), sys.argv[4])
socks = []
for i in range(n):
    s = socket.socket()
    s.bind(("127.0.0.9" if where == "one" else "127.0.0.%d" % (2 + i % 4), 0))
    try:
        s.connect(("127.0.0.1", port))
        if i % 2 == 0:
            s.sendall(b"GET /metrics HT")
    except OSError:
        pass
    socks.append(s)
gone = set()
deadline = time.time() + 30
while len(gone) < want and time.time() < deadline:
    r, _, _ = select.select([s for s in socks if s not in gone], [], [], 0.2)
    for s in r:
        try:
            if s.recv(1, socket.MSG_PEEK) == b"":
                gone.add(s)
        except OSError:
            gone.add(s)
print(len(gone))
PY
closed() { # port n want one|spread
	python3 "$d/conns.py" "$@" || ae_fail "conns.py failed"
}

http_replay_start --web.max-connections-per-ip=100
c=$(closed "$port" 300 200 one)
[ "$c" = 200 ] ||
	ae_fail "--web.max-connections-per-ip=100: closed $c of 300, not 200"
ae_stop_pid "$pid"

# beyond the limit a new connection evicts the one that has waited longest:
# of 100 idle connections (from 127.0.0.2-5) the server closes the first
# 36, and 64 stay open
http_replay_start --web.max-connections=64
c=$(closed "$port" 100 36 spread)
[ "$c" = 36 ] ||
	ae_fail "--web.max-connections=64: closed $c of 100 idle, not 36"
ae_stop_pid "$pid"

http_replay_start --web.connection-timeout=1s
c=$(closed "$port" 40 40 spread)
[ "$c" = 40 ] ||
	ae_fail "--web.connection-timeout=1s: only $c of 40 idle closed in 30s"
ae_stop_pid "$pid"
echo "limits: per address, in total and the idle timeout close connections"

# ---- --web.max-requests -----------------------------------------------------
parallel() { # n: n scrapes at once; statuses in $d/s.*, bodies in $d/b.*
	rm -f "$d"/s.* "$d"/b.*
	i=0 curls=""
	while [ $i -lt "$1" ]; do
		curl -s --max-time 30 -o "$d/b.$i" -w '%{http_code}' \
			"http://127.0.0.1:$port/metrics" >"$d/s.$i" &
		curls="$curls $!"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	http_wait_jobs $curls
}
http_replay_start --web.max-requests=0
parallel 32
for f in "$d"/s.*; do
	[ "$(cat "$f")" = 200 ] ||
		ae_fail "--web.max-requests=0: status $(cat "$f") (no limit)"
	ae_check_expect "$d/b.${f##*.}" "$fx/workload.expect" ||
		ae_fail "--web.max-requests=0: wrong series"
done
ae_stop_pid "$pid"

http_replay_start --web.max-requests=1
parallel 32
whole() { ae_check_expect "$1" "$fx/workload.expect"; }
http_tally "--web.max-requests=1" b whole
echo "--web.max-requests=1, 32 at once: $ok answered, $busy refused with 503"
ae_stop_pid "$pid"
echo "http load: scrapes answer under held connections; request limits hold"
