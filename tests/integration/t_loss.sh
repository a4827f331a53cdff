#!/bin/sh
# Loss accounting against the kernel's own counters. The exporter is frozen
# (SIGSTOP) with a tiny backlog and socket buffer while a storm runs, so the
# kernel really drops records (lost) or makes processes wait (backlog wait
# time). Then:
#   - audit_kernel_lost_total equals the kernel's lost counter;
#   - after an external reset (auditctl --reset-lost) and new losses, it
#     has kept counting: the old total plus the new losses;
#   - with a backlog wait time, audit_kernel_backlog_wait_seconds_total
#     equals the kernel's backlog_wait_time_actual (jiffies / HZ), and it too
#     survives a reset; the configured wait shows in
#     audit_kernel_backlog_wait_time_seconds.
. "$(dirname "$0")/lib.sh"
ae_kernel_begin

port=$(ae_free_port)
storm_port=$(ae_free_ports 2)
hz=$(zcat /proc/config.gz 2>/dev/null | sed -n 's/^CONFIG_HZ=//p')
[ -n "$hz" ] || ae_skip "kernel HZ unknown (no /proc/config.gz)"

# seconds as the exporter writes them: the shortest text that reads back
fmt() { python3 -c 'import sys; j, hz = int(sys.argv[1]), int(sys.argv[2]); print(j // hz if j % hz == 0 else repr(j / hz))' "$1" "$hz"; }


until_metric() { # series value
	for _ in $(seq 100); do
		ae_scrape "$port" "$ae_tmp/m"
		[ "$(ae_value "$ae_tmp/m" "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	ae_fail "$1 did not become $2 (it is $(ae_value "$ae_tmp/m" "$1"))"
}

# The exporter frozen during a storm with a 64-record backlog: every
# audited process on the host drops records or waits meanwhile. Afterwards
# the backlog is made large (other activity on the host must not go on
# losing records) and the kernel's counters are read once it has drained.
frozen_storm() { # count
	auditctl -b 64 >/dev/null
	kill -STOP "$exporter"
	"$AE_TOOLS/storm" --count "$1" --comm ae_loss --port "$storm_port" \
		>/dev/null || ae_fail "storm failed"
	kill -CONT "$exporter"
	auditctl -b 32768 >/dev/null
	for _ in $(seq 50); do
		[ "$(ae_kstatus backlog)" = 0 ] && break
		sleep 0.1
	done
	sleep 1
}

# --- lost records, and a reset from outside ---------------------------------
ae_spawn "$AE_BIN" --baseline.file= --web.listen-address="127.0.0.1:$port" \
	--sketch.key-file="$ae_tmp/key" --audit.backlog-limit=64 \
	--audit.socket-buffer=65536 --audit.backlog-wait-time=0
exporter=$ae_last_pid
ae_wait_http "$port" || ae_fail "exporter did not come up"
frozen_storm 20000
l1=$(ae_kstatus lost)
[ "$l1" -gt 0 ] || ae_fail "the kernel lost nothing; the test cannot work"
until_metric audit_kernel_lost_total "$l1"
auditctl --reset-lost >/dev/null
[ "$(ae_kstatus lost)" = 0 ] || ae_fail "the kernel's lost counter did not reset"
sleep 2.5 # two status polls see the reset before anything is lost again
until_metric audit_kernel_lost_total "$l1"
frozen_storm 20000
l2=$(ae_kstatus lost)
[ "$l2" -gt 0 ] || ae_fail "nothing lost after the reset"
until_metric audit_kernel_lost_total $((l1 + l2))
ae_promtool_check "$ae_tmp/m"
ae_stop_pid "$exporter"

# --- processes waiting on a full backlog ---------------------------------------
ae_spawn "$AE_BIN" --baseline.file= --web.listen-address="127.0.0.1:$port" \
	--sketch.key-file="$ae_tmp/key" --audit.backlog-limit=64 \
	--audit.socket-buffer=65536 --audit.backlog-wait-time=20ms
exporter=$ae_last_pid
ae_wait_http "$port" || ae_fail "exporter did not come up"
[ "$(ae_kstatus backlog_wait_time)" = $(((20 * hz + 999) / 1000)) ] ||
	ae_fail "backlog_wait_time is $(ae_kstatus backlog_wait_time) jiffies"
until_metric audit_kernel_backlog_wait_time_seconds \
	"$(fmt $(((20 * hz + 999) / 1000)) "$hz")"
w0=$(ae_kstatus backlog_wait_time_actual)
frozen_storm 300
w1=$(ae_kstatus backlog_wait_time_actual)
[ "$w1" -gt "$w0" ] || ae_fail "no process waited; the test cannot work"
until_metric audit_kernel_backlog_wait_seconds_total "$(fmt "$w1" "$hz")"
auditctl --reset_backlog_wait_time_actual >/dev/null
sleep 2.5
frozen_storm 300
w2=$(ae_kstatus backlog_wait_time_actual)
until_metric audit_kernel_backlog_wait_seconds_total "$(fmt $((w1 + w2)) "$hz")"
ae_stop_pid "$exporter"
ae_wait_pid_released || ae_fail "audit pid not released"
echo "loss: lost $l1 + $l2 records, waits $w1 + $w2 jiffies, counted across resets"
