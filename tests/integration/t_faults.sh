#!/bin/sh
# Faults, each checked against the kernel:
#   1. audit disabled from outside: seen within seconds, logged, shown as
#      audit_kernel_enabled 0 and source_up 0; back to 1 when re-enabled;
#   2. SIGHUP reloads the rules file; a bad file keeps the old rules and the
#      log says why; a status setting in the file (-b) is applied, and the
#      default is back when the file no longer has it;
#   3. another process taking the audit pid (after the exporter's audit
#      socket was closed under it, with gdb): logged, shown in a metric, no
#      crash; when the usurper leaves, the exporter takes the role back and
#      counts again, exactly;
#   4. SIGKILL during a storm, then a restart: the role is recovered, no
#      rule is duplicated, and the new process counts exactly;
# and at the end SIGTERM restores the kernel's audit state.
. "$(dirname "$0")/lib.sh"
ae_kernel_begin
command -v gdb >/dev/null || ae_skip "gdb is not installed"

chmod 755 "$ae_tmp"
cp "$AE_ROOT/packaging/audit_exporter.rules" "$ae_tmp/rules"
chmod 644 "$ae_tmp/rules"
port=$(ae_free_port)
storm_port=$(ae_free_ports 4)

# A backlog wait time makes the kernel slow the storms down rather than drop
# records when the exporter is slower than they are (a sanitizer build, a
# loaded machine): the counts stay exact. Full-rate loss is the bench's.
start_exporter() { # log
	ae_spawn "$AE_BIN" --baseline.file= --web.listen-address="127.0.0.1:$port" \
		--audit.rules.file="$ae_tmp/rules" --sketch.key-file="$ae_tmp/key" \
		--audit.backlog-wait-time=1s 2>"$1"
	exporter=$ae_last_pid
	ae_wait_http "$port" || ae_fail "exporter did not come up"
}

until_metric() { # series value [seconds]
	for _ in $(seq $((${3:-10} * 10))); do
		ae_scrape "$port" "$ae_tmp/m"
		[ "$(ae_value "$ae_tmp/m" "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	ae_fail "$1 did not become $2 (it is $(ae_value "$ae_tmp/m" "$1"))"
}

until_log() { # file pattern
	for _ in $(seq 100); do
		grep -q "$2" "$1" && return 0
		sleep 0.1
	done
	ae_fail "log lacks '$2'"
}

until_log_count() { # file pattern count
	for _ in $(seq 100); do
		[ "$(grep -c "$2" "$1")" -ge "$3" ] && return 0
		sleep 0.1
	done
	ae_fail "log lacks $3 lines of '$2'"
}

storm_exact() { # comm count
	"$AE_TOOLS/storm" --count "$2" --comm "$1" --port "$storm_port" >/dev/null ||
		ae_fail "storm failed"
	until_metric "audit_connect_total{comm=\"$1\",uid=\"0\",family=\"inet\",result=\"success\"}" "$2"
}

start_exporter "$ae_tmp/a.log"
storm_exact ae_first 1000

# 1. disabled from outside
auditctl -e 0 >/dev/null
until_metric audit_kernel_enabled 0 5
until_metric 'audit_exporter_source_up{source="unicast"}' 0 5
until_log "$ae_tmp/a.log" 'kernel audit is disabled'
auditctl -e 1 >/dev/null
until_metric 'audit_exporter_source_up{source="unicast"}' 1 5

# 2. SIGHUP
echo "-a always,exit -F arch=b64 -S fchmod -k ae_test_hup" >>"$ae_tmp/rules"
kill -HUP "$exporter"
until_log "$ae_tmp/a.log" 'SIGHUP: rules reloaded'
auditctl -l | grep -q 'key=ae_test_hup' || ae_fail "reload did not add the new rule"
cp "$ae_tmp/rules" "$ae_tmp/rules.good"
printf '%s\n' '# broken' '-a always,exit -F arch=b64 -S bogus -k x' >"$ae_tmp/rules"
kill -HUP "$exporter"
until_log "$ae_tmp/a.log" 'rules file not reloaded'
grep 'rules file not reloaded' "$ae_tmp/a.log" | grep -q 'line 2' ||
	ae_fail "the log does not say which line is bad"
auditctl -l | grep -q 'key=ae_test_hup' || ae_fail "a bad file removed the old rules"
cp "$ae_tmp/rules.good" "$ae_tmp/rules"
# a status setting in the file (-b) follows a reload as well: set, set to
# what the kernel had before the exporter, and gone (the flag's default)
found_b=$(ae_status_field backlog_limit "$ae_tmp/status.before")
n=$(grep -c 'SIGHUP: rules reloaded' "$ae_tmp/a.log")
for b in 9000 "$found_b" ""; do
	cp "$ae_tmp/rules.good" "$ae_tmp/rules"
	[ -z "$b" ] || echo "-b $b" >>"$ae_tmp/rules"
	kill -HUP "$exporter"
	n=$((n + 1))
	until_log_count "$ae_tmp/a.log" 'SIGHUP: rules reloaded' "$n"
	got=$(ae_kstatus backlog_limit)
	[ "$got" = "${b:-131072}" ] ||
		ae_fail "after a reload with '-b $b': backlog_limit $got, not ${b:-131072}"
done

# 3. another process takes the audit pid
fds=""
for fd in /proc/"$exporter"/fd/*; do
	l=$(readlink "$fd")
	case $l in socket:*) ;; *) continue ;; esac
	ino=${l#socket:[}
	ino=${ino%]}
	awk -v i="$ino" '$2 == 9 && $NF == i { f = 1 } END { exit !f }' \
		/proc/net/netlink && fds="$fds ${fd##*/}"
