# Shared helpers for the shell tests; sourced, never run.
#
# Kernel tests change global audit state. They call ae_kernel_begin first,
# which takes the machine-wide lock (one kernel test at a time, across
# suites and developers), records the audit status and rule list, and arms
# a trap that on every exit path stops the processes the test started (by
# PID), restores the rules and the status fields, and fails the test if the
# state could not be restored. Safety rules, enforced here:
#   - never set failure=2 (panic) or enabled=2 (locked until reboot);
#   - only loopback traffic; only our own processes are ever signalled.

AE_LOCK=${AE_LOCK:-/run/lock/audit_exporter_kernel.lock}
AE_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
: "${AE_BIN:=$AE_ROOT/audit_exporter}"
: "${AE_BUILD:=$AE_ROOT/build/release}"
: "${AE_TOOLS:=$AE_BUILD/tools}"
ae_tmp=$(mktemp -d /tmp/ae-test.XXXXXX)
ae_pids=""
ae_kernel=0

ae_log() { printf '%s\n' "$*" >&2; }
ae_fail() { ae_log "FAIL: $*"; exit 1; }
ae_skip() { ae_log "skip: $*"; exit 77; }

ae_need_root() {
	[ "$(id -u)" = 0 ] || ae_skip "needs root"
}

ae_status_field() { # field file
	awk -v k="$1" '$1 == k { print $2 }' "$2"
}

# The kernel's audit status field as `auditctl -s` prints it now.
ae_kstatus() { # field
	auditctl -s | ae_status_field "$1" -
}

ae_kernel_begin() {
	ae_need_root
	command -v auditctl >/dev/null || ae_skip "auditctl is not installed"
	auditctl -s >/dev/null 2>&1 || ae_skip "no kernel audit support"
	exec 9>"$AE_LOCK"
	flock -w 900 9 || ae_fail "could not take $AE_LOCK"
	auditctl -s >"$ae_tmp/status.before"
	auditctl -l >"$ae_tmp/rules.before"
	if [ "$(ae_status_field enabled "$ae_tmp/status.before")" = 2 ]; then
		ae_skip "audit is locked (enabled 2); nothing can be tested"
	fi
	ae_kernel=1
}

ae_spawn() { # command...: start in the background, remember the PID
	"$@" &
	ae_last_pid=$!
	ae_pids="$ae_pids $ae_last_pid"
}

ae_stop_pid() { # pid [signal]: stop one of our processes, wait up to 5 s
	kill -"${2:-TERM}" "$1" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

ae_rules_restore() {
	if grep -q '^No rules' "$ae_tmp/rules.before"; then
		auditctl -D >/dev/null
	else
		auditctl -D >/dev/null
		auditctl -R "$ae_tmp/rules.before" >/dev/null
	fi
}

ae_status_restore() {
	b=$ae_tmp/status.before
	for f in backlog_limit rate_limit backlog_wait_time; do
		v=$(ae_status_field $f "$b")
		[ -n "$v" ] || continue
		case $f in
		backlog_limit) auditctl -b "$v" >/dev/null ;;
		rate_limit) auditctl -r "$v" >/dev/null ;;
		backlog_wait_time) auditctl --backlog_wait_time "$v" >/dev/null ;;
		esac
	done
	v=$(ae_status_field failure "$b")
	case $v in 0 | 1) auditctl -f "$v" >/dev/null ;; esac
	v=$(ae_status_field enabled "$b")
	case $v in 0 | 1) auditctl -e "$v" >/dev/null ;; esac
}

# Compares the kernel's audit state with the one recorded at the start;
# prints the differences and returns 1 if there are any.
ae_state_diff() {
	auditctl -s >"$ae_tmp/status.after"
	auditctl -l >"$ae_tmp/rules.after"
	bad=0
	for f in enabled failure pid rate_limit backlog_limit backlog_wait_time; do
		a=$(ae_status_field $f "$ae_tmp/status.before")
		b=$(ae_status_field $f "$ae_tmp/status.after")
		if [ "$a" != "$b" ]; then
			ae_log "audit $f was $a, is $b"
			bad=1
		fi
	done
	if ! cmp -s "$ae_tmp/rules.before" "$ae_tmp/rules.after"; then
		ae_log "audit rules differ:"
		diff "$ae_tmp/rules.before" "$ae_tmp/rules.after" >&2
		bad=1
	fi
	return $bad
}

