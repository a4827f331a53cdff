#!/usr/bin/env python3
"""The dashboards and rules against a real Prometheus (the checking half of
tests/integration/t_prometheus_e2e.sh, which starts the processes).

  prom_e2e.py PROM_URL ROOT REPLAY CAPPED LIVE DEAD

PROM_URL is a Prometheus scraping, in the job audit_exporter, four targets
(host:port): REPLAY, the replay of tests/fixtures/workload.log;
CAPPED, the same replay with --metrics.max-series=2 (so series fold);
LIVE, a live exporter (kernel metrics); DEAD, a port nothing listens on.
Both replays export their sketch registers with the fixture's key; it
loads every rule file of alerts/.

Checks, each failure printed, exit 1 if any:
  1. every rule of alerts/*.yml is loaded and evaluates without error
     (/api/v1/rules), and AuditExporterDown is pending or firing for
     DEAD only;
  2. every query of every dashboard, its variables resolved the way
     Grafana does (query variables through the label values API,
     multi-value ones regex-escaped, "All" as allValue; $__rate_interval
     = 1m, $__range = 1h), parses and returns data: for every value of
     the other variables, a non-empty result for at least one instance;
  3. semantics, against answers known independently of the dashboards:
     the workload's own answer (tests/fixtures/workload.expect), the 13
     distinct destinations of the fixture, none of them outbound (Q1 reads
     0), its inet connects per process in the who-connected-where table, the fleet union of two hosts
     that saw the same destinations, folding only where the cap is 2,
     and the live exporter's kernel state.
"""
import glob
import json
import math
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

RATE_INTERVAL = "1m"
RANGE = "1h"
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


class Prom:
    def __init__(self, url):
        self.url = url.rstrip("/")

    def get(self, path, **params):
        q = urllib.parse.urlencode(params, doseq=True)
        try:
            url = f"{self.url}{path}?{q}"
            with urllib.request.urlopen(url, timeout=10) as r:
                body = json.load(r)
        except urllib.error.HTTPError as e:
            body = json.load(e)
        if body.get("status") != "success":
            raise RuntimeError(f"{path} {params}: {body.get('error', body)}")
        return body["data"]

    def query(self, expr):
        return self.get("/api/v1/query", query=expr)["result"]


# --- expansion of Grafana variables ----------------------------------------

def regex_escape(v):
    """Grafana's prometheusSpecialRegexEscape for multi-value variables."""
    v = v.replace("\\", "\\\\\\\\").replace("'", "\\\\'")
    return re.sub(r"[$^*{}\[\]'+?.()|]", lambda m: "\\\\" + m.group(), v)


def expand(expr, values):
    def sub(m):
        name = m.group(1) or m.group(2)
        if name == "__rate_interval":
            return RATE_INTERVAL
        if name == "__range":
            return RANGE
        if name.isdigit():
            return m.group(0)  # label_replace's $1: no variable, as Grafana
        return values[name]
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", sub, expr)


def label_values(prom, definition, values):
    m = re.match(r"^label_values\((.*),\s*(\w+)\)$", definition.strip())
    if not m:
        raise RuntimeError(f"unsupported variable query {definition!r}")
    match = expand(m.group(1), values)
    return prom.get(f"/api/v1/label/{m.group(2)}/values",
                    **{"match[]": match})


def assignments(prom, dash):
    """Every assignment of the dashboard's query variables, as Grafana
    would offer them: a list of {name: interpolated value}."""
    out = [{"datasource": "prometheus"}]
    for v in dash["templating"]["list"]:
        if v["type"] != "query":
            continue
        nxt = []
        for a in out:
            vals = label_values(prom, v["definition"], a)
            if not vals:
                fail(f"{dash['uid']}: variable {v['name']} has no values "
                     f"with {a}")
            if v.get("multi") or v.get("includeAll"):
                cands = [regex_escape(x) for x in vals]
                if v.get("includeAll"):
                    cands.append(v.get("allValue") or
                                 "(" + "|".join(cands) + ")")
            else:
                cands = vals
            nxt += [{**a, v["name"]: c} for c in cands]
        out = nxt
    return out


def panels(dash):
    stack = list(dash["panels"])
    while stack:
        p = stack.pop(0)
        stack[0:0] = p.get("panels", [])
        if p["type"] != "row":
            yield p


