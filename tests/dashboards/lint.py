#!/usr/bin/env python3
"""Lint of the Grafana dashboards in dashboards/*.json.

  lint.py FILE...         exit 0 if every file follows the conventions,
                          1 with one line per violation on stderr
  lint.py --self-test FILE...
                          break each convention in turn on a copy of the
                          first file and check the lint reports it

Conventions (the dashboards' contract with users and with
tests/integration/t_prometheus_e2e.sh):
  - dashboard: a stable uid (8-40 of [A-Za-z0-9_-], unique across files),
    schemaVersion pinned to SCHEMA_VERSION, editable false, id null, a
    title, tags;
  - variables: `datasource` (type datasource, Prometheus), `job` and
    `instance` (query variables on $datasource; instance filtered by $job);
    every query variable reads $datasource;
  - panels: only current types (timeseries, table, stat, bargauge, row);
    every panel but rows has a description, a unit
    (fieldConfig.defaults.unit), the datasource ${datasource}, and targets
    that each use ${datasource} too; unique ids and refIds;
  - queries: every vector selector carries job=~"$job" and
    instance=~"$instance" (but recording rules named fleet:*, which are
    aggregated over all hosts and have neither label); every rate-like
    function (rate, irate, increase, delta, idelta, deriv) ranges over
    [$__rate_interval]; only variables the dashboard defines, or
    $__rate_interval and $__range, appear;
  - distinct counts are never added up over whom they count: a sum (or
    avg) of a unique-destinations family keeps that family's identity
    labels in its `by` (per process: comm, exe, uid, auid; per user: uid,
    auid), since a destination two processes or users share would count
    twice (the host dashboard once summed processes by uid: 13 where the
    truth was 10, issue 21). Summing over protocol and scope is exact.
"""
import copy
import json
import re
import sys

SCHEMA_VERSION = 39
DS = {"type": "prometheus", "uid": "${datasource}"}
PANEL_TYPES = {"timeseries", "table", "stat", "bargauge", "row"}
RATE_FUNCS = {"rate", "irate", "increase", "delta", "idelta", "deriv"}
BUILTIN_VARS = {"__rate_interval", "__range"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right",
            "offset", "bool", "and", "or", "unless", "atan2", "inf", "nan"}
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar",
                "count", "count_values", "bottomk", "topk", "quantile"}
LABEL_LISTS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
UID_RE = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
# unique-destination families and the labels that say whose count it is
DISTINCT_IDENTITY = {
    "audit_process_connect_unique_destinations": {"comm", "exe", "uid",
                                                  "auid"},
    "audit_user_connect_unique_destinations": {"uid", "auid"},
}

TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<var>\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)
  | (?P<num>[0-9][0-9A-Za-z.]*)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|!=|==|>=|<=|[-+*/%^<>=,(){}\[\]@:])
""", re.X)


def tokens(expr):
    """PromQL tokens as (kind, text); raises ValueError on a stray char."""
    out, pos = [], 0
    while pos < len(expr):
        m = TOKEN_RE.match(expr, pos)
        if not m:
            raise ValueError(f"cannot tokenize at {expr[pos:pos + 20]!r}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    return out


def unquote(s):
    return s[1:-1].replace('\\"', '"').replace("\\\\", "\\")


def selectors(toks):
    """Yields (metric name or None, [(label, op, value)]) per selector."""
    i, n = 0, len(toks)
    while i < n:
        kind, text = toks[i]
        nxt = toks[i + 1][1] if i + 1 < n else None
        if text == "[":  # range or subquery: durations only
            while i < n and toks[i][1] != "]":
                i += 1
        elif kind == "ident" and text in LABEL_LISTS and nxt == "(":
            while i < n and toks[i][1] != ")":
                i += 1
        elif kind == "ident" and (text in KEYWORDS or text in AGGREGATIONS
                                  or nxt == "("):
            pass
        elif kind == "ident" or text == "{":
            name = text if kind == "ident" else None
            matchers = []
            j = i + 1 if kind == "ident" else i
            if j < n and toks[j][1] == "{":
                j += 1
                while j < n and toks[j][1] != "}":
                    if toks[j][1] == ",":
                        j += 1
                        continue
                    if j + 2 >= n or toks[j + 2][0] != "str":
                        raise ValueError("malformed label matcher")
                    matchers.append((toks[j][1], toks[j + 1][1],
                                     unquote(toks[j + 2][1])))
                    j += 3
                i = j
            yield name, matchers
        i += 1


def rate_ranges(expr):
    """Yields (function, [range texts]) for every rate-like call."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    for m in re.finditer(r"\b(" + "|".join(sorted(RATE_FUNCS)) + r")\s*\(",
                         bare):
        depth, j = 1, m.end()
        while j < len(bare) and depth:
            depth += {"(": 1, ")": -1}.get(bare[j], 0)
            j += 1
        yield m.group(1), re.findall(r"\[([^\]]*)\]", bare[m.end():j])


