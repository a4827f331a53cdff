#!/bin/sh
# Bad input, without the kernel: the exporter reads a hostile audit stream
# on stdin and serves hostile HTTP clients, and after each kind of abuse it
# is alive, answers a scrape, and has counted every rejected line exactly
# (the generator below knows how many of each kind it sent), or answered
# with an HTTP error status.
#   stdin: garbage, truncated, NUL-laden lines; lines of 1 and 8 MiB and
#          both sides of the 256 KiB bound; a SYSCALL record of 1,000,000
#          fields and an EXECVE of 100,000 arguments in one line (too long),
#          100,000 arguments as the kernel splits them (1,000 EXECVE
#          records: one truncated event), 60,000 tokens that are not
#          name=value in one SYSCALL record, bad saddr values, unknown
#          types and arches, parts of a syscall event without its SYSCALL;
#   HTTP:  a 1 MiB header, a 1 MiB URI, 100,000 headers, unknown methods,
#          malformed request lines, bad bodies; 1,000 connections held open
#          from four loopback addresses while a scrape still works, and the
#          per-address limit (256) on a fifth.
# Memory: peak RSS (VmHWM) stays under 64 MiB after the megabyte lines and
# after the thousand connections (release builds; sanitizer
# builds carry their own allocator overhead and are not measured).
. "$(dirname "$0")/lib.sh"

fx=$AE_ROOT/tests/fixtures
command -v python3 >/dev/null || ae_skip "python3 is not installed"

# ---- the generator: one phase of hostile input per call, on stdout --------
cat >"$ae_tmp/gen.py" <<'PY'
import random, sys

out = sys.stdout.buffer
rnd = random.Random(8)  # the same bytes every run
T = 1795260200  # seconds; every phase has its own serials
phase = sys.argv[1]


def rec(typ, serial, body):
    return b"type=%s msg=audit(%d.000:%d): %s" % (typ, T, serial, body)


def line(b):
    out.write(b + b"\n")


def marker(k):  # a single-record type: counted as soon as it is read
    line(rec(b"CONFIG_CHANGE", 900000 + k, b"op=marker res=1"))


SYSCALL = (b"arch=c000003e syscall=%d success=yes exit=0 a0=3 a1=7ffd a2=10"
           b" a3=0 items=%d ppid=1 pid=4242 auid=0 uid=0 gid=0 euid=0 suid=0"
           b" fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"%s\""
           b" exe=\"%s\" key=\"%s\"")
REAL = (b"type=SYSCALL msg=audit(1795260117.659:10243): arch=c000003e"
        b" syscall=42 success=yes exit=0 a0=3 a1=7ffd a2=10 a3=0 items=0"
        b" ppid=28973 pid=28978 auid=4242 uid=0 gid=0 comm=\"ae_wl\"")

if phase == "garbage":
    for i in range(100):  # printable, no type=: reason "type"
        line(b"garbage line %d: the quick brown fox { } \" ' = ==" % i)
    for i in range(100):  # random bytes, no NUL, CR or LF: reason "type"
        b = bytes(rnd.choice(range(1, 256)) for _ in range(rnd.randrange(1, 300)))
        b = b.replace(b"\n", b"x").replace(b"\r", b"x")
        line(b"#" + b)
    for i in range(20):  # node= without a type: reason "type"
        line(b"node=host%d garbage" % i)
    for i in range(10):  # an empty type name: reason "type"
        line(b"type= msg=audit(1.000:1): x=1")
    for i in range(5):  # blank and CR-only lines are nothing
        line(b"")
        line(b"\r")
    for i in range(50):  # a type, but no usable header: reason "header"
        line([b"type=SYSCALL", b"type=SYSCALL msg=", b"type=SYSCALL msg=audit(",
              b"type=SYSCALL msg=audit(1.23:4): x", b"type=EOE msg=audit(x.000:1): ",
              b"type=PATH msg=audit(1.000:99999999999): ", b"type=CWD\tmsg=audit(1.000:1): ",
              b"type=SYSCALL msg=audit(1.000:1)x", b"type=SYSCALL msg=audit(-1.000:1): ",
              b"type=SYSCALL msgs=audit(1.000:1): x"][i % 10])
    marker(1)
