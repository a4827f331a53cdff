#!/bin/sh
# The Grafana dashboards (dashboards/*.json): each is what
# dashboards/build.py makes (no hand edits drifting from the source), each
# follows the conventions (tests/dashboards/lint.py), and the lint itself
# reports every convention broken on purpose (--self-test), and the host
# dashboard's first-screen queries give their known answers on synthetic
# series (tests/dashboards/queries.py, with promtool). Whether every query
# works on a real exporter is tests/integration/t_prometheus_e2e.sh's part.
set -u
cd "$(dirname "$0")/../.."
command -v python3 >/dev/null || { echo "FAIL: python3 is not installed" >&2; exit 1; }
set -- dashboards/*.json
[ -f "$1" ] || { echo "FAIL: no dashboards/*.json" >&2; exit 1; }
python3 dashboards/build.py --check || exit 1
python3 tests/dashboards/lint.py "$@" || exit 1
for f in "$@"; do
	python3 tests/dashboards/lint.py --self-test "$f" || exit 1
done
command -v promtool >/dev/null || { echo "FAIL: promtool is not installed" >&2; exit 1; }
python3 tests/dashboards/queries.py dashboards/audit-exporter-host.json || exit 1
