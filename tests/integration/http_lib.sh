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
	ae_spawn "$AE_BIN" --audit.source=file \
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