def summed_distinct(toks):
    """Yields (family, by-labels or None for `without`/no clause,
    without-labels) for every sum/avg whose argument selects a
    unique-destination family of DISTINCT_IDENTITY."""
    n = len(toks)

    def labels_at(j):  # "(a, b)" at j -> (set, index after it)
        out = set()
        j += 1
        while j < n and toks[j][1] != ")":
            if toks[j][0] == "ident":
                out.add(toks[j][1])
            j += 1
        return out, j + 1

    def arg_at(j):  # balanced "( ... )" at j -> (tokens, index after)
        depth, k = 0, j
        while k < n:
            depth += {"(": 1, ")": -1}.get(toks[k][1], 0)
            k += 1
            if depth == 0:
                break
        return toks[j:k], k

    for i, (kind, text) in enumerate(toks):
        if kind != "ident" or text not in ("sum", "avg"):
            continue
        j, by, without = i + 1, None, set()
        if j < n and toks[j][1] in ("by", "without"):
            which = toks[j][1]
            lab, j = labels_at(j + 1)
            by, without = (lab, set()) if which == "by" else (None, lab)
        if j >= n or toks[j][1] != "(":
            continue
        arg, j = arg_at(j)
        if j < n and toks[j][1] in ("by", "without"):
            which = toks[j][1]
            lab, _ = labels_at(j + 1)
            by, without = (lab, set()) if which == "by" else (None, lab)
        for ak, at in arg:
            if ak == "ident" and at in DISTINCT_IDENTITY:
                yield at, by, without


def check_expr(expr, defined, where, err):
    try:
        toks = tokens(expr)
        sels = list(selectors(toks))
    except ValueError as e:
        err(f"{where}: {e}")
        return
    if not sels:
        err(f"{where}: no series selector")
    for name, matchers in sels:
        if name and name.startswith("fleet:"):
            continue
        for label in ("job", "instance"):
            if (label, "=~", "$" + label) not in matchers:
                err(f"{where}: selector {name or '{...}'} lacks "
                    f'{label}=~"${label}"')
    for fam, by, without in summed_distinct(toks):
        ident = DISTINCT_IDENTITY[fam]
        lost = sorted(ident & without if by is None and without
                      else ident - (by or set()))
        if lost:
            err(f"{where}: sums {fam} over {', '.join(lost)}: distinct "
                "counts do not add up")
    for func, ranges in rate_ranges(expr):
        if not ranges:
            err(f"{where}: {func}() without a range")
        for r in ranges:
            if r.strip() != "$__rate_interval":
                err(f"{where}: {func}() over [{r}], not [$__rate_interval]")
    for kind, text in toks:
        if kind == "var":
            v = text.strip("${}")
            if v not in defined and v not in BUILTIN_VARS:
                err(f"{where}: unknown variable {text}")
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"', expr):
        for v in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", m.group()):
            if v not in defined and v not in BUILTIN_VARS:
                err(f"{where}: unknown variable ${v}")


def all_panels(panels):
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))


def check_variables(d, name, err):
    vars_ = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
    ds = vars_.get("datasource")
    if not ds or ds.get("type") != "datasource" or \
            ds.get("query") != "prometheus":
        err(f"{name}: no variable `datasource` of type datasource "
            "(prometheus)")
    for v in ("job", "instance"):
        if v not in vars_ or vars_[v].get("type") != "query":
            err(f"{name}: no query variable `{v}`")
    for v in vars_.values():
        if v.get("type") == "query" and v.get("datasource") != DS:
            err(f"{name}: variable {v.get('name')} does not use "
                "${datasource}")
    inst = vars_.get("instance", {})
    if "$job" not in json.dumps(inst.get("query", "")):
        err(f"{name}: variable instance is not filtered by $job")
    return set(vars_)


def check_panel(p, defined, name, err):
    where = f"{name}: panel {p.get('id')} {p.get('title')!r}"
    if p.get("type") not in PANEL_TYPES:
        err(f"{where}: type {p.get('type')!r} not in {sorted(PANEL_TYPES)}")
    g = p.get("gridPos", {})
    if not all(isinstance(g.get(k), int) for k in "whxy") or \
            g.get("x", 0) + g.get("w", 0) > 24:
        err(f"{where}: bad gridPos {g}")
    if p.get("type") == "row":
        return
    if not p.get("description"):
        err(f"{where}: no description")
    if not p.get("fieldConfig", {}).get("defaults", {}).get("unit"):
        err(f"{where}: no unit (fieldConfig.defaults.unit)")
    if p.get("datasource") != DS:
        err(f"{where}: datasource is not ${{datasource}}")
    tgts = p.get("targets") or []
    if not tgts:
        err(f"{where}: no query")
    refs = [t.get("refId") for t in tgts]
    if len(set(refs)) != len(refs) or None in refs:
        err(f"{where}: refIds missing or not unique")
    for t in tgts:
        tw = f"{where} query {t.get('refId')}"
        if t.get("datasource") != DS:
            err(f"{tw}: datasource is not ${{datasource}}")
        if not t.get("expr"):
            err(f"{tw}: no expr")
            continue
        check_expr(t["expr"], defined, tw, err)