# A registered audit pid whose process is gone is cleared by the kernel the
# next time it tries to send; a user message makes it try.
ae_wait_pid_released() {
	for _ in $(seq 50); do
		p=$(ae_kstatus pid)
		[ "$p" = 0 ] && return 0
		kill -0 "$p" 2>/dev/null && return 1
		auditctl -m "audit_exporter test: probe audit daemon" 2>/dev/null
		sleep 0.1
	done
	return 1
}

ae_cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	for p in $ae_pids; do
		ae_stop_pid "$p"
	done
	if [ "$ae_kernel" = 1 ]; then
		ae_wait_pid_released || ae_log "audit pid still registered"
		ae_rules_restore
		ae_status_restore
		if ! ae_state_diff; then
			ae_log "kernel audit state was not restored"
			[ "$rc" = 0 ] && rc=1
		fi
	fi
	[ -n "${AE_KEEP:-}" ] || rm -rf "$ae_tmp"
	exit "$rc"
}
trap ae_cleanup EXIT
trap 'exit 130' INT TERM HUP

# `make` builds the exporter alone: a script that uses the test tools says
# so plainly when they have not been built.
if grep -q 'AE_TOOLS' "$0" 2>/dev/null && [ ! -x "$AE_TOOLS/workload" ]; then
	ae_fail "the test tools are not built in $AE_TOOLS: make tools"
fi

# ---- exporter and scrape helpers --------------------------------------------

ae_free_port() {
	ae_free_ports 1
}

# Waits until http://127.0.0.1:PORT/metrics answers (up to 10 s).
ae_wait_http() {
	for _ in $(seq 100); do
		curl -sf -o /dev/null "http://127.0.0.1:$1/metrics" && return 0
		sleep 0.1
	done
	return 1
}

ae_scrape() { # port file
	curl -sf "http://127.0.0.1:$1/metrics" >"$2" || ae_fail "scrape of port $1 failed"
}

# Prints the value of a series or "absent". 'name' alone: the sample of that
# exact line. 'name{l="v",...}': the sum of every sample of name whose labels
# include all those pairs (one sample: its text as written), so that an
# expectation names the labels it knows and stays true when a metric gains
# a label (the sum over the new label's values).
ae_value() { # file series
	# through the environment: awk -v would interpret backslashes
	AE_SERIES=$2 awk '
	function pairs(t, arr,   n, i, c, esc, inq, cur) { # k="v" pairs of t
		n = 0; cur = ""; esc = 0; inq = 0
		for (i = 1; i <= length(t); i++) {
			c = substr(t, i, 1)
			if (!esc && !inq && c == ",") { arr[++n] = cur; cur = ""; continue }
			cur = cur c
			if (esc) esc = 0
			else if (c == "\\") esc = 1
			else if (c == "\"") inq = !inq
		}
		if (cur != "") arr[++n] = cur
		return n
	}
	BEGIN {
		s = ENVIRON["AE_SERIES"]; b = index(s, "{")
		if (b) { name = substr(s, 1, b - 1); nq = pairs(substr(s, b + 1, length(s) - b - 1), q) }
	}
	!b { if (index($0, s " ") == 1) { print substr($0, length(s) + 2); f = 1 }; next }
	substr($0, 1, length(name) + 1) == name "{" {
		l = substr($0, length(name) + 2, length($0) - length(name) - length($NF) - 3)
		delete have
		n = pairs(l, got)
		for (i = 1; i <= n; i++) have[got[i]] = 1
		for (i = 1; i <= nq; i++) if (!(q[i] in have)) next
		f++; v = $NF; sum += $NF
	}
	END {
		if (!f) print "absent"
		else if (!b || f == 1) { if (b) print v }
		else if (sum == int(sum)) printf "%.0f\n", sum
		else print sum
	}' "$1"
}

ae_expect() { # file series expected
	v=$(ae_value "$1" "$2")
	[ "$v" = "$3" ] || ae_fail "$2: expected $3, got $v"
}