elif phase == "truncated":
    # every cut of a real record: 1..5 bytes lack "type=NAME" (reason
    # "type"), 6 up to the last byte before the stamp's ')' lack a header
    # (reason "header"); a stamp closed by ')' and the line's end is a
    # header, as auditd's old DAEMON_* lines have it
    end = REAL.index(b"): ") + 1
    for n in range(1, end):
        line(REAL[:n])
    # whole events whose saddr is cut: odd hex (reason "hex") and an inet
    # address of 4 bytes (reason "sockaddr")
    for serial, saddr in ((5001, b"0200A02"), (5002, b"0200A028")):
        line(rec(b"SYSCALL", serial, SYSCALL % (42, 0, b"cut", b"/bin/cut", b"c")))
        line(rec(b"SOCKADDR", serial, b"saddr=" + saddr))
        line(rec(b"EOE", serial, b""))
    marker(2)
elif phase == "nul":
    for i in range(40):  # a NUL somewhere in a real record: reason "nul_byte"
        b = rec(b"SYSCALL", 6000 + i, SYSCALL % (42, 0, b"nul", b"/bin/nul", b"n"))
        at = (i * 37) % len(b)
        line(b[:at] + b"\0" + b[at:])
    for i in range(10):  # nothing but NULs: reason "nul_byte"
        line(b"\0" * (i + 1))
    marker(3)
elif phase == "huge":
    for i in range(3):  # 1 MiB each: reason "line_too_long", once per line
        line(b"A" * (1 << 20))
    # 8 MiB of random printable bytes: "line_too_long" once
    line(bytes(rnd.choice(range(32, 127)) for _ in range(1 << 16)) * 128)
    line(b"\0" * (1 << 20))  # too long before it is ever parsed
    # exactly 256 KiB is a record; one byte more is too long
    head = rec(b"USER_ACCT", 7001, b"op=x ")
    line(head + b"a" * ((256 << 10) - len(head)))
    line(head + b"a" * ((256 << 10) + 1 - len(head)))
    marker(4)
elif phase == "fields":
    # one line each, far over 256 KiB: "line_too_long"
    line(rec(b"SYSCALL", 8001, b"a=1 " * 1000000))
    line(rec(b"EXECVE", 8002, b"argc=100000 " + b" ".join(
        b"a%d=\"x\"" % i for i in range(100000))))
    # 100,000 arguments as the kernel logs them: 1,000 EXECVE records of
    # 100 arguments; the event keeps 64 records and is counted truncated
    s = 8003
    line(rec(b"SYSCALL", s, SYSCALL % (59, 1, b"bigargs", b"/usr/bin/bigargs", b"exec")))
    for r in range(1000):
        line(rec(b"EXECVE", s, (b"argc=100000 " if r == 0 else b"") + b" ".join(
            b"a%d=\"x\"" % (r * 100 + i) for i in range(100))))
    line(rec(b"EOE", s, b""))
    # 60,000 tokens that are not name=value in a connect's SYSCALL record
    s = 8004
    line(rec(b"SYSCALL", s, SYSCALL % (42, 0, b"manytok", b"/bin/manytok", b"c")
             + b" x" * 60000))
    line(rec(b"SOCKADDR", s, b"saddr=020000507F0000010000000000000000"))
    line(rec(b"EOE", s, b""))
    # unknown record types (7), an unknown arch (1), syscall parts without
    # their SYSCALL record (1)
    for i in range(7):
        line(rec(b"NOT_A_TYPE", 8100 + i, b"x=1"))
    line(rec(b"SYSCALL", 8200, (SYSCALL % (42, 0, b"arch", b"/bin/arch", b"c")
                                ).replace(b"c000003e", b"deadbeef")))
    line(rec(b"EOE", 8200, b""))
    line(rec(b"CWD", 8201, b"cwd=\"/\""))
    line(rec(b"PATH", 8201, b"item=0 name=\"/etc/passwd\""))
    line(rec(b"EOE", 8201, b""))
    marker(5)
