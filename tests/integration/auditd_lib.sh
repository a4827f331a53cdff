# The real auditd for the tests and benchmarks that run beside it; sourced
# after lib.sh and ae_kernel_begin, never run. auditd (Debian's) runs in
# the foreground from a configuration in $ae_tmp/etc, writing RAW records
# to $ae_auditd_log ($ae_tmp/auditd/audit.log: auditd makes the log's
# directory 0700, so it is not $ae_tmp itself), with its plugins in $ae_tmp/etc/plugins.d; it is
# never started as a service and loads no rules of its own (auditd -n does
# not run augenrules). lib.sh's trap stops it by PID and restores the
# kernel's audit state.

ae_auditd_setup() {
	command -v auditd >/dev/null || ae_skip "auditd is not installed"
	mkdir -p "$ae_tmp/etc/plugins.d" "$ae_tmp/auditd"
	ae_auditd_log=$ae_tmp/auditd/audit.log
	cat >"$ae_tmp/etc/auditd.conf" <<CONF
local_events = yes
write_logs = yes
log_file = $ae_auditd_log
log_format = RAW
flush = INCREMENTAL_ASYNC
freq = 50
max_log_file = 64
num_logs = 2
max_log_file_action = ROTATE
space_left = 10
space_left_action = IGNORE
admin_space_left = 5
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
q_depth = 20000
overflow_action = SYSLOG
max_restarts = 0
plugin_dir = $ae_tmp/etc/plugins.d
end_of_event_timeout = 2
CONF
	chmod 600 "$ae_tmp/etc/auditd.conf"
}

# Starts auditd on an empty log; sets auditd_pid once it is the kernel's
# audit daemon.
ae_auditd_start() {
	: >"$ae_auditd_log"
	chmod 600 "$ae_auditd_log"
	# -n: no fork, events to its log as in production (-f would divert
	# them to stderr)
	ae_spawn auditd -n -c "$ae_tmp/etc"
	auditd_pid=$ae_last_pid
	for _ in $(seq 100); do
		[ "$(ae_kstatus pid)" = "$auditd_pid" ] && return 0
		sleep 0.1
	done
	ae_fail "auditd did not become the audit daemon"
}

# Stops auditd (which flushes its log) and waits for the kernel to let go.
ae_auditd_stop() {
	kill -TERM "$auditd_pid"
	ae_wait_exit "$auditd_pid" 10 || ae_fail "auditd did not stop"
	wait "$auditd_pid" 2>/dev/null
	ae_wait_pid_released || ae_fail "auditd left the audit pid registered"
}

# Reads audit.log (RAW) and prints, for the SYSCALL records that match the
# awk condition COND (on the line $0), one line per (syscall number, key,
# success): "events bytes", bytes being every record of those events, the
# whole of what auditd wrote for them.
ae_auditd_events() { # log cond
	awk -v cond="$2" '
	function serial(l) { sub(/.*msg=audit\([0-9.]+:/, "", l); sub(/\).*/, "", l); return l }
	{ s = serial($0); bytes[s] += length($0) + 1 }
	/^type=SYSCALL / && match_cond($0) {
		k = $0; sc = $0; ok = $0
		sub(/.* syscall=/, "", sc); sub(/ .*/, "", sc)
		sub(/.* success=/, "", ok); sub(/ .*/, "", ok)
		if (k ~ / key="/) { sub(/.* key="/, "", k); sub(/".*/, "", k) } else k = "(none)"
		ev[s] = sc " " k " " ok
	}
	END {
		for (s in ev) { n[ev[s]]++; b[ev[s]] += bytes[s] }
		for (g in n) print g, n[g], b[g]
	}
	function match_cond(l) { return l ~ cond }' "$1" | sort
}

# Loads RULES into the kernel as auditd's (auditctl -R, as augenrules
# would), writes auditd's plugin file for the exporter (packaging's
# audit_exporter.plugin.conf, active, running AE_BIN with
# --audit.source=plugin, serving on PORT and reading RULES for its watch
# keys; the flags in an @FILE, as auditd passes at most two arguments),
# starts auditd and waits for the plugin to serve.
ae_auditd_start_plugin() { # rules port
	auditctl -R "$1" >/dev/null || ae_fail "auditctl -R $1 failed"
	printf '%s\n' "--web.listen-address=127.0.0.1:$2" \
		"--sketch.key-file=$ae_tmp/key" "--audit.rules.file=$1" \
		>"$ae_tmp/plugin.args"
	sed -e "s|^active = no|active = yes|" -e "s|^path = .*|path = $AE_BIN|" \
		-e "s|^args = .*|args = --audit.source=plugin @$ae_tmp/plugin.args|" \
		"$AE_ROOT/packaging/audit_exporter.plugin.conf" \
		>"$ae_tmp/etc/plugins.d/audit_exporter.conf"
	ae_auditd_start
	ae_wait_http "$2" || ae_fail "auditd did not start the exporter plugin"
}
