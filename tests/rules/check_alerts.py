#!/usr/bin/env python3
"""Conventions of the alerting rules, checked on every alerts/*.yml file.

Every alerting rule must have:
  - labels.severity in {critical, warning, info};
  - annotations summary, description (templated: uses $labels or $value)
    and runbook_url, whose #anchor names a section of docs/runbook.md;
and tests/rules/alerts*.test.yml must hold, for every alert, at least one
alert_rule_test where it fires (non-empty exp_alerts) and one where it
does not (empty exp_alerts).

usage: check_alerts.py ROOT     (exit 0 ok, 1 with the reasons on stderr)
"""
import glob
import os
import re
import sys

import yaml

SEVERITIES = {"critical", "warning", "info"}
RUNBOOK = "docs/runbook.md"


def github_anchor(heading):
    """The anchor GitHub gives a markdown heading."""
    a = heading.strip().lower()
    a = re.sub(r"[^\w\- ]", "", a)
    return a.replace(" ", "-")


def runbook_anchors(root):
    anchors = set()
    with open(os.path.join(root, RUNBOOK), encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^#{1,6}\s+(.*)$", line)
            if m:
                anchors.add(github_anchor(m.group(1)))
    return anchors


def check_rule(path, rule, anchors, errors):
    name = rule["alert"]
    where = f"{path}: {name}"
    sev = (rule.get("labels") or {}).get("severity")
    if sev not in SEVERITIES:
        errors.append(f"{where}: severity {sev!r} not in {sorted(SEVERITIES)}")
    ann = rule.get("annotations") or {}
    for key in ("summary", "description", "runbook_url"):
        if not ann.get(key):
            errors.append(f"{where}: no annotation {key}")
    desc = ann.get("description", "")
    if "$labels" not in desc and "$value" not in desc:
        errors.append(f"{where}: description uses neither $labels nor $value")
    url = ann.get("runbook_url", "")
    m = re.match(r"^https://\S+/" + re.escape(RUNBOOK) + r"#([\w-]+)$", url)
    if not m:
        errors.append(f"{where}: runbook_url {url!r} does not point into "
                      f"{RUNBOOK}")
    elif m.group(1) not in anchors:
        errors.append(f"{where}: {RUNBOOK} has no section #{m.group(1)}")


def main():
    root = sys.argv[1]
    errors = []
    anchors = runbook_anchors(root)
    alerts = []
    for path in sorted(glob.glob(os.path.join(root, "alerts", "*.yml"))):
        rel = os.path.relpath(path, root)
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for group in doc.get("groups", []):
            for rule in group.get("rules", []):
                if "alert" in rule:
                    alerts.append(rule["alert"])
                    check_rule(rel, rule, anchors, errors)
    fires, quiet = set(), set()
    for path in glob.glob(os.path.join(root, "tests/rules/alerts*.test.yml")):
        with open(path, encoding="utf-8") as f:
            tests = yaml.safe_load(f)
        for t in tests.get("tests", []):
            for a in t.get("alert_rule_test") or []:
                (fires if a.get("exp_alerts") else quiet).add(a["alertname"])
    for name in alerts:
        if name not in fires:
            errors.append(f"{name}: no test where it fires")
        if name not in quiet:
            errors.append(f"{name}: no test where it stays quiet")
    if len(set(alerts)) != len(alerts):
        errors.append("alert names are not unique")
    for e in errors:
        print("FAIL: " + e, file=sys.stderr)
    if not alerts:
        print("FAIL: no alerting rule found", file=sys.stderr)
        return 1
    print(f"{len(alerts)} alerts: labels, annotations, runbook sections and "
          "firing/quiet tests present")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