# True when AE_BIN is a sanitizer build (its memory and speed are not the
# product's).
ae_sanitized() {
	case $AE_BIN in
	*/build/address* | */build/thread* | */build/undefined*) return 0 ;;
	esac
	return 1
}

ae_promtool_check() { # file
	command -v promtool >/dev/null || ae_fail "promtool is not installed"
	out=$(promtool check metrics <"$1" 2>&1) || ae_fail "promtool check metrics: $out"
}

# Checks every "series value" line of an expectations file (as the workload
# prints them) against a scrape; prints mismatches, returns 1 if any.
ae_check_expect() { # scrape expect
	bad=0
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		series=${line% *}
		want=${line##* }
		got=$(ae_value "$1" "$series")
		if [ "$got" != "$want" ]; then
			ae_log "  $series: expected $want, got $got"
			bad=1
		fi
	done <"$2"
	return $bad
}

# Scrapes until the expectations hold (events may still be in flight) or
# the timeout passes; leaves the last scrape in $3.
ae_wait_expect() { # port expect scrape [seconds]
	for _ in $(seq $((${4:-15} * 5))); do
		ae_scrape "$1" "$3"
		ae_check_expect "$3" "$2" 2>/dev/null && return 0
		sleep 0.2
	done
	ae_check_expect "$3" "$2"
}

# A block of n free TCP ports on loopback (IPv4 and IPv6); prints the first.
# Outside the kernel's ephemeral range: a port free now can otherwise be
# taken a moment later as the local port of some connection (a scrape's),
# and a listen on it fails (seen once in t_live_unicast).
ae_free_ports() { # n
	python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
    lo, hi = map(int, f.read().split())
spans = [(a, b) for a, b in ((10000, lo - 1), (hi + 1, 65535)) if b - a + 1 >= n]
if not spans:
    sys.exit("no ports outside the ephemeral range %d-%d" % (lo, hi))
first, last = max(spans, key=lambda s: s[1] - s[0])
for _ in range(200):
    base = random.randrange(first, last - n + 2)
    socks = []
    try:
        for p in range(base, base + n):
            for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    s = socket.socket(fam, kind)
                    s.bind((addr, p))
                    socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    break
PY
}

# Waits until a process is gone; 1 if it is still there after $2 seconds.
ae_wait_exit() { # pid seconds
	for _ in $(seq $(($2 * 20))); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}

# The exporter as the audit daemon with the rules of ae_workload_setup,
# running as nobody, listening on 127.0.0.1:port; its PID in $exporter.
ae_daemon_up() { # port [flags...]
	_port=$1
	shift
	ae_spawn "$AE_BIN" --baseline.file= --web.listen-address="127.0.0.1:$_port" \
		--audit.rules.file="$ae_tmp/rules" \
		--sketch.key-file="$ae_tmp/key" --runas.user=nobody "$@"
	exporter=$ae_last_pid
	ae_wait_http "$_port" || ae_fail "exporter did not come up"
}

# SIGTERM to the exporter pid (one of ours, as the audit daemon): it must
# exit 0 within seconds, release the audit pid and leave the kernel's
# audit state as it was; fails the test otherwise.
ae_stop_daemon() { # pid seconds
	kill -TERM "$1"
	ae_wait_exit "$1" "$2" || ae_fail "exporter did not stop within $2 s"
	wait "$1"
	_rc=$?
	[ "$_rc" = 0 ] || ae_fail "exporter exited with $_rc"
	ae_wait_pid_released || ae_fail "audit pid not released"
	ae_state_diff || ae_fail "kernel audit state not restored"
}

# The workload's surroundings in $ae_tmp (readable by the exporter once it
# runs as nobody): ae_true, a copy of /bin/true to execute; watched, a file
# to watch; rules, the bundled rules plus a watch on it with key
# ae_test_watch.
ae_workload_setup() {
	cp /bin/true "$ae_tmp/ae_true"
	touch "$ae_tmp/watched"
	chmod 755 "$ae_tmp"
	{
		cat "$AE_ROOT/packaging/audit_exporter.rules"
		echo "-w $ae_tmp/watched -p rw -k ae_test_watch"
	} >"$ae_tmp/rules"
	chmod 644 "$ae_tmp/rules"
}

# Starts an exporter on port (the kernel source, the rules of
# ae_workload_setup, room for names label sets, and the flags given), has
# tests/tools/mixload give each labelled metric names label sets (per
# iteration a new process name and executable: connect and listen on
# mix_port, execve, a read of the watched file) and waits until they show.
# The last scrape is left in $ae_tmp/m and the exporter's PID in
# $ae_last_pid.
ae_mixload_exporter() { # port mix_port names flags...
	mix_http=$1
	mix_port=$2
	mix_names=$3
	shift 3
	ae_workload_setup
	mkdir -p "$ae_tmp/exe"
	chmod 755 "$ae_tmp/exe"
	ae_spawn "$AE_BIN" --baseline.file= --web.listen-address="127.0.0.1:$mix_http" \
		--audit.rules.file="$ae_tmp/rules" --sketch.key-file="$ae_tmp/key" \
		--metrics.max-series=$((mix_names + 100)) --log.level=warn "$@"
	mix_pid=$ae_last_pid
	ae_wait_http "$mix_http" || ae_fail "exporter did not come up"
	"$AE_TOOLS/mixload" --iterations "$mix_names" --names "$mix_names" \
		--prefix pop --exec-every 1 --exe-dir "$ae_tmp/exe" \
		--watch "$ae_tmp/watched" --port "$mix_port" >/dev/null ||
		ae_fail "mixload failed"
	for _ in $(seq 100); do
		ae_scrape "$mix_http" "$ae_tmp/m"
		[ "$(ae_value "$ae_tmp/m" 'audit_exporter_series{metric="audit_execve"}')" -ge "$mix_names" ] &&
			break
		sleep 0.2
	done
	ae_last_pid=$mix_pid
}

# Starts command... (as ae_spawn) with its stdin on a new FIFO at path,
# which this shell holds open for writing on fd 6: what is written to fd 6
# is its input, and `exec 6>&-` ends it (the child does not keep fd 6).
ae_spawn_on_fifo() { # path command...
	fifo_path=$1
	shift
	mkfifo "$fifo_path" || ae_fail "mkfifo $fifo_path"
	exec 6<>"$fifo_path"
	ae_spawn sh -c 'exec "$@" <"$0" 6>&-' "$fifo_path" "$@"
}

# Starts an exporter on stdin (--audit.source=stdin, listening on port,
# with the flags given) fed by the output of the shell command feeder, and
# waits until it has read the whole input; the last scrape is left in
# $ae_tmp/m and the exporter's PID in $ae_last_pid.
ae_fed_exporter() { # port feeder flags...
	fed_port=$1
	feeder=$2
	shift 2
	rm -f "$ae_tmp/fifo"
	mkfifo "$ae_tmp/fifo"
	# the child opens the fifo (a redirect here would block this shell)
	F=$ae_tmp/fifo ae_spawn sh -c 'exec "$@" <"$F"' sh "$AE_BIN" --baseline.file= \
		--audit.source=stdin --web.listen-address="127.0.0.1:$fed_port" \
		--log.level=warn "$@"
	fed_pid=$ae_last_pid
	# the feeder in the background: if the exporter dies before it opens
	# the fifo, the feeder would block on it for ever
	sh -c "$feeder" >"$ae_tmp/fifo" &
	feeder_pid=$!
	while kill -0 "$feeder_pid" 2>/dev/null; do
		if ! kill -0 "$fed_pid" 2>/dev/null; then
			kill "$feeder_pid" 2>/dev/null
			ae_fail "the exporter died while being fed"
		fi
		sleep 0.1
	done
	wait "$feeder_pid" || ae_fail "the feeder failed"
	ae_wait_http "$fed_port" || ae_fail "exporter did not come up"
	for _ in $(seq 600); do
		ae_scrape "$fed_port" "$ae_tmp/m"
		[ "$(ae_value "$ae_tmp/m" 'audit_exporter_source_up{source="stdin"}')" = 0 ] &&
			break
		sleep 0.1
	done
	ae_last_pid=$fed_pid
}
