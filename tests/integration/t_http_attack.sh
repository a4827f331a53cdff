#!/bin/sh
# The attacks of issue 19 on the HTTP server, each short and on loopback
# (replay source, no kernel); while each runs, a legitimate scrape from
# another address must get a whole 200 (curl --max-time 10, generous; the
# latency is printed, never asserted):
#   - rate_limit: a client without credentials, or with a wrong password,
#     does not use up the authenticated scraper's tokens.
#   - slowloris: connections from 127.0.0.2-6, more than
#     --web.max-connections in all, each sending a header line every half
#     second: the scraper still gets in (the longest-waiting connections
#     are evicted), and a request that keeps trickling in is closed at
#     --web.read-timeout.
#   - clients that ask for /metrics and never read (one after another, so
#     each gets its own render), on a 3.4 MB exposition: the exporter's
#     memory grows by a few expositions at most, not one per client (the
#     senders of the oldest body are cut), and the scraper gets it whole.
#   - a burst of 100 gzip scrapes at once (held in the accept queue while
#     the exporter is stopped, then let go) with the default
#     --web.max-requests=40: each gets a whole exposition or a 503 that
#     names the flag, and some get the 503 (more than 40 waited at once;
#     before, they queued behind the handler threads and none did).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/http_lib.sh"

for t in curl python3 htpasswd ss; do
	command -v $t >/dev/null || ae_skip "$t is not installed"
done
d=$ae_tmp

# A legitimate scrape from 127.0.0.1: a whole 200 with the replay's series.
legit() { # what curl-args...
	what=$1
	shift
	http_scrape_whole "$what: legitimate scrape" \
		"http://127.0.0.1:$port/metrics" "$@"
}

# ---- rate_limit: unauthenticated requests have their own bucket -------------
hash=$(htpasswd -nbB user pass | cut -d: -f2-)
printf 'basic_auth_users:\n  user: %s\nrate_limit:\n  interval: 1h\n  burst: 3\n' \
	"$hash" >"$d/web.yml"
chmod 755 "$d" # readable by --runas.user, which looks at it again
chmod 644 "$d/web.yml"
http_replay_start --web.config.file="$d/web.yml"
# the scraper logs in first (its bcrypt run takes a token from the refused
# bucket; from then on its credentials are known and need none)
legit "rate_limit, authenticated before the flood" -u user:pass
codes=""
for _ in 1 2 3 4 5 6 7 8; do
	codes="$codes $(curl -s --max-time 20 -o /dev/null -w '%{http_code}' \
		--interface 127.0.0.2 "http://127.0.0.1:$port/metrics")"
done
[ "$codes" = " 401 401 429 429 429 429 429 429" ] ||
	ae_fail "rate_limit, no credentials: statuses$codes"
# wrong passwords draw on the same bucket, now empty (no bcrypt run)
code=$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' -u user:wrong \
	--interface 127.0.0.3 "http://127.0.0.1:$port/metrics")
[ "$code" = 429 ] || ae_fail "rate_limit, a wrong password: status $code"
for i in 1 2; do
	legit "rate_limit, authenticated request $i after the flood" -u user:pass
done
code=$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' -u user:pass \
	"http://127.0.0.1:$port/metrics")
[ "$code" = 429 ] || ae_fail "rate_limit, 4th authenticated: status $code"
ae_stop_pid "$pid"
echo "rate_limit: unauthenticated clients do not use the scraper's tokens"

# ---- slowloris -----------------------------------------------------------------
# Holds n connections from 127.0.0.2-6 (reconnecting those the server
# closed, every half second), each sending a request line and then a header line every half
# second, for secs seconds; prints "connects closes" at the end.
cat >"$d/slow.py" <<'PY'
import selectors, socket, sys, time
port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
sel = selectors.DefaultSelector()
connects = closes = 0
def conn(i):
    global connects
    s = socket.socket()
    s.setblocking(False)
    s.bind(("127.0.0.%d" % (2 + i % 5), 0))
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    connects += 1
    sel.register(s, selectors.EVENT_READ, [i, False])
socks = [conn(i) for i in range(n)]
end = time.time() + secs
last, again = 0, []
while time.time() < end:
    for key, _ in sel.select(0.1):
        try:
            data = key.fileobj.recv(4096)
        except OSError:
            data = b""
        if not data:
            closes += 1
            again.append(key.data[0])
            sel.unregister(key.fileobj)
            key.fileobj.close()
    if time.time() - last >= 0.5:
        last = time.time()
        for i in again:
            conn(i)
        again = []
        for key in list(sel.get_map().values()):
            line = b"X-A: b\r\n" if key.data[1] else \
                b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
            try:
                key.fileobj.send(line)
                key.data[1] = True
            except OSError:
                pass
print(connects, closes)
PY
http_replay_start --web.max-connections=100 --web.max-connections-per-ip=30
python3 "$d/slow.py" "$port" 150 6 >"$d/slow.out" &
slow=$!
sleep 2
for i in 1 2 3 4 5 6; do
	legit "slowloris, 150 connections, scrape $i"
	sleep 0.5
done
http_wait_jobs $slow
echo "slowloris: connects and closes seen by the attacker: $(cat "$d/slow.out")"
ae_stop_pid "$pid"

