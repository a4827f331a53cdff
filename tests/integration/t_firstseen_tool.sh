#!/bin/sh
# The baseline live test's workloads (tests/tools/firstseen.c) do what they
# say, as the kernel sees it: the exporter, as the audit daemon on the
# bundled rules, must count exactly the scan's connects and about as many
# distinct destinations as the tool claims (the per-process sketch is
# near-exact at a few hundred), the steady workload's repeated connects to
# few destinations, and the listener on the port it printed.
. "$(dirname "$0")/lib.sh"
ae_kernel_begin

port=$(ae_free_port)
base=$(ae_free_ports 20)
[ -n "$base" ] || ae_fail "no free ports"
ae_spawn "$AE_BIN" --baseline.file= --web.listen-address="127.0.0.1:$port" \
	--sketch.key-file="$ae_tmp/key"
exporter=$ae_last_pid
ae_wait_http "$port" || ae_fail "exporter did not come up"

fs="$AE_TOOLS/firstseen"
"$fs" scan --count 300 --proto tcp --port "$base" --comm ae_fs_scan \
	>"$ae_tmp/scan" || ae_fail "scan failed: $(cat "$ae_tmp/scan")"
grep -qx 'connects=300 distinct=300 errors=0' "$ae_tmp/scan" ||
	ae_fail "scan said $(cat "$ae_tmp/scan")"
"$fs" steady --dests 10 --rounds 5 --proto tcp --port $((base + 7)) \
	--comm ae_fs_steady >"$ae_tmp/steady" || ae_fail "steady failed"
grep -qx 'connects=50 distinct=10 errors=0' "$ae_tmp/steady" ||
	ae_fail "steady said $(cat "$ae_tmp/steady")"
lport=$((base + 19))
"$fs" listen --port "$lport" --comm ae_fs_listen >"$ae_tmp/listen" ||
	ae_fail "listen failed"
grep -qx "listening tcp 127.0.0.1 $lport" "$ae_tmp/listen" ||
	ae_fail "listen said $(cat "$ae_tmp/listen")"

auid=$(cat /proc/self/loginuid)
cat >"$ae_tmp/expect" <<EXP
audit_connect_total{comm="ae_fs_scan",uid="0",family="inet",result="refused"} 300
audit_connect_total{comm="ae_fs_steady",uid="0",family="inet",result="refused"} 50
audit_listen_total{comm="ae_fs_listen",uid="0",auid="$auid",family="inet",protocol="tcp",address="127.0.0.1",port="$lport"} 1
EXP
ae_wait_expect "$port" "$ae_tmp/expect" "$ae_tmp/scrape" ||
	ae_fail "exposition does not match the workloads"
# distinct destinations, within 1% (the sketch's small-set error is far less)
for c in ae_fs_scan:300 ae_fs_steady:10; do
	v=$(ae_value "$ae_tmp/scrape" \
		"audit_process_connect_unique_destinations{comm=\"${c%:*}\",uid=\"0\",window=\"5m\"}")
	awk -v v="$v" -v n="${c#*:}" 'BEGIN { exit !(v != "absent" &&
		v >= n * 0.99 && v <= n * 1.01) }' ||
		ae_fail "${c%:*}: $v distinct destinations, not ${c#*:}"
done

kill -TERM "$exporter"
wait "$exporter" || ae_fail "exporter exited with $?"
{ ae_wait_pid_released && ae_state_diff; } ||
	ae_fail "kernel audit state not restored (or the audit pid kept)"
echo "firstseen tool: scan, steady and listen as the kernel saw them"
