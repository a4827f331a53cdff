#!/usr/bin/env python3
"""The host dashboard's first-screen queries against series whose answer
is known, with promtool (no Prometheus server needed).

  queries.py DASHBOARD      exit 0 when every query gives its answer,
                            1 with promtool's report

Each case takes a panel's query from the dashboard JSON as Grafana would
send it ($job, $instance, $window, $__range expanded), evaluates it on
the input series below with `promtool test rules` (promql_expr_test) and
compares every sample: labels and value. The inputs are issue 21's
situation on one host: alice's curl and python reached 4 and 6 outbound
TCP destinations and a third process 3, 13 summed, while her own sketch
says 10 (they share some); root in alice's session; a scan of 2,000
loopback ports; UDP lookups. The answers: Q1 counts 12 (9 public and 3
private TCP destinations, never loopback or UDP) in the 1h window and 0
in the 5m one, where there were destinations but none outbound; the
top-users panel reads alice's 10, not 13, and names her and her login;
the who-connected-where table counts each tuple's connects in the range,
also those of a tuple first seen in it, and names root and alice.
"""
import json
import os
import subprocess
import sys
import tempfile

import yaml

HOST = 'job="audit_exporter", instance="h:10043"'
VARS = {"$job": "audit_exporter", "$instance": "h:10043", "$window": "1h",
        "$__range": "1h", "$__rate_interval": "1m"}


def s(name, labels, values):
    lab = ", ".join([HOST] + [f'{k}="{v}"' for k, v in labels.items()])
    return {"series": f"{name}{{{lab}}}", "values": values}


def U(protocol, scope, window, v):
    return s("audit_connect_unique_destinations",
             {"protocol": protocol, "scope": scope, "window": window},
             f"{v}x90")


ALICE = {"uid": "1001", "auid": "1001"}
ROOT_IN_ALICE = {"uid": "0", "auid": "1001"}


def proc(comm, exe, who, protocol, scope, v):
    return s("audit_process_connect_unique_destinations",
             {"comm": comm, "exe": exe, **who, "protocol": protocol,
              "scope": scope, "window": "1h"}, f"{v}x90")


def user(who, protocol, scope, v):
    return s("audit_user_connect_unique_destinations",
             {**who, "protocol": protocol, "scope": scope, "window": "1h"},
             f"{v}x90")


def recent(comm, exe, who, dest, port, values, protocol="tcp",
           scope="private"):
    return s("audit_connect_recent_total",
             {"comm": comm, "exe": exe, **who, "protocol": protocol,
              "scope": scope, "destination": dest, "port": port}, values)


INPUT = [
    s("audit_user_info", {"uid": "0", "user": "root"}, "1x90"),
    s("audit_user_info", {"uid": "1001", "user": "alice"}, "1x90"),
    U("tcp", "public", "1h", 9), U("tcp", "private", "1h", 3),
    U("tcp", "loopback", "1h", 2000), U("udp", "private", "1h", 1),
    U("tcp", "loopback", "5m", 5),
    proc("curl", "/usr/bin/curl", ALICE, "tcp", "public", 4),
    proc("python3", "/usr/bin/python3.11", ALICE, "tcp", "public", 4),
    proc("python3", "/usr/bin/python3.11", ALICE, "tcp", "private", 2),
    proc("ncat", "/usr/bin/ncat", ALICE, "tcp", "private", 3),
    proc("python3", "/usr/bin/python3.11", ROOT_IN_ALICE, "tcp", "private",
         1),
    user(ALICE, "tcp", "public", 7), user(ALICE, "tcp", "private", 3),
    user(ALICE, "udp", "private", 2),
    user(ROOT_IN_ALICE, "tcp", "private", 1),
    user(ROOT_IN_ALICE, "tcp", "loopback", 2000),
    # 5 connects before the range, 8 at its end: 3 in it
    recent("curl", "/usr/bin/curl", ALICE, "10.0.0.7", "443", "5x30 8x60"),
    # first seen in the range with 2 connects
    recent("python3", "/usr/bin/python3.11", ROOT_IN_ALICE, "10.0.0.9",
           "22", "_x60 2x30"),
]


def labels(d):
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(d.items())) + "}"


NAMES = {"user": "alice", "login_user": "alice"}
CASES = [
    ("Unique outbound TCP destinations", "A",
     [({"window": "1h"}, 12), ({"window": "5m"}, 0)]),
    ("Top users by unique outbound TCP destinations ($window)", "A",
     [({**ALICE, **NAMES}, 10),
      ({**ROOT_IN_ALICE, "user": "root", "login_user": "alice"}, 1)]),
    ("Top users by unique outbound TCP destinations ($window)", "B",
     [({**ALICE, **NAMES}, 12),
      ({**ROOT_IN_ALICE, "user": "root", "login_user": "alice"}, 2001)]),
    ("Top processes by unique outbound TCP destinations ($window)", "A",
     [({"comm": "curl", "exe": "/usr/bin/curl", **ALICE, **NAMES}, 4),
      ({"comm": "python3", "exe": "/usr/bin/python3.11", **ALICE, **NAMES},
       6),
      ({"comm": "ncat", "exe": "/usr/bin/ncat", **ALICE, **NAMES}, 3),
      ({"comm": "python3", "exe": "/usr/bin/python3.11", **ROOT_IN_ALICE,
        "user": "root", "login_user": "alice"}, 1)]),
    ("Who connected where (in range)", "A",
     [({"comm": "curl", "exe": "/usr/bin/curl", **ALICE, **NAMES,
        "protocol": "tcp", "scope": "private", "destination": "10.0.0.7",
        "port": "443"}, 3),
      ({"comm": "python3", "exe": "/usr/bin/python3.11", **ROOT_IN_ALICE,
        "user": "root", "login_user": "alice", "protocol": "tcp",
        "scope": "private", "destination": "10.0.0.9", "port": "22"}, 2)]),
]


def expand(expr):
    for k in sorted(VARS, key=len, reverse=True):
        expr = expr.replace(k, VARS[k])
    return expr


def main(argv):
    with open(argv[1], encoding="utf-8") as f:
        dash = json.load(f)
    panels = {p["title"]: p for p in dash["panels"] if p["type"] != "row"}
    tests = []
    for title, ref, want in CASES:
        p = panels.get(title)
        if p is None:
            print(f"FAIL: no panel {title!r}", file=sys.stderr)
            return 1
        expr = next(t["expr"] for t in p["targets"] if t["refId"] == ref)
        tests.append({"expr": expand(expr), "eval_time": "90m",
                      "exp_samples": [{"labels": labels(lab), "value": v}
                                      for lab, v in want]})
    doc = {"rule_files": [], "evaluation_interval": "1m", "tests": [
        {"interval": "1m", "input_series": INPUT,
         "promql_expr_test": tests}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump(doc, f, sort_keys=False)
        path = f.name
    try:
        p = subprocess.run(["promtool", "test", "rules", path],
                           capture_output=True, text=True)
    finally:
        os.unlink(path)
    if p.returncode != 0:
        print(p.stdout + p.stderr, file=sys.stderr)
        print(f"FAIL: {os.path.basename(argv[1])}: first-screen queries",
              file=sys.stderr)
        return 1
    print(f"{len(CASES)} first-screen queries give their known answers")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