# one connection that keeps sending header lines is closed at the read
# timeout (on the previous code never: each line resets the idle timeout)
http_replay_start --web.read-timeout=1s
python3 "$d/slow.py" "$port" 1 4 >"$d/slow.out" ||
	ae_fail "slow.py failed"
set -- $(cat "$d/slow.out")
[ "$2" -ge 1 ] ||
	ae_fail "--web.read-timeout=1s: a trickling request was not closed in 4s"
echo "--web.read-timeout=1s: one trickling connection closed $2 times in 4s"
ae_stop_pid "$pid"

# ---- a large exposition for the next two ------------------------------------
"$AE_TOOLS/loggen" --procs 10000 --dests 1 --prefix abcdefg >"$d/big.log" ||
	ae_fail "loggen failed"
big_start() { # flags...
	port=$(ae_free_port)
	ae_spawn "$AE_BIN" --baseline.file= --audit.source=file --audit.file="$d/big.log" \
		--sketch.key-file="$AE_ROOT/tests/fixtures/sketch.key" \
		--web.listen-address="127.0.0.1:$port" --log.level=warn "$@"
	pid=$ae_last_pid
	http_wait_port "$port" "$pid"
	# the replay is read once it is served
	for _ in $(seq 100); do
		curl -s --max-time 10 -o "$d/b" "http://127.0.0.1:$port/metrics" &&
			big_whole "$d/b" && return 0
		sleep 0.1
	done
	ae_fail "the large replay did not load"
}
# whether a body is the whole large exposition: its 10,000 processes
big_whole() { # file
	[ "$(grep -c '^audit_connect_total{comm="abcdefg' "$1")" = 10000 ]
}
big_legit() { # what
	out=$(curl -s --max-time 10 -o "$d/b" -w '%{http_code} %{time_total}' \
		"http://127.0.0.1:$port/metrics") ||
		ae_fail "$1: the legitimate scrape failed (curl $?)"
	set -- "$1" $out
	[ "$2" = 200 ] || ae_fail "$1: the legitimate scrape got $2"
	big_whole "$d/b" || ae_fail "$1: the legitimate scrape is not whole"
	echo "latency: $1: legitimate scrape ${3}s"
}
rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status"
}

# ---- clients that never read ------------------------------------------------------
# n clients from 127.0.0.2-5, one after another: each asks for /metrics
# and waits for the first byte of its answer (so it has its own render),
# then never reads again; holds them open until killed, after writing its
# ready file.
cat >"$d/noread.py" <<'PY'
import os, select, socket, sys, time
port, n, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
socks = []
for i in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind(("127.0.0.%d" % (2 + i % 4), 0))
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    select.select([s], [], [], 10)
    socks.append(s)
with open(ready + ".tmp", "w") as f:
    f.write("%d\n" % n)
os.rename(ready + ".tmp", ready)
time.sleep(600)
PY
big_start
big_legit "before the non-readers"
size=$(wc -c <"$d/b")
rss0=$(rss_kb)
http_spawn_ready "$d/ready" python3 "$d/noread.py" "$port" 30 "$d/ready"
noread=$ae_last_pid
big_legit "30 clients that never read"
rss1=$(rss_kb)
grown=$((rss1 - rss0))
bound=$((8 * size / 1024 + 16384))
# the server's ends still established (the ones cut are closing)
est=$(ss -Htn state established "( sport = :$port )" |
	awk -v l="127.0.0.1:$port" '$3 == l && $4 ~ /^127\.0\.0\.[2-5]:/' | wc -l)
echo "non-readers: exposition $size bytes; RSS $rss0 kB -> $rss1 kB" \
	"(+$grown kB, bound $bound kB); $est of 30 still established"
# a sanitizer build's memory is not the product's: printed only
ae_sanitized || [ "$grown" -le "$bound" ] ||
	ae_fail "30 clients that never read grew RSS by $grown kB (bound $bound)"
ae_stop_pid "$noread"
ae_stop_pid "$pid"

# ---- a burst of scrapes beyond --web.max-requests ---------------------------------
big_start
kill -STOP "$pid"
rm -f "$d"/s.* "$d"/g.*
i=0 curls=""
while [ $i -lt 100 ]; do
	curl -s --max-time 20 --interface "127.0.0.$((2 + i % 4))" \
		-H 'Accept-Encoding: gzip' -o "$d/g.$i" -w '%{http_code}' \
		"http://127.0.0.1:$port/metrics" >"$d/s.$i" &
	curls="$curls $!"
	i=$((i + 1))
done
sleep 1 # all 100 sent, waiting in the kernel
kill -CONT "$pid"
# shellcheck disable=SC2086
http_wait_jobs $curls
gz_whole() { gzip -dc <"$1" >"$1.txt" && big_whole "$1.txt"; }
http_tally "burst of 100" g gz_whole
echo "burst of 100 gzip scrapes: $ok answered whole, $busy refused with 503"
[ "$busy" -ge 1 ] || ae_fail "burst of 100, --web.max-requests=40: no 503"
[ "$ok" -ge 1 ] || ae_fail "burst of 100: nothing answered"
big_legit "after the burst"
ae_stop_pid "$pid"

echo "http attacks: legitimate scrapes answered during each"