def lint(d, name, err, uids):
    uid = d.get("uid")
    if not isinstance(uid, str) or not UID_RE.match(uid):
        err(f"{name}: uid {uid!r} is not a stable 8-40 character uid")
    elif uid in uids:
        err(f"{name}: uid {uid} also used by {uids[uid]}")
    else:
        uids[uid] = name
    if d.get("schemaVersion") != SCHEMA_VERSION:
        err(f"{name}: schemaVersion {d.get('schemaVersion')} is not "
            f"{SCHEMA_VERSION}")
    if d.get("editable") is not False:
        err(f"{name}: editable is not false")
    if d.get("id") is not None:
        err(f"{name}: id is not null")
    if not d.get("title") or not d.get("tags"):
        err(f"{name}: no title or no tags")
    defined = check_variables(d, name, err)
    panels = list(all_panels(d.get("panels", [])))
    if not panels:
        err(f"{name}: no panels")
    ids = [p.get("id") for p in panels]
    if len(set(ids)) != len(ids):
        err(f"{name}: panel ids are not unique")
    for p in panels:
        check_panel(p, defined, name, err)


def lint_files(paths):
    errors, uids = [], {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        lint(d, path, errors.append, uids)
    return errors


# --- self-test: every convention, broken once, must be reported -------------

def first_query_panel(d):
    return next(p for p in all_panels(d["panels"]) if p["type"] != "row")


def mutations():
    def m(fn):
        def apply(d):
            fn(d, first_query_panel(d))
        return apply

    def set_expr(expr):
        def fn(d, p):
            p["targets"][0]["expr"] = expr
        return m(fn)
    return {
        "uid": m(lambda d, p: d.update(uid="x")),
        "schemaVersion": m(lambda d, p: d.update(schemaVersion=27)),
        "editable": m(lambda d, p: d.update(editable=True)),
        "description": m(lambda d, p: p.pop("description")),
        "unit": m(lambda d, p: p["fieldConfig"]["defaults"].pop("unit")),
        "panel datasource": m(lambda d, p: p.update(datasource=None)),
        "target datasource": m(
            lambda d, p: p["targets"][0].update(datasource={"uid": "prom"})),
        "panel type": m(lambda d, p: p.update(type="graph")),
        "datasource variable": m(lambda d, p: d["templating"].update(
            list=[v for v in d["templating"]["list"]
                  if v["name"] != "datasource"])),
        "no instance": set_expr('up{job=~"$job"}'),
        "no job on one side": set_expr(
            'up{job=~"$job", instance=~"$instance"}'
            ' / up{instance=~"$instance"}'),
        "bare selector": set_expr(
            'up{job=~"$job", instance=~"$instance"} or process_open_fds'),
        "rate interval": set_expr(
            'rate(up{job=~"$job", instance=~"$instance"}[5m])'),
        "unknown variable": set_expr(
            'up{job=~"$job", instance=~"$instance", x="$nope"}'),
        "distinct counts summed": set_expr(
            'sum by (uid) (audit_process_connect_unique_destinations'
            '{job=~"$job", instance=~"$instance"})'),
        "distinct counts summed, by after": set_expr(
            'sum(audit_user_connect_unique_destinations'
            '{job=~"$job", instance=~"$instance"}) by (uid)'),
    }


def self_test(path):
    with open(path, encoding="utf-8") as f:
        good = json.load(f)
    errors = []
    lint(copy.deepcopy(good), path, errors.append, {})
    if errors:
        print(f"FAIL: {path} is not clean to start with", file=sys.stderr)
        return 1
    bad = 0
    for what, mutate in mutations().items():
        d = copy.deepcopy(good)
        mutate(d)
        errors = []
        lint(d, path, errors.append, {})
        if not errors:
            print(f"FAIL: self-test: breaking `{what}` was not reported",
                  file=sys.stderr)
            bad = 1
    print(f"self-test: {len(mutations())} broken conventions, "
          f"{'some missed' if bad else 'all reported'}")
    return bad


def main(argv):
    if argv[1:2] == ["--self-test"]:
        return self_test(argv[2])
    paths = argv[1:]
    if not paths:
        print("usage: lint.py [--self-test] FILE...", file=sys.stderr)
        return 2
    errors = lint_files(paths)
    for e in errors:
        print("FAIL: " + e, file=sys.stderr)
    if not errors:
        n = 0
        for path in paths:
            with open(path, encoding="utf-8") as f:
                n += sum(len(p.get("targets", []))
                         for p in all_panels(json.load(f)["panels"]))
        print(f"{len(paths)} dashboards, {n} queries: conventions hold")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
