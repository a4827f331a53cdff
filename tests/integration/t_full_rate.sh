#!/bin/sh
# Full rate, exactness only (the bench measures speed): one process issues
# 500,000 connect() calls as fast as it can; the exporter must count every
# one, with no serial gap and no record lost by the kernel. The backlog
# wait time is set so that on a loaded machine the kernel slows the
# producer rather than dropping records: what is tested is that the
# exporter loses nothing and miscounts nothing at the rate it is fed.
#
# A sanitizer build reads several times slower than the product, and fed
# at full rate it falls behind: the kernel waits at most 100 ms (HZ/10) for
# room in the exporter's full socket buffer, then overruns it. So a
# sanitizer build is fed 200,000 connects at 20,000 a second, a rate it
# keeps up with, and checked the same way.
. "$(dirname "$0")/lib.sh"
count=500000
pace=
if ae_sanitized; then
	count=200000
	pace="--rate 20000"
fi
ae_kernel_begin
port=$(ae_free_port)
sport=$(ae_free_ports 8)
ae_spawn "$AE_BIN" --baseline.file= --web.listen-address="127.0.0.1:$port" \
	--sketch.key-file="$ae_tmp/key" --audit.backlog-wait-time=1s --log.level=warn
exporter=$ae_last_pid
ae_wait_http "$port" || ae_fail "exporter did not come up"
lost0=$(ae_kstatus lost)
# shellcheck disable=SC2086
storm_out=$("$AE_TOOLS/storm" --count "$count" --distinct 8 --comm ae_full \
	--port "$sport" $pace) || ae_fail "storm failed"
series='audit_connect_total{comm="ae_full",uid="0",family="inet",result="success"}'
for _ in $(seq 300); do
	ae_scrape "$port" "$ae_tmp/m"
	[ "$(ae_value "$ae_tmp/m" "$series")" = "$count" ] && break
	sleep 0.1
done
if [ "$(ae_value "$ae_tmp/m" "$series")" != "$count" ]; then
	# say where the rest went before failing on the count
	ae_log "after 30 s: kernel lost $(($(ae_kstatus lost) - lost0))," \
		"serial gaps $(ae_value "$ae_tmp/m" audit_exporter_serial_gaps_total)," \
		"overruns $(ae_value "$ae_tmp/m" audit_exporter_socket_overruns_total)," \
		"kernel backlog $(ae_kstatus backlog)"
fi
ae_expect "$ae_tmp/m" "$series" "$count"
ae_expect "$ae_tmp/m" 'audit_process_connect_unique_destinations{comm="ae_full",uid="0",window="5m"}' 8
ae_expect "$ae_tmp/m" audit_exporter_serial_gaps_total 0
ae_expect "$ae_tmp/m" audit_exporter_socket_overruns_total 0
[ "$(ae_kstatus lost)" = "$lost0" ] ||
	ae_fail "the kernel lost records during the storm"
ae_promtool_check "$ae_tmp/m"
echo "full rate: $count of $count connects counted ($storm_out)"