PY

# ---- the exporter, reading a FIFO we hold open ------------------------------
port=$(ae_free_port)
ae_spawn_on_fifo "$ae_tmp/in" "$AE_BIN" --baseline.file= --audit.source=stdin \
	--sketch.key-file="$fx/sketch.key" --web.listen-address="127.0.0.1:$port" \
	--log.level=error
pid=$ae_last_pid
ae_wait_http "$port" || ae_fail "exporter did not come up"

alive() { # what
	kill -0 "$pid" 2>/dev/null || ae_fail "exporter died after $1"
	ae_scrape "$port" "$ae_tmp/m"
}

# Sends a phase and waits until its closing marker is counted: by then
# every line before it has been read.
feed() { # phase marker
	python3 "$ae_tmp/gen.py" "$1" >&6 || ae_fail "generator phase $1"
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || ae_fail "exporter died reading $1"
		ae_scrape "$port" "$ae_tmp/m"
		[ "$(ae_value "$ae_tmp/m" 'audit_records_total{type="CONFIG_CHANGE"}')" = "$2" ] &&
			return 0
		sleep 0.1
	done
	ae_fail "phase $1 was not read within 30 s"
}

# Fails unless every "series value" pair holds in the last scrape.
expect() { # series value [series value...]
	while [ $# -ge 2 ]; do
		ae_expect "$ae_tmp/m" "$1" "$2"
		shift 2
	done
}

err() { printf 'audit_exporter_parse_errors_total{reason="%s"}' "$1"; }
skip() { printf 'audit_exporter_skipped_total{reason="%s"}' "$1"; }

# Peak RSS in MiB must stay below $1 (release builds only).
hwm_below() { # MiB what
	case $AE_BIN in
	*/build/address* | */build/thread* | */build/undefined*)
		ae_log "  (sanitizer build: peak memory not measured)"
		return 0
		;;
	esac
	kb=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$pid/status")
	[ -n "$kb" ] || ae_fail "no VmHWM for pid $pid"
	[ "$kb" -lt $(($1 * 1024)) ] ||
		ae_fail "peak RSS ${kb} KiB after $2, over the $1 MiB bound"
	ae_log "  peak RSS after $2: $kb KiB (bound $1 MiB)"
}

feed garbage 1
alive "garbage"
expect "$(err type)" 230 "$(err header)" 50 "$(err nul_byte)" 0 \
	"$(err line_too_long)" 0
feed truncated 2
alive "truncated lines"
# REAL's stamp ends with its 44th byte, ')': cuts 1..5 -> type, 6..43 ->
# header
expect "$(err type)" 235 "$(err header)" 88 "$(err hex)" 1 \
	"$(err sockaddr)" 1 "$(err number)" 0
feed nul 3
alive "NUL bytes"
expect "$(err nul_byte)" 50 "$(err type)" 235 "$(err header)" 88
feed huge 4
alive "megabyte lines"
expect "$(err line_too_long)" 6 'audit_records_total{type="USER_ACCT"}' 1
hwm_below 64 "megabyte lines"
feed fields 5
alive "absurd field counts"
expect "$(err line_too_long)" 8 \
	'audit_records_total{type="EXECVE"}' 1000 \
	audit_exporter_events_truncated_total 1 \
	'audit_execve_total{exe="/usr/bin/bigargs",uid="0"}' 1 \
	'audit_connect_total{comm="manytok",uid="0",family="inet",result="success"}' 1 \
	"$(skip not_name_value)" 60000 \
	"$(skip unknown_record_type)" 7 \
	"$(skip unknown_arch)" 1 \
	"$(skip no_syscall_record)" 1 \
	"$(err type)" 235 "$(err header)" 88 "$(err nul_byte)" 50 \
	"$(err hex)" 1 "$(err sockaddr)" 1 "$(err number)" 0
hwm_below 64 "absurd field counts"
ae_promtool_check "$ae_tmp/m"
echo "stdin: every bad line counted, alive, memory bounded"