def run_dashboard(prom, path):
    """Queries every target under every assignment; returns
    {(panel title, refId): [(assignment, result)]}."""
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    assigns = assignments(prom, dash)
    results, n = {}, 0
    for p in panels(dash):
        for t in p["targets"]:
            key = (p["title"], t["refId"])
            rows = []
            for a in assigns:
                expr = expand(t["expr"], a)
                try:
                    res = prom.query(expr)
                except RuntimeError as e:
                    fail(f"{path}: {key}: {e}")
                    break
                n += 1
                rows.append((a, res))
            results[key] = rows
            # non-empty for every value of the variables but instance
            groups = {}
            for a, res in rows:
                other = tuple(sorted((k, v) for k, v in a.items()
                                     if k != "instance"))
                groups.setdefault(other, []).append(bool(res))
            for other, hits in groups.items():
                if not any(hits):
                    fail(f"{os.path.basename(path)}: panel {key[0]!r} query "
                         f"{key[1]} returns no data for any instance with "
                         f"{dict(other)}: {t['expr']}")
    print(f"{os.path.basename(path)}: {len(results)} queries, {n} "
          f"evaluations under {len(assigns)} variable assignments")
    return results


def result_of(results, title, ref="A", **want):
    """The result of one panel query under the assignment whose variables
    match `want` (instance given as host:port, compared unescaped)."""
    rows = results.get((title, ref))
    if rows is None:
        fail(f"no panel titled {title!r} (query {ref})")
        return []
    for a, res in rows:
        plain = {k: v.replace("\\\\", "") for k, v in a.items()}
        if all(plain.get(k) == v for k, v in want.items()):
            return res
    fail(f"panel {title!r}: no assignment {want}")
    return []


def by_labels(res, *labels):
    return {tuple(s["metric"].get(l, "") for l in labels):
            float(s["value"][1]) for s in res}


# --- the workload's own answer -----------------------------------------------

def parse_expect(path):
    """Lines 'name{l="v",...} value' (exposition escapes) as
    (name, {label: value}, float)."""
    out = []
    lab = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            series, value = line.rsplit(" ", 1)
            name, _, rest = series.partition("{")
            labels = {}
            for k, v in lab.findall(rest):
                labels[k] = re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(
                    m.group(1), m.group(1)), v)
            out.append((name, labels, float(value)))
    return out


def expect_equal(what, got, want):
    if got != want:
        fail(f"{what}: expected {want}, got {got}")


