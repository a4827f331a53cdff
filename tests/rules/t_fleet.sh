#!/bin/sh
# The fleet recording rule (alerts/fleet.rules.yml): promtool check rules,
# then promtool test rules on tests/rules/fleet.test.yml completed with
# register series that tests/tools/sketch_fleet_series makes at test time.
set -u
cd "$(dirname "$0")/../.."
: "${AE_TOOLS:=$(pwd)/build/release/tools}"
command -v promtool >/dev/null || { echo "skip: promtool is not installed" >&2; exit 77; }
gen=$AE_TOOLS/sketch_fleet_series
[ -x "$gen" ] || { echo "FAIL: $gen is not built (make tools)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/ae-rules.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

promtool check rules alerts/fleet.rules.yml || exit 1
"$gen" >"$tmp/series.yml" || { echo "FAIL: $gen failed" >&2; exit 1; }
sed -e "s|@RULES@|$(pwd)/alerts/fleet.rules.yml|" \
	-e "/^@SERIES@\$/{r $tmp/series.yml
d}" tests/rules/fleet.test.yml >"$tmp/fleet.test.yml"
promtool test rules "$tmp/fleet.test.yml"