# ---- HTTP -------------------------------------------------------------------
cat >"$ae_tmp/http.py" <<'PY'
import concurrent.futures, socket, sys
port = int(sys.argv[1])
big = b"x" * (1 << 20)
H = b"Host: a\r\nConnection: close\r\n"
requests = {
    "header_1mib": b"GET /metrics HTTP/1.1\r\n" + H + b"X-Big: " + big + b"\r\n\r\n",
    "uri_1mib": b"GET /metrics?" + big + b" HTTP/1.1\r\n" + H + b"\r\n",
    "headers_100000": b"GET /metrics HTTP/1.1\r\n" + H + b"X: y\r\n" * 100000 + b"\r\n",
    "method_FOO": b"FOO /metrics HTTP/1.1\r\n" + H + b"\r\n",
    "method_DELETE": b"DELETE /metrics HTTP/1.1\r\n" + H + b"\r\n",
    "post_1mib_body": b"POST /metrics HTTP/1.1\r\n" + H
        + b"Content-Length: 1048576\r\n\r\n" + big,
    "no_version": b"GET /metrics\r\n\r\n",
    "version_9_9": b"GET /metrics HTTP/9.9\r\n" + H + b"\r\n",
    "no_host": b"GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n",
    "two_hosts": b"GET /metrics HTTP/1.1\r\n" + H + b"Host: b\r\n\r\n",
    "http10_no_host": b"GET /metrics HTTP/1.0\r\n\r\n",
    "header_without_colon": b"GET /metrics HTTP/1.1\r\n" + H + b"NoColon\r\n\r\n",
    "negative_length": b"GET /metrics HTTP/1.1\r\n" + H + b"Content-Length: -5\r\n\r\n",
    "bad_chunk": b"POST /metrics HTTP/1.1\r\n" + H
        + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
    "method_only": b"GET\r\n\r\n",
    "binary": b"\x00\x01\x02\xff\xfe garbage\r\n\r\n",
    "blank": b"\r\n\r\n",
}