def check_semantics(host, fleet, expect, inst):
    replay, capped, live = inst["replay"], inst["capped"], inst["live"]

    def sums(metric, labels, **only):
        s = {}
        for name, lab, v in expect:
            if name == metric and all(lab.get(k) == x
                                      for k, x in only.items()):
                k = tuple(lab[x] for x in labels)
                s[k] = s.get(k, 0) + v
        return s

    # host-wide unique destinations: the workload's answer for 5m; the
    # whole capture lasts less than 5 minutes, so every window sees all.
    # Every protocol and scope summed (exact: scopes partition, protocol
    # is hashed with the destination) is the old single gauge's 13.
    want = sums("audit_connect_unique_destinations", ["window"])
    expect_equal("workload answer for 5m", want, {("5m",): 13})
    for who in (replay, capped):
        for w in ("5m", "1h", "24h"):
            got = sum(by_labels(result_of(
                host, "Unique destinations by protocol and scope ($window)",
                instance=who, window=w), "protocol", "scope").values())
            expect_equal(f"unique destinations on {who} ({w})", got, 13)
    # Q1, unique outbound TCP destinations: the fixture's connects go to
    # loopback only (its SOCKADDR records, decoded here), so 0 in every
    # window; the panel must read 0, not nothing
    outbound = fixture_outbound(FIXTURE_LOG)
    for who in (replay, capped):
        got = by_labels(result_of(host, "Unique outbound TCP destinations",
                                  instance=who), "window")
        if outbound:
            for w, v in got.items():
                if not 0 <= v <= len(outbound):
                    fail(f"Q1 on {who} ({w}): {v}, not within 0.."
                         f"{len(outbound)}")
        else:
            expect_equal(f"Q1 on {who} (no outbound destination)", got,
                         {("5m",): 0, ("1h",): 0, ("24h",): 0})

    # Q2, who connected where: each inet/inet6 connect of the workload is
    # in the recent table (13 destinations, far below its bound), so the
    # table's counts per process are the workload's inet/inet6 connects;
    # a replay of a RAW log names no one: user and login user are numbers
    want = {}
    for name, lab, v in expect:
        if name == "audit_connect_total" and lab.get("family") in (
                "inet", "inet6"):
            k = (lab["comm"], lab["uid"])
            want[k] = want.get(k, 0) + v
    res = result_of(host, "Who connected where (in range)", instance=replay,
                    window="1h")
    got = {}
    for s in res:
        k = (s["metric"].get("comm"), s["metric"].get("uid"))
        got[k] = got.get(k, 0) + float(s["value"][1])
    expect_equal("who connected where, connects per process", got, want)
    expect_equal("user and login user of the replay (no names)",
                 {(s["metric"].get("user"), s["metric"].get("login_user"))
                  for s in res},
                 {(s["metric"].get("uid"), s["metric"].get("auid"))
                  for s in res})
    # top users: no outbound TCP in the fixture, so 0 for each user that
    # has destinations at all
    res = result_of(host, "Top users by unique outbound TCP destinations "
                    "($window)", instance=replay, window="1h")
    if not outbound:
        expect_equal("top users' outbound TCP destinations",
                     {float(s["value"][1]) for s in res}, {0.0})

    # per process, window 5m: every process of the workload's answer, its
    # destinations of any protocol and scope (query B; the sum over them
    # is exact), added up over its exes and auids (one each here)
    want = sums("audit_process_connect_unique_destinations", ["comm", "uid"],
                window="5m")
    got = {}
    for s in result_of(host, "Top processes by unique outbound TCP "
                       "destinations ($window)", "B", instance=replay,
                       window="5m"):
        k = (s["metric"].get("comm"), s["metric"].get("uid"))
        got[k] = got.get(k, 0) + float(s["value"][1])
    for k, v in want.items():
        expect_equal(f"unique destinations of {k}", got.get(k), v)

    # connects in the range, per process: sums of the workload's answer
    want = sums("audit_connect_total", ["comm", "uid"])
    got = by_labels(result_of(host, "Top processes by connects in range",
                              instance=replay, window="1h"), "comm", "uid")
    expect_equal("connects per process in range", got, want)
    # joined with audit_user_info (dashboards/build.py named()): the sums
    # above are unchanged (no series lost or doubled), and a replay of a
    # RAW log names no one, so each uid keeps its number as user
    res = result_of(host, "Top processes by connects in range",
                    instance=replay, window="1h")
    expect_equal("user label of the replay's connects (no names)",
                 {s["metric"].get("user") for s in res},
                 {s["metric"].get("uid") for s in res})
    want = {}
    for r in ("refused", "error"):
        want.update(sums("audit_connect_total",
                         ["comm", "uid", "family", "result"], result=r))
    got = by_labels(result_of(host, "Connect errors in range",
                              instance=replay, window="1h"),
                    "comm", "uid", "family", "result")
    expect_equal("connect errors in range", got, want)

    # listening ports: every listen of the workload, each one new
    keys = ["protocol", "address", "port", "family", "comm", "uid"]
    want = sums("audit_listen_total", keys)
    got = by_labels(result_of(host, "Listening ports", instance=replay,
                              window="1h"), *keys)
    expect_equal("listening ports", got, want)
    got = by_labels(result_of(host, "Listening ports", "B", instance=replay,
                              window="1h"), *keys)
    expect_equal("new listening ports", got, {k: 1 for k in want})
    ports = {k[:3] for k in want}
    got = by_labels(result_of(host, "New listening ports (24h)",
                              instance=replay, window="1h"))
    expect_equal("count of new ports", got, {(): len(ports)})

    # executions and watched-file hits of the workload
    got = by_labels(result_of(host, "Executions by program and user in range",
                              instance=replay, window="1h"), "exe", "uid")
    for k, v in sums("audit_execve_total", ["exe", "uid"]).items():
        expect_equal(f"executions of {k}", got.get(k), v)
    got = by_labels(result_of(host, "Watched-file hits in range",
                              instance=replay, window="1h"),
                    "key", "comm", "uid", "path", "syscall", "result")
    expect_equal("watched-file hits", got,
                 sums("audit_watch_hits_total",
                      ["key", "comm", "uid", "path", "syscall", "result"]))

    # folding happens where the cap is 2, and only there
    t = "Metrics at their series cap"
    if not result_of(host, t, instance=capped, window="1h"):
        fail(f"{t}: nothing folded on the capped exporter {capped}")
    if result_of(host, t, instance=replay, window="1h"):
        fail(f"{t}: folding reported on the uncapped exporter {replay}")

    # the live exporter is the audit daemon: audit enabled, and the
    # backlog limit is its --audit.backlog-limit default
    got = by_labels(result_of(host, "Kernel audit", instance=live))
    expect_equal("kernel audit enabled on the live exporter", got, {(): 1})
    got = by_labels(result_of(host, "Kernel backlog", "B", instance=live))
    expect_equal("kernel backlog limit on the live exporter", got,
                 {(): 131072})
    got = by_labels(result_of(host, "Watched-file hits in range",
                              instance=live, window="1h"), "key")
    if not got.get(("ae_e2e_watch",), 0) >= 1:
        fail(f"live watch hit of ae_e2e_watch not seen: {got}")
    for who in (replay, capped, live):
        got = by_labels(result_of(host, "Exporter up", instance=who))
        expect_equal(f"up of {who}", got, {(): 1})

    # fleet: both replays saw the same 13 destinations, so the union is 13
    # (within 4 standard errors of 256 registers) while the sum is 26;
    # the live exporter makes no connects (its rules only watch a file):
    # it has no destination series and ranks with 0
    for w in ("5m", "1h", "24h"):
        res = result_of(fleet, "Fleet-wide unique destinations ($window)",
                        window=w, instance=".+")
        got = [float(s["value"][1]) for s in res]
        if len(got) != 1 or abs(got[0] - 13) > 13 * 4 * 1.04 / math.sqrt(256):
            fail(f"fleet-wide unique destinations ({w}): {got}, not ~13")
        got = by_labels(result_of(fleet, "Sum over hosts ($window)",
                                  window=w, instance=".+"))
        expect_equal(f"sum over hosts ({w})", got, {(): 26})
    got = by_labels(result_of(fleet, "Hosts ranked by unique destinations "
                              "($window)", window="1h", instance=".+"),
                    "instance")
    expect_equal("hosts ranked", got,
                 {(replay,): 13, (capped,): 13, (live,): 0})


