#!/bin/sh
# A stalled reader (kernel): the exporter is stopped (SIGSTOP) for 2 s
# while one process issues 1,000,000 connect() calls as fast as it can.
# Meanwhile the kernel queues records up to the backlog limit and drops the
# rest (audit_kernel_lost_total), and waits at most 100 ms for room in the
# exporter's full socket buffer before it overruns it (socket overruns,
# then serial gaps for what its retry queue could not hold). Checked:
#   - nothing is lost silently: the connects counted are at most those
#     made, and if fewer, the loss shows in the exporter's own metrics
#     (what AuditEventsLost reads): the kernel's lost counter as it reports
#     it (which must agree with auditctl -s), the serial gaps or the socket
#     overruns;
#   - the exporter recovers: it is still the audit daemon, and 10,000
#     connects made afterwards are all counted, with no new loss.
. "$(dirname "$0")/lib.sh"
ae_kernel_begin
port=$(ae_free_port)
sport=$(ae_free_ports 8)
ae_spawn "$AE_BIN" --baseline.file= --web.listen-address="127.0.0.1:$port" \
	--sketch.key-file="$ae_tmp/key" --log.level=warn
exporter=$ae_last_pid
ae_wait_http "$port" || ae_fail "exporter did not come up"
series='audit_connect_total{comm="ae_stall",uid="0",family="inet",result="success"}'
ae_scrape "$port" "$ae_tmp/m"
reported0=$(ae_value "$ae_tmp/m" audit_kernel_lost_total)

"$AE_TOOLS/storm" --count 1000000 --distinct 8 --comm ae_stall --port "$sport" \
	>"$ae_tmp/storm" &
storm=$!
sleep 0.3
kill -STOP "$exporter"
sleep 2
kill -CONT "$exporter"
wait "$storm" || ae_fail "storm failed"

# until the count and the loss counters stand still for 2 s (serial gaps
# are judged only after the event timeout)
last=
for _ in $(seq 60); do
	ae_scrape "$port" "$ae_tmp/m"
	now="$(ae_value "$ae_tmp/m" "$series") $(ae_value "$ae_tmp/m" \
		audit_exporter_serial_gaps_total) $(ae_value "$ae_tmp/m" \
		audit_exporter_socket_overruns_total)"
	[ "$now" = "$last" ] && break
	last=$now
	sleep 2
done
# the kernel's status is polled every second
for _ in $(seq 30); do
	[ "$(ae_value "$ae_tmp/m" audit_kernel_lost_total)" = "$(ae_kstatus lost)" ] && break
	sleep 0.2
	ae_scrape "$port" "$ae_tmp/m"
done
ae_expect "$ae_tmp/m" audit_kernel_lost_total "$(ae_kstatus lost)"
counted=$(ae_value "$ae_tmp/m" "$series")
[ "$counted" = absent ] && counted=0
gaps=$(ae_value "$ae_tmp/m" audit_exporter_serial_gaps_total)
overruns=$(ae_value "$ae_tmp/m" audit_exporter_socket_overruns_total)
klost=$(($(ae_value "$ae_tmp/m" audit_kernel_lost_total) - reported0))
[ "$counted" -le 1000000 ] || ae_fail "counted $counted of 1,000,000 connects"
if [ "$counted" -lt 1000000 ] && [ "$klost" = 0 ] && [ "$gaps" = 0 ] &&
	[ "$overruns" = 0 ]; then
	ae_fail "counted $counted of 1,000,000 and no loss shows"
fi
ae_promtool_check "$ae_tmp/m"

[ "$(ae_kstatus pid)" = "$exporter" ] ||
	ae_fail "the exporter is no longer the audit daemon after the stall"
lost1=$(ae_kstatus lost)
# a sanitizer build reads several times slower: fed at a pace it keeps
pace=
ae_sanitized && pace="--rate 10000"
# shellcheck disable=SC2086
"$AE_TOOLS/storm" --count 10000 --distinct 8 --comm ae_stall --port "$sport" \
	$pace >/dev/null || ae_fail "second storm failed"
want=$((counted + 10000))
for _ in $(seq 100); do
	ae_scrape "$port" "$ae_tmp/m"
	[ "$(ae_value "$ae_tmp/m" "$series")" = "$want" ] && break
	sleep 0.1
done
ae_expect "$ae_tmp/m" "$series" "$want"
ae_expect "$ae_tmp/m" audit_exporter_serial_gaps_total "$gaps"
ae_expect "$ae_tmp/m" audit_exporter_socket_overruns_total "$overruns"
[ "$(ae_kstatus lost)" = "$lost1" ] || ae_fail "the kernel lost records after the stall"
echo "stall: $counted of 1,000,000 counted, the rest shown as lost" \
	"(kernel $klost records, $gaps serial gaps, $overruns overruns);" \
	"then 10,000 of 10,000"
