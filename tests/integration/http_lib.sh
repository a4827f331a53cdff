# Helpers for the HTTP tests (t_http_load.sh, t_http_concurrent.sh,
# t_web_config.sh); sourced after lib.sh, never run.

# Waits (up to 20 s) until 127.0.0.1:port takes TCP connections: with TLS
# or client certificates an HTTP check cannot tell. Fails if pid exits.
http_wait_port() { # port pid
	for _ in $(seq 200); do
		python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
			"$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || ae_fail "the exporter exited"
		sleep 0.1
	done
	ae_fail "the exporter did not listen on port $1"
}

# Starts the exporter on the replay fixture on a fresh loopback port, with
# more flags; sets port and pid and waits until the port is open.
http_replay_start() { # flags...
	port=$(ae_free_port)
	ae_spawn "$AE_BIN" --baseline.file= --audit.source=file \
		--audit.file="$AE_ROOT/tests/fixtures/workload.log" \
		--sketch.key-file="$AE_ROOT/tests/fixtures/sketch.key" \
		--web.listen-address="127.0.0.1:$port" --log.level=warn "$@"
	pid=$ae_last_pid
	http_wait_port "$port" "$pid"
}

# Waits for each given background job; a bare `wait` would also wait for
# the exporter, which runs until stopped.
http_wait_jobs() { # pid...
	for j; do
		wait "$j"
	done
}

# A scrape of the replay under load: must get a whole 200 with the
# replay's series (curl --max-time 10, generous: latency is printed,
# never asserted). The body stays in $ae_tmp/m.
http_scrape_whole() { # what url curl-args...
	what=$1 url=$2
	shift 2
	out=$(curl -s --max-time 10 -o "$ae_tmp/m" \
		-w '%{http_code} %{time_total}' "$@" "$url") ||
		ae_fail "$what: the scrape failed (curl $?)"
	set -- $out
	[ "$1" = 200 ] || ae_fail "$what: the scrape got status $1"
	ae_check_expect "$ae_tmp/m" "$AE_ROOT/tests/fixtures/workload.expect" ||
		ae_fail "$what: the scrape has wrong series"
	echo "latency: $what: ${2}s"
}

# Tallies the answers of scrapes made at once: statuses in $ae_tmp/s.N,
# bodies in $ae_tmp/PREFIX.N. A 200 must pass CHECK (a command, given the
# body's file), a 503 must name --web.max-requests, and nothing else may
# come. Sets ok and busy to the counts of each.
http_tally() { # what prefix check...
	what=$1 prefix=$2
	shift 2
	ok=0 busy=0
	for f in "$ae_tmp"/s.*; do
		b=$ae_tmp/$prefix.${f##*.}
		case $(cat "$f") in
		200)
			"$@" "$b" || ae_fail "$what: a 200 with wrong series"
			ok=$((ok + 1))
			;;
		503)
			grep -q -- '--web.max-requests' "$b" ||
				ae_fail "$what: a 503 without the reason"
			busy=$((busy + 1))
			;;
		*) ae_fail "$what: status $(cat "$f")" ;;
		esac
	done
}

# Starts a client that writes FILE once it holds what it should (it
# writes FILE.tmp and renames it), and waits up to 60 s for it; the
# client's pid is in ae_last_pid.
http_spawn_ready() { # file command...
	ready=$1
	shift
	rm -f "$ready"
	ae_spawn "$@"
	for _ in $(seq 600); do
		[ -f "$ready" ] && return 0
		kill -0 "$ae_last_pid" 2>/dev/null || ae_fail "$1 $2 died"
		sleep 0.1
	done
	ae_fail "$1 $2 did not get ready"
}
