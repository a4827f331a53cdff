#!/bin/sh
# Beside the real auditd (Debian's, `auditd -n -c DIR` with a configuration
# and plugins directory in a temporary directory, never as a service), with
# the bundled rules, the exporter's counts against what auditd wrote to
# audit.log for the same events, and both against the workload's own
# answer:
#   a. multicast: the exporter loads its rules (the default), and so they
#      are auditd's too: while it runs auditctl -l has them, and auditd logs
#      every connect and exec they audit; at exit the exporter removes them.
#      auditd writes RAW records.
#   b. plugin: auditd runs the exporter (--audit.source=plugin) from a
#      plugins.d file with active = yes; the rules are those installed for
#      auditd's rules.d (packaging/audit_exporter.rules), loaded with
#      auditctl -R as augenrules would. auditd writes ENRICHED records.
# The workload each time: R runs of tests/tools/workload --quick under a
# process name of its own (its connects; the number comes from the return
# values it saw, not from the exporter) and M executions of a copy of
# /bin/true. Counted on both sides: audit_connect_total of that comm and
# audit_execve_total of that executable, summed over their labels, and in
# audit.log the SYSCALL records with that comm and key "connect", with
# that exe and key "exec". Prints what auditd wrote per event, for
# docs/AUDITD.md. lib.sh's trap stops auditd and the exporter by PID and
# restores the kernel's rules and status on every path.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/auditd_lib.sh"
ae_kernel_begin
ae_auditd_setup
ae_workload_setup
rules=$AE_ROOT/packaging/audit_exporter.rules
runs=5 execs=40

# Sum of the values of the series of metric NAME whose labels contain SEL.
sum_of() { # scrape name sel
	AE_SEL=$3 awk -v m="$2" 'index($0, m "{") == 1 && index($0, ENVIRON["AE_SEL"]) {
		s += $NF } END { printf "%d\n", s }' "$1"
}

# SYSCALL records of audit.log whose line has both strings.
log_count() { # log s1 s2
	grep '^type=SYSCALL ' "$1" | grep -F -- "$2" | grep -cF -- "$3"
}

workload() { # comm base: prints N, the connects the workload made
	: >"$ae_tmp/wl.expect"
	for i in $(seq $runs); do
		"$AE_TOOLS/workload" --quick --comm "$1" --base-port $(($2 + 10 * i)) \
			--watch "$ae_tmp/watched" --exe "$ae_tmp/ae_true" \
			>>"$ae_tmp/wl.expect" || ae_fail "workload failed"
	done
	for _ in $(seq $execs); do
		"$ae_tmp/ae_true" || ae_fail "$ae_tmp/ae_true failed"
	done
	sum_of "$ae_tmp/wl.expect" audit_connect_total "comm=\"$1\""
}

# Waits (up to 20 s) for the exporter on PORT to count N connects of COMM
# and the execs; leaves the scrape in FILE.
wait_counts() { # port comm n file
	for _ in $(seq 100); do
		ae_scrape "$1" "$4"
		[ "$(sum_of "$4" audit_connect_total "comm=\"$2\"")" = "$3" ] &&
			[ "$(sum_of "$4" audit_execve_total "exe=\"$ae_tmp/ae_true\"")" = $execs ] &&
			return 0
		sleep 0.2
	done
	return 0
}

# Compares the exporter's sums (in SCRAPE) and audit.log's with N and M.
compare() { # mode comm n scrape
	c_exp=$(sum_of "$4" audit_connect_total "comm=\"$2\"")
	e_exp=$(sum_of "$4" audit_execve_total "exe=\"$ae_tmp/ae_true\"")
	c_log=$(log_count "$ae_auditd_log" "comm=\"$2\"" 'key="connect"')
	e_log=$(log_count "$ae_auditd_log" "exe=\"$ae_tmp/ae_true\"" 'key="exec"')
	ae_log "$1: connects workload $3 exporter $c_exp audit.log $c_log;" \
		"execs run $execs exporter $e_exp audit.log $e_log"
	[ "$3" -gt 0 ] || ae_fail "$1: the workload made no connect"
	[ "$c_exp" = "$3" ] || ae_fail "$1: exporter counted $c_exp connects, the workload made $3"
	[ "$c_log" = "$3" ] || ae_fail "$1: audit.log has $c_log connects, the workload made $3"
	[ "$e_exp" = $execs ] || ae_fail "$1: exporter counted $e_exp execs of $execs"
	[ "$e_log" = $execs ] || ae_fail "$1: audit.log has $e_log execs of $execs"
}

# What auditd wrote per event (all records of the event), for the doc.
per_event() { # mode comm
	ae_auditd_events "$ae_auditd_log" "comm=\"$2\"|exe=\"$ae_tmp/ae_true\"" |
		awk -v m="$1" '$2 == "connect" || $2 == "exec" {
			printf "%s: syscall %s key %s success %s: %d events, %.0f bytes each\n",
				m, $1, $2, $3, $4, $5 / $4 }' >&2
}

# --- a. multicast: the exporter loads the rules auditd then logs by --------
base=$(ae_free_ports 120)
ae_auditd_start
port=$(ae_free_port)
ae_spawn "$AE_BIN" --baseline.file= --audit.source=multicast --web.listen-address="127.0.0.1:$port" \
	--sketch.key-file="$ae_tmp/key" --audit.rules.file="$rules"
exporter=$ae_last_pid
ae_wait_http "$port" || ae_fail "multicast exporter did not come up"
auditctl -l | grep -q -- '-S execve,execveat -F success=1 -F key=exec' ||
	ae_fail "the multicast exporter did not load its rules: $(auditctl -l)"
n=$(workload ae_cnt_mc "$base")
wait_counts "$port" ae_cnt_mc "$n" "$ae_tmp/scrape.mc"
ae_expect "$ae_tmp/scrape.mc" audit_kernel_daemon_pid "$auditd_pid"
kill -TERM "$exporter"
ae_wait_exit "$exporter" 5 || ae_fail "multicast exporter did not stop"
auditctl -l | grep -q 'key=exec' && ae_fail "the multicast exporter left its rules: $(auditctl -l)"
ae_auditd_stop
compare multicast ae_cnt_mc "$n" "$ae_tmp/scrape.mc"
per_event multicast ae_cnt_mc

# --- b. plugin: auditd given the rules.d file runs the exporter -------------
sed -i 's/^log_format = .*/log_format = ENRICHED/' "$ae_tmp/etc/auditd.conf"
port=$(ae_free_port)
ae_auditd_start_plugin "$rules" "$port"
n=$(workload ae_cnt_pl $((base + 60)))
wait_counts "$port" ae_cnt_pl "$n" "$ae_tmp/scrape.pl"
ae_expect "$ae_tmp/scrape.pl" 'audit_exporter_source_up{source="plugin"}' 1
ae_auditd_stop
compare plugin ae_cnt_pl "$n" "$ae_tmp/scrape.pl"
per_event plugin ae_cnt_pl
echo "auditd: multicast and plugin counts equal audit.log's and the workload's"