FIXTURE_LOG = "tests/fixtures/workload.log"


def fixture_outbound(path):
    """The distinct (address, port) of the fixture's inet/inet6 SOCKADDR
    records (connects, and binds: an upper bound) that are neither
    loopback nor unspecified, decoded from the hex sockaddr here,
    independently of the exporter."""
    import ipaddress
    out = set()
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    with open(os.path.join(root, path), encoding="utf-8",
              errors="replace") as f:
        for line in f:
            m = re.search(r"type=SOCKADDR .*saddr=([0-9A-Fa-f]+)", line)
            if not m:
                continue
            b = bytes.fromhex(m.group(1))
            fam = int.from_bytes(b[0:2], "little")
            if fam == 2 and len(b) >= 8:
                a = ipaddress.ip_address(b[4:8])
            elif fam == 10 and len(b) >= 24:
                a = ipaddress.ip_address(b[8:24])
            else:
                continue
            if not (a.is_loopback or a.is_unspecified):
                out.add((str(a), int.from_bytes(b[2:4], "big")))
    return out


# --- rules and alerts --------------------------------------------------------

def rule_names(root):
    names = []
    for path in sorted(glob.glob(os.path.join(root, "alerts", "*.yml"))):
        with open(path, encoding="utf-8") as f:
            for g in yaml.safe_load(f)["groups"]:
                names += [r.get("alert") or r.get("record")
                          for r in g["rules"]]
    return names


def loaded_rules(prom):
    return [r for g in prom.get("/api/v1/rules")["groups"] for r in g["rules"]]


def wait_ready(prom, inst, names):
    """Until every target has 3 samples and every rule was evaluated."""
    deadline = time.time() + 30
    while True:
        ok = all(prom.query(f'count_over_time(up{{instance="{i}"}}[1m]) >= 3')
                 for i in inst.values())
        rules = loaded_rules(prom)
        ok = ok and len(rules) == len(names) and all(
            not r.get("lastEvaluation", "").startswith("0001") for r in rules)
        if ok or time.time() > deadline:
            return ok
        time.sleep(0.5)


def check_rules(prom, names, inst):
    rules = loaded_rules(prom)
    got = sorted(r["name"] for r in rules)
    expect_equal("rules loaded", got, sorted(names))
    for r in rules:
        if r.get("health") != "ok" or r.get("lastError"):
            fail(f"rule {r['name']}: health {r.get('health')}, "
                 f"error {r.get('lastError')!r}")
    alerts = prom.get("/api/v1/alerts")["alerts"]
    down = sorted(a["labels"]["instance"] for a in alerts
                  if a["labels"]["alertname"] == "AuditExporterDown")
    expect_equal("AuditExporterDown pending or firing for", down,
                 [inst["dead"]])
    print(f"{len(rules)} rules loaded and evaluated; {len(alerts)} alerts "
          f"active: {sorted(a['labels']['alertname'] for a in alerts)}")


def main(argv):
    prom = Prom(argv[1])
    root = argv[2]
    inst = dict(zip(("replay", "capped", "live", "dead"), argv[3:7]))
    names = rule_names(root)
    if not wait_ready(prom, {k: v for k, v in inst.items() if k != "dead"},
                      names):
        fail("Prometheus did not scrape every target 3 times and evaluate "
             "every rule within 30 s")
    check_rules(prom, names, inst)
    dash = {os.path.basename(p): run_dashboard(prom, p) for p in
            sorted(glob.glob(os.path.join(root, "dashboards", "*.json")))}
    expect = parse_expect(os.path.join(root, "tests/fixtures/workload.expect"))
    check_semantics(dash["audit-exporter-host.json"],
                    dash["audit-exporter-fleet.json"], expect, inst)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
