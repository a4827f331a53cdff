#!/bin/sh
# Beside the real auditd (Debian's, in the foreground, configured in a
# temporary directory, never as a service):
#   1. as its plugin: auditd starts the exporter with --audit.source=plugin
#      (packaging/audit_exporter.plugin.conf, the path and arguments adapted
#      to this tree), feeds it every event, and stops it when it stops;
#   2. in multicast mode: the exporter reads beside auditd, read-only.
# Each time a workload with a known answer runs and /metrics must show it
# exactly, while auditd's own log still gets the events. Afterwards the
# kernel's audit state must be as it was.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/auditd_lib.sh"
ae_kernel_begin
ae_auditd_setup

base=$(ae_free_ports 30)
ae_workload_setup

run_workload() { # base expect
	"$AE_TOOLS/workload" --base-port "$1" --watch "$ae_tmp/watched" \
		--exe "$ae_tmp/ae_true" >"$2" || ae_fail "workload failed"
}

# --- 1. as auditd's plugin -----------------------------------------------------
port=$(ae_free_port)
ae_auditd_start_plugin "$ae_tmp/rules" "$port"
run_workload "$base" "$ae_tmp/expect1"
ae_wait_expect "$port" "$ae_tmp/expect1" "$ae_tmp/scrape1" ||
	ae_fail "plugin: exposition does not match the workload"
ae_promtool_check "$ae_tmp/scrape1"
ae_expect "$ae_tmp/scrape1" 'audit_exporter_source_up{source="plugin"}' 1
ae_expect "$ae_tmp/scrape1" 'audit_exporter_serial_gaps_total' 0
grep -q 'comm="ae_wl_root"' "$ae_auditd_log" ||
	ae_fail "auditd's own log lacks the workload's events"
ae_auditd_stop
for _ in $(seq 50); do
	curl -sf -o /dev/null "http://127.0.0.1:$port/metrics" || break
	sleep 0.1
done
curl -sf -o /dev/null "http://127.0.0.1:$port/metrics" &&
	ae_fail "the plugin outlived auditd"

# --- 2. multicast beside auditd -------------------------------------------------
rm "$ae_tmp/etc/plugins.d/audit_exporter.conf"
ae_auditd_start
port=$(ae_free_port)
ae_spawn "$AE_BIN" --baseline.file= --audit.source=multicast --web.listen-address="127.0.0.1:$port" \
	--sketch.key-file="$ae_tmp/key" --audit.rules.file="$ae_tmp/rules" \
	--no-audit.rules.load
exporter=$ae_last_pid
ae_wait_http "$port" || ae_fail "multicast exporter did not come up"
# even with no rules of its own to load, it keeps itself out of the stream
auditctl -l | grep -q "pid=$exporter -F key=audit_exporter_self" ||
	ae_fail "multicast exporter did not exclude itself: $(auditctl -l)"
capeff=$(awk '/^CapEff:/ { print $2 }' "/proc/$exporter/status")
[ "$capeff" = 0000002040080004 ] ||
	ae_fail "multicast exporter keeps CapEff $capeff, not AUDIT_CONTROL+AUDIT_READ+SYS_PTRACE+DAC_READ_SEARCH"
run_workload $((base + 10)) "$ae_tmp/expect2"
ae_wait_expect "$port" "$ae_tmp/expect2" "$ae_tmp/scrape2" ||
	ae_fail "multicast: exposition does not match the workload"
ae_promtool_check "$ae_tmp/scrape2"
ae_expect "$ae_tmp/scrape2" 'audit_exporter_source_up{source="multicast"}' 1
ae_expect "$ae_tmp/scrape2" audit_kernel_daemon_pid "$auditd_pid"
[ "$(grep -c 'comm="ae_wl_root"' "$ae_auditd_log")" -gt 0 ] ||
	ae_fail "auditd's log lacks the workload's events in multicast mode"
kill -TERM "$exporter"
ae_wait_exit "$exporter" 2 || ae_fail "multicast exporter did not stop"
[ "$(ae_kstatus pid)" = "$auditd_pid" ] ||
	ae_fail "the exporter disturbed auditd's registration"
ae_auditd_stop
echo "auditd: plugin and multicast modes counted the workload exactly"
