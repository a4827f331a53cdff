#!/bin/sh
# The Grafana dashboards (dashboards/*.json): each is what
# dashboards/build.py makes (no hand edits drifting from the source), each
# follows the conventions (tests/dashboards/lint.py), and the lint itself
# reports every convention broken on purpose (--self-test). Whether the
# queries work is tests/integration/t_prometheus_e2e.sh's part.
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
