#!/bin/sh
# The dashboards and the rules against the real Prometheus server.
# Prometheus (from Debian) runs on loopback with a temporary configuration
# and storage, scraping every second, in the job audit_exporter:
#   replay  the fixture log replayed (tests/fixtures/workload.log), with
#           its sketch registers exported for the fleet rule;
#   capped  the same replay with --metrics.max-series=2, so series fold;
#   live    a live exporter as the audit daemon (the audit_kernel_* series
#           exist only there), watching a file of ours that we touch once;
#   dead    a free port nothing listens on (AuditExporterDown).
# It loads every rule file of alerts/. tests/dashboards/prom_e2e.py then
# checks that every rule evaluates without error, that every dashboard
# query (variables expanded as Grafana does) parses and returns data, and
# what the queries answer against the workload's own answer.
# Skips only when prometheus or promtool is missing (and, as every kernel
# test, when not root).
set -u
. "$(dirname "$0")/lib.sh"
command -v prometheus >/dev/null || ae_skip "prometheus is not installed"
command -v promtool >/dev/null || ae_skip "promtool is not installed"
ae_kernel_begin

fx=$AE_ROOT/tests/fixtures
p_replay=$(ae_free_port)
p_capped=$(ae_free_port)
p_live=$(ae_free_port)
p_dead=$(ae_free_port)
p_prom=$(ae_free_port)
[ "$(printf '%s\n' "$p_replay" "$p_capped" "$p_live" "$p_dead" "$p_prom" |
	sort -u | grep -c '')" = 5 ] || ae_fail "free ports collided"

# SIGTERM must end an exporter cleanly (exit 0; under the sanitizers, no
# leak or error report either).
stop_clean() { # pid name
	kill -TERM "$1"
	ae_wait_exit "$1" 5 || ae_fail "the $2 exporter did not stop within 5 s"
	wait "$1"
	rc=$?
	[ "$rc" = 0 ] || ae_fail "the $2 exporter exited with $rc"
}

# learning-period=0: every item of the fixture is new to the baseline (it
# lasts 16 ms), so that the baseline's panel and alerts have data
replay() { # port extra-flags...
	port=$1
	shift
	ae_spawn "$AE_BIN" --baseline.file= --baseline.learning-period=0 --audit.source=file --audit.file="$fx/workload.log" \
		--sketch.key-file="$fx/sketch.key" \
		--audit.rules.file="$fx/workload.rules" --sketch.export-registers \
		--web.listen-address="127.0.0.1:$port" --log.level=error "$@"
}
replay "$p_replay"
pid_replay=$ae_last_pid
replay "$p_capped" --metrics.max-series=2
pid_capped=$ae_last_pid

touch "$ae_tmp/watched"
chmod 755 "$ae_tmp"
echo "-w $ae_tmp/watched -p rw -k ae_e2e_watch" >"$ae_tmp/live.rules"
ae_spawn "$AE_BIN" --baseline.file= --web.listen-address="127.0.0.1:$p_live" \
	--audit.rules.file="$ae_tmp/live.rules" --sketch.key-file="$ae_tmp/key" \
	--log.level=error
pid_live=$ae_last_pid

for p in "$p_replay" "$p_capped" "$p_live"; do
	ae_wait_http "$p" || ae_fail "exporter on port $p did not come up"
done
# Replays finished (their source is done), the live watch hit counted.
for p in "$p_replay" "$p_capped"; do
	for _ in $(seq 50); do
		ae_scrape "$p" "$ae_tmp/scrape"
		[ "$(ae_value "$ae_tmp/scrape" 'audit_exporter_source_up{source="file"}')" = 0 ] && break
		sleep 0.1
	done
	[ "$(ae_value "$ae_tmp/scrape" 'audit_exporter_source_up{source="file"}')" = 0 ] ||
		ae_fail "replay on port $p did not finish"
done
cat "$ae_tmp/watched"
for _ in $(seq 50); do
	ae_scrape "$p_live" "$ae_tmp/scrape"
	grep -q '^audit_watch_hits_total{key="ae_e2e_watch",' "$ae_tmp/scrape" && break
	sleep 0.1
done
grep -q '^audit_watch_hits_total{key="ae_e2e_watch",' "$ae_tmp/scrape" ||
	ae_fail "the live exporter did not count the watched file's hit"

cat >"$ae_tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
$(for f in "$AE_ROOT"/alerts/*.yml; do echo "  - $f"; done)
scrape_configs:
  - job_name: audit_exporter
    static_configs:
      - targets:
          - 127.0.0.1:$p_replay
          - 127.0.0.1:$p_capped
          - 127.0.0.1:$p_live
          - 127.0.0.1:$p_dead
EOF
promtool check config "$ae_tmp/prometheus.yml" >&2 ||
	ae_fail "promtool check config failed"
ae_spawn prometheus --config.file="$ae_tmp/prometheus.yml" \
	--storage.tsdb.path="$ae_tmp/tsdb" \
	--web.listen-address="127.0.0.1:$p_prom" --log.level=warn \
	2>"$ae_tmp/prometheus.log"
prom=$ae_last_pid
for _ in $(seq 100); do
	curl -sf -o /dev/null "http://127.0.0.1:$p_prom/-/ready" && break
	kill -0 "$prom" 2>/dev/null || break
	sleep 0.1
done
curl -sf -o /dev/null "http://127.0.0.1:$p_prom/-/ready" || {
	tail -n 20 "$ae_tmp/prometheus.log" >&2
	ae_fail "prometheus did not become ready"
}

/usr/bin/python3 "$AE_ROOT/tests/dashboards/prom_e2e.py" "http://127.0.0.1:$p_prom" \
	"$AE_ROOT" "127.0.0.1:$p_replay" "127.0.0.1:$p_capped" \
	"127.0.0.1:$p_live" "127.0.0.1:$p_dead" || {
	tail -n 20 "$ae_tmp/prometheus.log" >&2
	ae_fail "dashboards or rules failed against Prometheus"
}
ae_stop_pid "$prom"
stop_clean "$pid_replay" replay
stop_clean "$pid_capped" capped
stop_clean "$pid_live" live
echo "prometheus e2e: rules and every dashboard query checked"