done
[ -n "$fds" ] || ae_fail "no audit sockets found in the exporter"
# While gdb holds the exporter stopped, its audit sockets are closed and a
# careless daemon registers (the kernel lets it: the old socket is gone);
# then gdb lets the exporter run again.
cat >"$ae_tmp/usurp.sh" <<USURP
"$AE_TOOLS/audit_takeover" >"$ae_tmp/takeover.out" 2>&1 &
echo \$! >"$ae_tmp/usurper.pid"
for i in \$(seq 50); do
	grep -q registered "$ae_tmp/takeover.out" && exit 0
	sleep 0.1
done
USURP
set --
for fd in $fds; do set -- "$@" -ex "call (int)close($fd)"; done
gdb -p "$exporter" -batch "$@" -ex "shell sh $ae_tmp/usurp.sh" \
	>"$ae_tmp/gdb.out" 2>&1 || ae_fail "gdb failed: $(tail -n 3 "$ae_tmp/gdb.out")"
usurper=$(cat "$ae_tmp/usurper.pid")
ae_pids="$ae_pids $usurper"
grep -q '^registered' "$ae_tmp/takeover.out" ||
	ae_fail "the usurper was not let in: $(cat "$ae_tmp/takeover.out")"
until_metric audit_kernel_daemon_pid "$usurper"
until_metric 'audit_exporter_source_up{source="unicast"}' 0
until_log "$ae_tmp/a.log" 'another process took the audit daemon role'
ae_stop_pid "$usurper"
until_metric audit_kernel_daemon_pid "$exporter"
until_metric 'audit_exporter_source_up{source="unicast"}' 1
storm_exact ae_after 20000

# 4. SIGKILL during a storm, then a restart
"$AE_TOOLS/storm" --seconds 3 --comm ae_killed --port "$storm_port" >/dev/null &
storm=$!
ae_pids="$ae_pids $storm"
sleep 0.5
kill -KILL "$exporter"
wait "$exporter" 2>/dev/null
start_exporter "$ae_tmp/b.log"
wait "$storm" || ae_fail "storm failed"
until_metric audit_kernel_daemon_pid "$exporter"
n_rules=$(grep -c '^-' "$ae_tmp/rules")
n_kernel=$(auditctl -l | grep -c '^-')
[ "$n_kernel" = $((n_rules + 1)) ] ||
	ae_fail "kernel holds $n_kernel rules, expected $n_rules and the exporter's own"
[ "$(auditctl -l | grep -c 'key=audit_exporter_self')" = 1 ] ||
	ae_fail "stale self-exclusion rules remain"
auditctl -l | grep -q "pid=$exporter -F key=audit_exporter_self" ||
	ae_fail "the self-exclusion rule is not the new process's"
storm_exact ae_restarted 50000
ae_promtool_check "$ae_tmp/m"

kill -TERM "$exporter"
ae_wait_exit "$exporter" 1 || ae_fail "did not stop within 1 s"
ae_wait_pid_released || ae_fail "audit pid not released"
ae_state_diff || ae_fail "kernel audit state not restored"
echo "faults: disabled, reloads, takeover, SIGKILL restart all handled"
