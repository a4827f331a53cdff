#!/bin/sh
# The OpenMetrics twin of replay.sh: the fixture replay served over HTTP and
# fetched with Prometheus's Accept header, normalised the same way.
#   replay_om.sh LOG
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
: "${AE_BIN:=$root/audit_exporter}"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$AE_BIN" --baseline.file= --audit.source=file --audit.file="$1" --log.level=error \
	--web.disable-exporter-metrics --web.listen-address="127.0.0.1:$port" \
	--sketch.key-file="$root/tests/fixtures/sketch.key" \
	--audit.rules.file="$root/tests/fixtures/workload.rules" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for _ in $(seq 100); do
	# served only once the replay is done: the input is 353 lines
	curl -sf -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' \
		"http://127.0.0.1:$port/metrics" >"$root/build/.om.$$" 2>/dev/null &&
		grep -q '^audit_exporter_source_up{source="file"} 0$' "$root/build/.om.$$" && break
	sleep 0.1
done
sed -e 's/^\(audit_exporter_scrape_collector_duration_seconds{[^}]*}\) .*/\1 0/' \
    -e 's/^\(audit_exporter_memory_used_bytes{[^}]*}\) .*/\1 0/' \
    -e 's/revision="[^"]*"/revision="X"/' -e 's/compiler="[^"]*"/compiler="X"/' \
    "$root/build/.om.$$"
rm -f "$root/build/.om.$$"