def ask(data, wait=15):
    """The status of the answer to data, or "none" when the server closes
    the connection, or keeps it, without answering (libmicrohttpd does so
    for request lines it cannot read: it waits for its idle timeout)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the server may answer and close before reading it all
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except OSError:
        pass  # reset, or `wait` seconds without a word
    s.close()
    first = got.split(b"\r\n", 1)[0].split(b" ")
    if len(first) > 1 and first[0].startswith(b"HTTP/"):
        return first[1].decode()
    return "none"


def one(name):  # each bad request, then a good scrape
    # where no answer is expected, 2 s of silence is taken as none
    wait = 2 if name in ("method_only", "binary", "blank") else 15
    return "%s %s %s" % (name, ask(requests[name], wait),
                         ask(b"GET /metrics HTTP/1.1\r\n" + H + b"\r\n"))


# all at once: the slowest sets the pace
with concurrent.futures.ThreadPoolExecutor(len(sys.argv) - 2) as ex:
    for r in ex.map(one, sys.argv[2:]):
        print(r, flush=True)
PY

# name:answer, the answer being the status or "none" (no response)
set -- header_1mib:431 uri_1mib:414 headers_100000:431 method_FOO:405 \
	method_DELETE:405 post_1mib_body:405 no_version:400 version_9_9:505 \
	no_host:400 two_hosts:400 http10_no_host:200 \
	header_without_colon:400 negative_length:400 bad_chunk:400 \
	method_only:none binary:none blank:none
names=
for want; do names="$names ${want%%:*}"; done
# shellcheck disable=SC2086
python3 "$ae_tmp/http.py" "$port" $names >"$ae_tmp/http.out" ||
	ae_fail "HTTP client failed: $(cat "$ae_tmp/http.out")"
for want; do
	name=${want%%:*}
	got=$(awk -v n="$name" '$1 == n { print $2 " " $3 }' "$ae_tmp/http.out")
	[ "$got" = "${want#*:} 200" ] ||
		ae_fail "HTTP $name: expected ${want#*:} then a 200 scrape, got '$got'"
done
alive "bad HTTP requests"
echo "http: bad requests answered with 4xx/5xx (none when there is no request line)"

# 1,000 connections held open (a partial request each) from 127.0.0.2-5,
# 250 each (the per-address limit is 256, the total 1,024); then 300 from
# 127.0.0.6, of which exactly 44 are closed by the server.
cat >"$ae_tmp/hold.py" <<'PY'
import select, socket, sys, time
port, per, ips = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
socks = []
for ip in ips:
    for _ in range(per):
        s = socket.socket()
        s.bind((ip, 0))
        s.connect(("127.0.0.1", port))
        try:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: a\r\n")
        except OSError:
            pass
        socks.append(s)
def closed():
    n = 0
    for s in socks:
        if select.select([s], [], [], 0)[0]:
            try:
                n += s.recv(1, socket.MSG_PEEK) == b""
            except OSError:
                n += 1
    return n
print("open", len(socks), flush=True)
sys.stdin.readline()  # hold until told
# the server's answer to the last connections may still be on its way:
# report once the count has stayed the same for a second
n, same = closed(), 0
for _ in range(150):
    time.sleep(0.1)
    m = closed()
    same = same + 1 if m == n else 0
    n = m
    if same >= 10:
        break
print("closed", n, flush=True)
PY

# Holds connections until the exporter has accepted them all, then runs
# "$@"; leaves the holder's report in $ae_tmp/hold.out.
hold() { # per-address addresses... -- command...
	per=$1
	shift
	ips=
	while [ "$1" != -- ]; do
		ips="$ips $1"
		shift
	done
	shift
	rm -f "$ae_tmp/ctl"
	mkfifo "$ae_tmp/ctl"
	# shellcheck disable=SC2086
	python3 "$ae_tmp/hold.py" "$port" "$per" $ips <"$ae_tmp/ctl" \
		>"$ae_tmp/hold.out" 2>&1 &
	hp=$!
	exec 7>"$ae_tmp/ctl"
	for _ in $(seq 300); do
		grep -q '^open' "$ae_tmp/hold.out" && break
		kill -0 "$hp" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^open' "$ae_tmp/hold.out" ||
		ae_fail "could not open the connections: $(cat "$ae_tmp/hold.out")"
	"$@"
	echo >&7
	exec 7>&-
	wait "$hp"
}

conns() { ls "/proc/$pid/fd" | wc -l; }

scrape_held() {
	# the exporter has accepted them all (fds: 1,000 sockets and its own)
	for _ in $(seq 300); do
		[ "$(conns)" -ge 1000 ] && break
		sleep 0.1
	done
	[ "$(conns)" -ge 1000 ] || ae_fail "only $(conns) descriptors: connections not accepted"
	alive "1,000 held connections"
	expect 'audit_records_total{type="EXECVE"}' 1000
}
hold 250 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 -- scrape_held
grep -qx 'closed 0' "$ae_tmp/hold.out" ||
	ae_fail "held connections were closed: $(cat "$ae_tmp/hold.out")"
hwm_below 64 "1,000 connections"

hold 300 127.0.0.6 -- alive "300 connections from one address"
grep -qx 'closed 44' "$ae_tmp/hold.out" ||
	ae_fail "per-address limit: expected 44 of 300 closed, got: $(cat "$ae_tmp/hold.out")"
echo "http: 1,000 held connections and a scrape; 256 per address"

# end of input: the exporter keeps serving what it counted
exec 6>&-
for _ in $(seq 100); do
	ae_scrape "$port" "$ae_tmp/m"
	[ "$(ae_value "$ae_tmp/m" 'audit_exporter_source_up{source="stdin"}')" = 0 ] && break
	sleep 0.1
done
expect 'audit_exporter_source_up{source="stdin"}' 0 "$(skip not_name_value)" 60000
kill -TERM "$pid"
ae_wait_exit "$pid" 5 || ae_fail "did not stop within 5 s of SIGTERM"
# a sanitizer that found something (a leak, a race) makes the exit status
wait "$pid"
rc=$?
[ "$rc" = 0 ] || ae_fail "exporter exited with status $rc"
echo "bad input: all counted, nothing crashed"
