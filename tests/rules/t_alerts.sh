#!/bin/sh
# The alerting rules (alerts/audit_exporter.rules.yml): promtool check
# rules on every rules file in alerts/, the conventions (severity, summary,
# templated description, runbook_url into docs/runbook.md, a firing and a
# quiet test per alert: tests/rules/check_alerts.py), then promtool test
# rules on tests/rules/alerts*.test.yml.
set -u
cd "$(dirname "$0")/../.."
command -v promtool >/dev/null || { echo "skip: promtool is not installed" >&2; exit 77; }

for f in alerts/*.yml; do
	promtool check rules "$f" || { echo "FAIL: promtool check rules $f" >&2; exit 1; }
done
/usr/bin/python3 tests/rules/check_alerts.py . || exit 1
promtool test rules tests/rules/alerts*.test.yml ||
	{ echo "FAIL: promtool test rules tests/rules/alerts*.test.yml" >&2; exit 1; }
