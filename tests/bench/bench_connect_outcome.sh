#!/bin/sh
# How often a non-blocking connect's outcome is resolved, by delay, with
# real clients (docs/SOCKDIAG.md "Connect outcome: the exporter's own
# measurement"). For each --collector.connect_outcome.delay of
# OUTCOME_DELAYS, the exporter runs as the audit daemon (bundled rules, as
# nobody with the capabilities --audit.resolve-sockets keeps) and each
# client makes OUTCOME_CLIENTS connects, one at a time, to a python
# http.server on loopback (accepted) and to a closed port (refused):
#   curl -s http://127.0.0.1:PORT/   (non-blocking connect, then poll)
#   python3 asyncio open_connection  (non-blocking, the event loop's)
#   ncat --send-only PORT </dev/null  (nsock: non-blocking)
# The clients run under names of their own (copies named oc_curl and
# oc_ncat, python renames itself oc_python), so that the scrapes' own curl
# connects are not counted with them. Printed per row: the outcomes the
# exporter counted for that client's process name in that run
# (audit_connect_outcome_total, by difference of two scrapes) and their
# sum, which is the client's in-progress connects.
. "$(dirname "$0")/../integration/lib.sh"
ae_kernel_begin
: "${OUTCOME_DELAYS:=2ms 20ms}" # the default, and past the knee
: "${OUTCOME_CLIENTS:=50}"
command -v curl >/dev/null || ae_skip "no curl"
command -v ncat >/dev/null || ae_skip "no ncat"
ae_workload_setup
hport=$(ae_free_ports 2)
cport=$((hport + 1))
mkdir "$ae_tmp/www" && echo hello >"$ae_tmp/www/index.html"
cp "$(command -v curl)" "$ae_tmp/oc_curl"
cp "$(command -v ncat)" "$ae_tmp/oc_ncat"
ae_spawn python3 -m http.server --bind 127.0.0.1 --directory "$ae_tmp/www" \
	"$hport" >/dev/null 2>&1
for _ in $(seq 100); do
	curl -s -o /dev/null "http://127.0.0.1:$hport/" && break
	sleep 0.1
done

run_client() { # client port
	case $1 in
	oc_curl) "$ae_tmp/oc_curl" -s -o /dev/null "http://127.0.0.1:$2/" ;;
	oc_python) python3 -c '
import asyncio, sys
with open("/proc/self/comm", "w") as f:
    f.write("oc_python")
async def one(port):
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(b"GET / HTTP/1.0\r\n\r\n")
        await r.read()
        w.close()
    except OSError:
        pass
async def main(n, port):
    for _ in range(n):
        await one(port)
asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))' "$OUTCOME_CLIENTS" "$2" ;;
	oc_ncat) "$ae_tmp/oc_ncat" --send-only 127.0.0.1 "$2" </dev/null 2>/dev/null ;;
	esac
}

outcomes() { # scrape comm -> "success refused timeout gone evicted netns"
	for o in success refused_or_failed unresolved_timeout unresolved_gone \
		unresolved_evicted unresolved_netns; do
		grep "^audit_connect_outcome_total{comm=\"$2\"," "$1" |
			grep "outcome=\"$o\"" |
			awk '{ s += $NF } END { printf "%d ", s }'
	done
}

printf '%-9s %-8s %6s %8s %8s %8s %8s %8s %6s %6s\n' client target delay \
	success refused timeout gone evicted netns sum
for d in $OUTCOME_DELAYS; do
	port=$(ae_free_port)
	ae_daemon_up "$port" --collector.connect_outcome.delay="$d" \
		--log.level=warn
	for c in oc_curl oc_python oc_ncat; do
		for target in accepted refused; do
			p=$hport
			[ "$target" = refused ] && p=$cport
			ae_scrape "$port" "$ae_tmp/a"
			if [ "$c" = oc_python ]; then
				run_client oc_python "$p"
			else
				for _ in $(seq "$OUTCOME_CLIENTS"); do
					run_client "$c" "$p"
				done
			fi
			sleep 1.5 # the last ones reach their timeout or end
			ae_scrape "$port" "$ae_tmp/b"
			set -- $(outcomes "$ae_tmp/a" "$c")
			a="$*"
			set -- $(outcomes "$ae_tmp/b" "$c")
			set -- $(echo "$a" "$*" | awk '{ for (i = 1; i <= 6; i++) printf "%d ", $(i + 6) - $i }')
			printf '%-9s %-8s %6s %8s %8s %8s %8s %8s %6s %6s\n' \
				"$c" "$target" "$d" "$1" "$2" "$3" "$4" "$5" \
				"$6" $(($1 + $2 + $3 + $4 + $5 + $6))
		done
	done
	ae_stop_daemon "$exporter" 5
done
