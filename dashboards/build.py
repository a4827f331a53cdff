#!/usr/bin/env python3
"""Builds the Grafana dashboards of audit_exporter from this one source.

  dashboards/build.py           rewrite dashboards/*.json
  dashboards/build.py --check   exit 1 if a JSON file differs from its build

The JSON files are what users import; this script is how they are made,
so that every panel follows the same conventions by construction (the
lint, tests/dashboards/lint.py, checks them on the JSON independently):
  - the data source is the template variable $datasource, on every panel
    and every query; every query selects job=~"$job", instance=~"$instance"
    (the fleet-wide recording rule, aggregated over hosts, is the one
    exception: it has neither label);
  - every rate() uses $__rate_interval; tables over "the selected range"
    use $__range;
  - a unit and a description on every panel; stable uid, pinned
    schemaVersion, not editable.

Counters that appear with their first event (a new listen, exec or watch
hit) are never counted by increase(), which needs two samples. Tables of
"events in the range" therefore use IN_RANGE below: the difference to the
value a range ago where the series existed then (and did not reset), the
whole value where it did not. That is exact (no extrapolation), and counts
a series born in the range from its first event.

Layout: panels are placed left to right in rows 24 units wide; a row
header starts each section. Grafana's JSON model: "Dashboard JSON model"
in the Grafana documentation (classic model, schemaVersion 39).
"""
import json
import os
import sys

SCHEMA_VERSION = 39
DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'job=~"$job", instance=~"$instance"'
HERE = os.path.dirname(os.path.abspath(__file__))


def sel(extra=""):
    """The label matchers of every query, plus extra ones."""
    return "{" + SEL + (", " + extra if extra else "") + "}"


def rate(metric, extra=""):
    """rate() of a counter over $__rate_interval, with the matchers."""
    return f"rate({metric}{sel(extra)}[$__rate_interval])"


def sum_rate(by, metric, extra=""):
    """The rate of a counter summed by the labels `by`."""
    return f"sum by ({by}) ({rate(metric, extra)})"


def topk(k, expr):
    return f"topk({k}, {expr})"


def in_range(metric, by, extra="", k=25):
    """Top k of the events counted by `metric` in the dashboard's range,
    summed by the labels `by` (see the module comment)."""
    s = metric + sel(extra)
    return (f"topk({k}, sum by ({by}) (\n"
            f"    ({s} - {s} offset $__range) >= 0\n"
            f"  or\n"
            f"    {s}\n"
            f"))")


def named(expr):
    """expr, whose series have a uid label, with the user label of
    audit_user_info (the users collector) joined on uid; a uid without a
    name keeps its number as user, so no series is lost. One host: a uid
    has one name there."""
    info = f"max by (uid, user) (audit_user_info{sel()})"
    return (f"(\n  ({expr})\n  * on (uid) group_left(user) {info}\n)\n"
            f"or on (uid)\n"
            f'label_replace({expr}, "user", "$1", "uid", "(.*)")')


OUTBOUND = 'protocol="tcp", scope!~"loopback|unspecified"'
FAILED = 'result=~"refused|error"'
RECENT_BY = "comm, exe, uid, auid, protocol, scope, destination, port"


def unique_outbound(by, metric="audit_connect_unique_destinations",
                    window=""):
    """Distinct outbound TCP destinations of metric by `by`: the sum over
    scope, exact because scopes partition destinations (and protocol is
    fixed). A label set with destinations but none outbound reads 0, not
    nothing: that is its answer."""
    w = f'window="{window}"' if window else ""
    out = sel(", ".join(x for x in (OUTBOUND, w) if x))
    every = sel(w)
    return (f"sum by ({by}) ({metric}{out})\n"
            f"or\nsum by ({by}) ({metric}{every}) * 0")


OUTBOUND_TCP = unique_outbound("window")


def login_named(expr):
    """expr, whose series have an auid label, with the login_user label
    joined from audit_user_info on auid (as named() does on uid)."""
    info = ('max by (auid, login_user) (label_replace(label_replace('
            f'audit_user_info{sel()}, "auid", "$1", "uid", "(.*)"), '
            '"login_user", "$1", "user", "(.*)"))')
    return (f"(\n  ({expr})\n  * on (auid) group_left(login_user) {info}\n)"
            f"\nor on (auid)\n"
            f'label_replace(({expr}), "login_user", "$1", "auid", "(.*)")')


def users_named(expr):
    """expr with both user (by uid) and login_user (by auid)."""
    return login_named(named(expr))


def per_identity(metric, by, k=15):
    """Table targets: A, the top k label sets `by` of a unique-destination
    family by outbound TCP destinations in $window; B, their destinations
    of any protocol and scope (an exact sum: protocol is hashed with the
    destination, scopes partition). Names joined on uid and auid."""
    top = f"topk({k}, {unique_outbound(by, metric, '$window')})"
    w = sel('window="$window"')
    every = f"sum by ({by}) ({metric}{w})\nand on ({by}) {top}"
    return [target(users_named(top), "", "A", table=True),
            target(users_named(every), "", "B", table=True)]


def new_ports(by):
    """Listen series whose (protocol, address, port) no listen series of
    the same host had in the day before the last day: services first
    started in the last 24 hours (a move from loopback to the any address
    is one). Value 1."""
    s = "audit_listen_total" + sel()
    key = "protocol, address, port"
    on = "instance, " + key if "instance" in by else key
    return (f"group by ({by}) ({s})\n"
            f"unless on ({on})\n"
            f"  group by ({on}) (present_over_time({s}[1d] offset 1d))")


def target(expr, legend="", ref="A", table=False, instant=None):
    if instant is None:
        instant = table
    t = {
        "datasource": DS,
        "editorMode": "code",
        "expr": expr,
        "format": "table" if table else "time_series",
        "instant": instant,
        "legendFormat": legend,
        "range": not instant,
        "refId": ref,
    }
    return t


def targets(*items, table=False, instant=None):
    """(expr, legend) pairs as targets A, B, C..."""
    return [target(e, l, chr(ord("A") + i), table, instant)
            for i, (e, l) in enumerate(items)]


def base(kind, title, desc, unit, tgts, w, h, **kw):
    p = {
        "type": kind,
        "title": title,
        "description": desc,
        "datasource": DS,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "gridPos": {"w": w, "h": h},
        "targets": tgts,
    }
    d = p["fieldConfig"]["defaults"]
    if "mappings" in kw:
        d["mappings"] = kw.pop("mappings")
    if "thresholds" in kw:
        d["thresholds"] = kw.pop("thresholds")
    if "min" in kw:
        d["min"] = kw.pop("min")
    if "overrides" in kw:
        p["fieldConfig"]["overrides"] = kw.pop("overrides")
    if "transformations" in kw:
        p["transformations"] = kw.pop("transformations")
    assert not kw, kw
    return p


def timeseries(title, desc, unit, tgts, w=12, h=8, stack=False, **kw):
    p = base("timeseries", title, desc, unit, tgts, w, h, min=0, **kw)
    p["fieldConfig"]["defaults"]["custom"] = {
        "drawStyle": "line",
        "fillOpacity": 10,
        "lineWidth": 1,
        "showPoints": "never",
        "spanNulls": False,
        "stacking": {"group": "A", "mode": "normal" if stack else "none"},
    }
    p["options"] = {
        "legend": {"calcs": ["max", "lastNotNull"], "displayMode": "table",
                   "placement": "bottom", "showLegend": True},
        "tooltip": {"mode": "multi", "sort": "desc"},
    }
    return p


def stat(title, desc, unit, tgts, w=4, h=5, text="auto", **kw):
    p = base("stat", title, desc, unit, tgts, w, h, **kw)
    p["options"] = {
        "colorMode": "value",
        "graphMode": "area",
        "justifyMode": "auto",
        "orientation": "auto",
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "",
                          "values": False},
        "textMode": text,
    }
    return p


def bargauge(title, desc, unit, tgts, w=12, h=10, **kw):
    p = base("bargauge", title, desc, unit, tgts, w, h, min=0, **kw)
    p["options"] = {
        "displayMode": "gradient",
        "orientation": "horizontal",
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "",
                          "values": False},
        "showUnfilled": True,
        "valueMode": "color",
    }
    return p


def table(title, desc, unit, tgts, columns, w=12, h=9, sort=None,
          merge=False, **kw):
    """columns: value field name -> header; labels not named in hide stay."""
    hide = {"Time": True, "__name__": True, "job": True}
    if "instance" not in columns:
        hide["instance"] = True
    trans = [{"id": "merge", "options": {}}] if merge else []
    trans.append({"id": "organize", "options": {
        "excludeByName": {**hide, **{k: True for k, v in columns.items()
                                     if v is None}},
        "renameByName": {k: v for k, v in columns.items() if v},
    }})
    p = base("table", title, desc, unit, tgts, w, h, transformations=trans,
             **kw)
    p["options"] = {"showHeader": True, "cellHeight": "sm",
                    "footer": {"show": False, "reducer": ["sum"],
                               "fields": ""}}
    if sort:
        p["options"]["sortBy"] = [{"displayName": sort, "desc": True}]
    return p


def unit_override(field, unit):
    return {"matcher": {"id": "byName", "options": field},
            "properties": [{"id": "unit", "value": unit}]}


def row(title):
    return {"type": "row", "title": title, "collapsed": False,
            "gridPos": {"w": 24, "h": 1}, "panels": []}


UPDOWN = [{"type": "value", "options": {
    "0": {"text": "down", "color": "red", "index": 0},
    "1": {"text": "up", "color": "green", "index": 1}}}]
RED_ABOVE_0 = {"mode": "absolute", "steps": [
    {"color": "green", "value": None}, {"color": "red", "value": 1e-9}]}


def layout(panels):
    """Assigns ids and grid positions: left to right, wrapping at 24."""
    x = y = line_h = 0
    for i, p in enumerate(panels, 1):
        p["id"] = i
        g = p["gridPos"]
        if p["type"] == "row" or x + g["w"] > 24:
            x, y, line_h = 0, y + line_h, 0
        g["x"], g["y"] = x, y
        x += g["w"]
        line_h = max(line_h, g["h"])
        if p["type"] == "row":
            x, y, line_h = 0, y + 1, 0
    return panels


def variables(instance_multi):
    def query_var(name, label, query, **kw):
        v = {
            "type": "query", "name": name, "label": label,
            "datasource": DS, "definition": query,
            "query": {"query": query, "qryType": 1,
                      "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "refresh": 2, "regex": "", "sort": 1, "hide": 0,
            "includeAll": False, "multi": False, "current": {},
            "options": [],
        }
        v.update(kw)
        return v

    inst = {}
    if instance_multi:
        inst = {"multi": True, "includeAll": True, "allValue": ".+",
                "current": {"selected": True, "text": ["All"],
                            "value": ["$__all"]}}
    return {"list": [
        {"type": "datasource", "name": "datasource", "label": "Data source",
         "query": "prometheus", "regex": "", "hide": 0, "refresh": 1,
         "includeAll": False, "multi": False, "current": {}, "options": []},
        query_var("job", "Job",
                  "label_values(audit_exporter_build_info, job)"),
        query_var("instance", "Instance",
                  'label_values(audit_exporter_build_info{job=~"$job"}, '
                  "instance)", **inst),
        # The windows of every host of the job: a host gets its unique
        # gauges only with its first connect, and --window is set fleet-wide.
        query_var("window", "Window",
                  'label_values(audit_connect_unique_destinations{job=~"$job"}'
                  ", window)",
                  current={"selected": True, "text": "1h", "value": "1h"}),
    ]}


def dashboard(uid, title, desc, panels, instance_multi):
    return {
        "annotations": {"list": [{
            "builtIn": 1,
            "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True, "hide": True,
            "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts", "type": "dashboard"}]},
        "description": desc,
        "editable": False,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": [{"type": "dashboards", "tags": ["audit_exporter"],
                   "asDropdown": False, "includeVars": True,
                   "keepTime": True, "title": "audit_exporter"}],
        "liveNow": False,
        "panels": layout(panels),
        "refresh": "1m",
        "schemaVersion": SCHEMA_VERSION,
        "tags": ["audit_exporter", "security"],
        "templating": variables(instance_multi),
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "timezone": "",
        "title": title,
        "uid": uid,
        "version": 1,
        "weekStart": "",
    }


# --- the host overview -------------------------------------------------------

RANGE_NOTE = ("Counted exactly over the dashboard's time range, including "
              "label sets that first appeared in it (see "
              "dashboards/build.py).")


def host_panels():
    P = []
    P.append(row("Unique outbound TCP destinations, and who connected where"))
    P.append(stat(
        "Unique outbound TCP destinations",
        "Q1: distinct (address, port) pairs this host made TCP connect() "
        "calls to in each sliding window of the exporter (--window), "
        "loopback and unspecified destinations excluded: the sum over "
        "scope (scopes partition destinations, so the sum is exact) of "
        "audit_connect_unique_destinations{protocol=\"tcp\"}. UDP "
        "connect()s (resolvers), loopback and sockets of unknown protocol "
        "are not counted. HyperLogLog: near exact for small sets, 0.81% "
        "standard error beyond.",
        "short",
        targets((OUTBOUND_TCP, "{{window}}")), w=6, h=8))
    P.append(timeseries(
        "Unique outbound TCP destinations over time",
        "The same count over time, one line per window. A window's value "
        "at a point in time covers the window before that point: compare "
        "the 1h line with the same hour on other days.",
        "short",
        targets((OUTBOUND_TCP, "{{window}}")), w=12))
    P.append(stat(
        "Who-connected-where table",
        "Entries of the exporter's recent-destination table and its bound "
        "(--collector.destinations.max), and the entries evicted in the "
        "range because it was full. When evictions are above zero the "
        "table below holds only the most recently seen tuples; the unique "
        "counts stay exact to the sketch.",
        "short",
        targets(("audit_connect_recent_entries" + sel(), "entries"),
                ("audit_connect_recent_max_entries" + sel(), "max"),
                (in_range("audit_connect_recent_evicted_total", "instance"),
                 "evicted in range")), w=6, h=8))
    q2 = table(
        "Who connected where (in range)",
        "Q2: connect() calls per process (name and executable: a process "
        "that renames itself keeps its exe), user (real uid, named by "
        "audit_user_info), login user (auid: root in alice's session shows "
        "alice), protocol, scope and destination, from the bounded "
        "audit_connect_recent_total table; filter a column (the funnel in "
        "its header) for who connected to a destination or where one "
        "executable connected. " + RANGE_NOTE,
        "short",
        targets((users_named(in_range(
            "audit_connect_recent_total", RECENT_BY, k=200)), ""),
            table=True),
        {"comm": "Process", "exe": "Executable", "uid": "UID",
         "user": "User", "auid": "Login UID", "login_user": "Login user",
         "protocol": "Protocol", "scope": "Scope",
         "destination": "Destination", "port": "Port", "Value": "Connects"},
        w=24, h=12, sort="Connects")
    # column filters: "who connected to X", "where did this exe connect"
    q2["fieldConfig"]["defaults"]["custom"] = {"filterable": True}
    P.append(q2)
    P.append(table(
        "Top users by unique outbound TCP destinations ($window)",
        "Per (uid, auid), the user's own sketch "
        "(audit_user_connect_unique_destinations): distinct outbound TCP "
        "destinations in the selected window, and distinct destinations of "
        "any protocol and scope. Not a sum of per-process counts, which "
        "counts a destination once per process that reached it.",
        "short",
        per_identity("audit_user_connect_unique_destinations", "uid, auid"),
        {"uid": "UID", "user": "User", "auid": "Login UID",
         "login_user": "Login user", "Value #A": "Outbound TCP",
         "Value #B": "All destinations"},
        sort="Outbound TCP", merge=True))
    P.append(table(
        "Top processes by unique outbound TCP destinations ($window)",
        "Per process (name, executable, uid, auid): distinct outbound TCP "
        "destinations in the selected window, and distinct destinations of "
        "any protocol and scope. \"__other__\" collects processes beyond "
        "--metrics.max-series.",
        "short",
        per_identity("audit_process_connect_unique_destinations",
                     "comm, exe, uid, auid"),
        {"comm": "Process", "exe": "Executable", "uid": "UID",
         "user": "User", "auid": "Login UID", "login_user": "Login user",
         "Value #A": "Outbound TCP", "Value #B": "All destinations"},
        sort="Outbound TCP", merge=True))
    P.append(timeseries(
        "Unique destinations by protocol and scope ($window)",
        "Every destination the exporter counts, by protocol (tcp, udp, "
        "other; unknown for sockets created before it started) and scope "
        "(loopback, private, public, ...: docs/DESTINATIONS.md), in the "
        "selected window. Their sum is what the old single gauge read.",
        "short",
        targets(("audit_connect_unique_destinations"
                 + sel('window="$window"'), "{{protocol}} {{scope}}"))))
    P.append(timeseries(
        "Connects by process",
        "connect() calls per second of the ten busiest processes (name and "
        "real uid), all families and results.",
        "cps",
        targets((named(topk(10, sum_rate("comm, uid",
                                         "audit_connect_total"))),
                 "{{comm}} ({{user}})"))))
    P.append(timeseries(
        "Connects by user",
        "connect() calls per second by real uid, named by "
        "audit_user_info where the exporter knows the name.",
        "cps",
        targets((named(sum_rate("uid", "audit_connect_total")),
                 "{{user}}"))))
    P.append(table(
        "Top processes by connects in range",
        "connect() calls per process and user. " + RANGE_NOTE,
        "short",
        targets((named(in_range("audit_connect_total", "comm, uid")), ""),
                table=True),
        {"comm": "Process", "uid": "UID", "user": "User",
         "Value": "Connects"},
        sort="Connects"))
    P.append(timeseries(
        "Connects by protocol, scope and result",
        "connect() calls per second by protocol (tcp, udp, other, "
        "unknown), scope and result (success, in_progress for non-blocking "
        "EINPROGRESS, refused, error).",
        "cps",
        targets((sum_rate("protocol, scope, result", "audit_connect_total"),
                 "{{protocol}} {{scope}} {{result}}"))))
    P.append(timeseries(
        "Connect errors",
        "Refused (ECONNREFUSED) and otherwise failed connect() calls per "
        "second by process, user, family and result. Many refusals from "
        "many destinations is the pattern of a scan.",
        "cps",
        targets((named(sum_rate("comm, uid, family, result",
                                "audit_connect_total", FAILED)),
                 "{{comm}} ({{user}}) {{family}} {{result}}"))))
    P.append(table(
        "Connect errors in range",
        "Refused and otherwise failed connect() calls per process, user, "
        "family and result. " + RANGE_NOTE,
        "short",
        targets((named(in_range("audit_connect_total",
                                "comm, uid, family, result", FAILED)), ""),
                table=True),
        {"comm": "Process", "uid": "UID", "user": "User", "family": "Family",
         "result": "Result", "Value": "Errors"}, sort="Errors"))

    P.append(row("Listening ports"))
    P.append(stat(
        "New listening ports (24h)",
        "Protocols, addresses and ports listened on in the last 24 hours on "
        "which no process of this host listened in the 24 hours before.",
        "short",
        targets(("count(" + new_ports("protocol, address, port")
                 + ") or vector(0)", "")),
        w=4, h=9, thresholds=RED_ABOVE_0))
    P.append(table(
        "Listening ports",
        "TCP listen() and UDP bind() calls per protocol, address, port, "
        "family, process and real uid, for every label set seen in the time "
        "range (the count is since the exporter started). Address 0.0.0.0 "
        "or :: is reachable on every interface (exposed), 127.0.0.1 or ::1 "
        "from this host only. Services first started in the last 24 hours "
        "are marked NEW. \"unknown\": neither the socket's bind() nor the "
        "kernel could tell.",
        "short",
        [target("sum by (protocol, address, port, family, comm, uid) ("
                "max_over_time(audit_listen_total" + sel() + "[$__range]))",
                "", "A", table=True),
         target(new_ports("protocol, address, port, family, comm, uid"), "",
                "B", table=True)],
        {"protocol": "Protocol", "address": "Address", "port": "Port",
         "family": "Family", "comm": "Process", "uid": "UID",
         "Value #A": "Calls", "Value #B": "New"},
        w=20, h=9, sort="New", merge=True,
        overrides=[{"matcher": {"id": "byName", "options": "New"},
                    "properties": [
                        {"id": "mappings", "value": [{"type": "value",
                         "options": {"1": {"text": "NEW", "color": "red",
                                           "index": 0}}}]},
                        {"id": "custom.cellOptions",
                         "value": {"type": "color-background"}}]}]))

    P.append(row("New on this host"))
    P.append(table(
        "New on this host in range (first-seen baseline)",
        "What the exporter's own baseline of this host had not seen "
        "(docs/BASELINE.md): listeners (program, protocol, bind address, "
        "port), destinations a program never reached, programs a uid never "
        "ran. Counted once each, after --baseline.learning-period; needs "
        "no Prometheus history (alerts AuditNewListener and "
        "AuditNewDestinationsBurst). " + RANGE_NOTE,
        "short",
        targets((named(in_range("audit_listen_new_total",
                                "comm, exe, uid, auid, protocol, address, "
                                "port")), ""),
                (named(in_range("audit_connect_new_destinations_total",
                                "comm, exe, uid, auid")), ""),
                (named(in_range("audit_execve_new_total", "exe, uid, auid")),
                 ""), table=True),
        {"comm": "Process", "exe": "Program", "uid": "UID", "user": "User",
         "auid": "Login UID", "protocol": "Protocol", "address": "Address",
         "port": "Port", "Value #A": "New listener",
         "Value #B": "New destinations", "Value #C": "New program"},
        w=24, merge=True, sort="New destinations"))

    P.append(row("Executions"))
    P.append(table(
        "Executions by program and user in range",
        "Successful execve()/execveat() calls per program executed and "
        "real uid. " + RANGE_NOTE,
        "short",
        targets((named(in_range("audit_execve_total", "exe, uid")), ""),
                table=True),
        {"exe": "Program", "uid": "UID", "user": "User",
         "Value": "Executions"},
        w=24, sort="Executions"))
    P.append(timeseries(
        "Executions by program",
        "Successful executions per second of the ten most executed "
        "programs.",
        "cps",
        targets((topk(10, sum_rate("exe", "audit_execve_total")),
                 "{{exe}}"))))
    P.append(timeseries(
        "Executions by user",
        "Successful executions per second by real uid, named by "
        "audit_user_info where the exporter knows the name.",
        "cps",
        targets((named(sum_rate("uid", "audit_execve_total")),
                 "{{user}}"))))

    P.append(row("Watched files"))
    P.append(table(
        "Watched-file hits in range",
        "Events of file-watch rules (-w PATH -k KEY) per rule key, process, "
        "real uid, file, system call and result (success, denied: the "
        "kernel refused it, failed). " + RANGE_NOTE,
        "short",
        targets((in_range("audit_watch_hits_total",
                          "key, comm, uid, path, syscall, result"), ""),
                table=True),
        {"key": "Key", "comm": "Process", "uid": "UID", "path": "File",
         "syscall": "Call", "result": "Result", "Value": "Hits"},
        sort="Hits"))
    P.append(timeseries(
        "Watched-file hits by key and result",
        "Events of file-watch rules per second, by rule key and result "
        "(success, denied, failed).",
        "cps",
        targets((sum_rate("key, result", "audit_watch_hits_total"),
                 "{{key}} {{result}}"))))

    P.append(row("Exporter and kernel health"))
    P.append(stat(
        "Exporter up",
        "Whether Prometheus could scrape the exporter (up).",
        "none", targets(("up" + sel(), "{{instance}}")), mappings=UPDOWN))
    P.append(stat(
        "Audit source up",
        "Whether the exporter's audit source is open and reading (0 when a "
        "replayed file or stdin has ended, or the source failed).",
        "none",
        targets(("audit_exporter_source_up" + sel(), "{{source}}")),
        mappings=UPDOWN))
    P.append(stat(
        "Kernel audit",
        "Kernel audit state: disabled, enabled, or locked (enabled until "
        "reboot). Reported by the live sources (unicast, multicast).",
        "none",
        targets(("audit_kernel_enabled" + sel(), "")),
        mappings=[{"type": "value", "options": {
            "0": {"text": "disabled", "color": "red", "index": 0},
            "1": {"text": "enabled", "color": "green", "index": 1},
            "2": {"text": "locked", "color": "blue", "index": 2}}}]))
    P.append(stat(
        "Newest event age",
        "Time since the newest audit event's own timestamp. Grows on a quiet "
        "host, and on a finished replay.",
        "s",
        targets(("time() - audit_exporter_last_event_timestamp_seconds"
                 + sel(), ""))))
    P.append(stat(
        "Failing collectors",
        "Collectors whose last scrape failed "
        "(audit_exporter_scrape_collector_success == 0).",
        "short",
        targets(("count(audit_exporter_scrape_collector_success" + sel()
                 + " == 0) or vector(0)", "")), thresholds=RED_ABOVE_0))
    P.append(stat(
        "Version",
        "Exporter version and revision (audit_exporter_build_info).",
        "none",
        targets(("audit_exporter_build_info" + sel(),
                 "{{version}} {{revision}}")), text="name"))
    P.append(timeseries(
        "Events lost",
        "Audit events lost per second: dropped by the kernel (backlog full, "
        "rate limit), serial numbers that never arrived, audit socket "
        "overruns, and events flushed incomplete. Should be zero.",
        "cps",
        targets((rate("audit_kernel_lost_total"), "kernel lost"),
                (rate("audit_exporter_serial_gaps_total"), "serial gaps"),
                (rate("audit_exporter_socket_overruns_total"),
                 "socket overruns"),
                (sum_rate("reason", "audit_exporter_events_incomplete_total"),
                 "incomplete ({{reason}})"))))
    P.append(timeseries(
        "Kernel backlog",
        "Audit records queued in the kernel for the audit daemon, and the "
        "limit beyond which the kernel drops records or makes processes "
        "wait.",
        "short",
        targets(("audit_kernel_backlog" + sel(), "backlog"),
                ("audit_kernel_backlog_limit" + sel(), "limit"))))
    P.append(timeseries(
        "Backlog waits",
        "Seconds per second that audited processes spent waiting because "
        "the kernel's audit backlog was full.",
        "s",
        targets((rate("audit_kernel_backlog_wait_seconds_total"), "waited"))))
    P.append(timeseries(
        "Events and records",
        "Audit events assembled per second, and records per second by type.",
        "cps",
        targets((rate("audit_exporter_events_total"), "events"),
                (sum_rate("type", "audit_records_total"),
                 "{{type}} records"))))
    P.append(timeseries(
        "Parse errors and skipped records",
        "Records per second that could not be parsed, or were skipped, by "
        "reason. Input is never fatal: it is counted here.",
        "cps",
        targets((sum_rate("reason", "audit_exporter_parse_errors_total"),
                 "parse error: {{reason}}"),
                (sum_rate("reason", "audit_exporter_skipped_total"),
                 "skipped: {{reason}}"))))
    P.append(timeseries(
        "Series per metric",
        "Label sets per metric family; per-process families stop growing "
        "at --metrics.max-series.",
        "short",
        targets(("audit_exporter_series" + sel(), "{{metric}}"))))
    P.append(table(
        "Metrics at their series cap",
        "Metrics that reached --metrics.max-series label sets: updates for "
        "new label sets go to \"__other__\" (sums stay right, per-process "
        "detail is lost). Empty when no metric is capped.",
        "short",
        targets(("audit_exporter_series_folded_total" + sel() + " > 0", ""),
                table=True),
        {"metric": "Metric", "Value": "Updates folded"},
        sort="Updates folded"))
    P.append(timeseries(
        "Folded updates",
        "Updates per second that went to the \"__other__\" label set "
        "because their metric was at its series cap.",
        "cps",
        targets((sum_rate("metric", "audit_exporter_series_folded_total"),
                 "{{metric}}"))))
    P.append(timeseries(
        "Collector scrape duration",
        "Time each collector took in the last scrape.",
        "s",
        targets(("audit_exporter_scrape_collector_duration_seconds" + sel(),
                 "{{collector}}")), w=8))
    P.append(timeseries(
        "Exporter CPU",
        "CPU time the exporter used per second (1 = one full CPU).",
        "percentunit",
        targets((rate("process_cpu_seconds_total"), "cpu")), w=8))
    P.append(timeseries(
        "Exporter memory and file descriptors",
        "Resident memory of the exporter (left axis) and its open file "
        "descriptors (right axis).",
        "bytes",
        targets(("process_resident_memory_bytes" + sel(), "resident"),
                ("process_open_fds" + sel(), "open fds")), w=8,
        overrides=[{"matcher": {"id": "byName", "options": "open fds"},
                    "properties": [
                        {"id": "unit", "value": "short"},
                        {"id": "custom.axisPlacement", "value": "right"}]}]))
    return P


# --- the fleet view ----------------------------------------------------------

def fleet_panels():
    P = []
    P.append(row("Unique outbound destinations"))
    P.append(stat(
        "Fleet-wide unique destinations ($window)",
        "Distinct (address, port) destinations of all hosts together, from "
        "the recording rule fleet:audit_connect_unique_destinations:estimate "
        "(alerts/fleet.rules.yml): the union of the hosts' HyperLogLog "
        "registers, 6.5% standard error. Needs --sketch.export-registers "
        "and one shared --sketch.key-file on every host; covers every host "
        "Prometheus scrapes, whatever the job and instance selected.",
        "short",
        targets(('fleet:audit_connect_unique_destinations:estimate'
                 '{window="$window"}', "")), w=6, h=6))
    P.append(stat(
        "Sum over hosts ($window)",
        "The hosts' unique destination counts added up: an upper bound of "
        "the fleet-wide count. The gap between the two is the destinations "
        "hosts share.",
        "short",
        targets(("sum(audit_connect_unique_destinations"
                 + sel('window="$window"') + ")", "")), w=6, h=6))
    P.append(stat(
        "Exporters up",
        "Exporters Prometheus scraped successfully, out of all targets.",
        "short",
        targets(("sum(up" + sel() + ")", "up"),
                ("count(up" + sel() + ")", "targets")), w=6, h=6))
    P.append(stat(
        "Hosts with new listening ports (24h)",
        "Hosts with a port listened on in the last 24 hours on which no "
        "process of the host listened in the 24 hours before.",
        "short",
        targets(("count(count by (instance) ("
                 + new_ports("instance, protocol, address, port")
                 + ")) or vector(0)", "")),
        w=6, h=6, thresholds=RED_ABOVE_0))
    P.append(timeseries(
        "Fleet-wide unique destinations",
        "The fleet-wide estimate over time, one line per window (recording "
        "rule fleet:audit_connect_unique_destinations:estimate).",
        "short",
        targets(("fleet:audit_connect_unique_destinations:estimate",
                 "{{window}}")), w=24))
    P.append(bargauge(
        "Hosts ranked by unique destinations ($window)",
        "The hosts that connected to the most distinct (address, port) "
        "destinations in the selected window, now: every protocol and "
        "scope, loopback included (their sum is exact: scopes partition "
        "destinations and the protocol is hashed with each); 0 for a host "
        "that has made no inet connect yet.",
        "short",
        targets(("topk(25, sum by (instance) (audit_connect_unique_"
                 "destinations" + sel('window="$window"') + ")\n"
                 "or sum by (instance) (audit_exporter_build_info" + sel()
                 + ") * 0)", "{{instance}}"), instant=True)))
    P.append(timeseries(
        "Unique destinations per host ($window)",
        "Distinct destinations per host in the selected window, over time.",
        "short",
        targets(("sum by (instance) (audit_connect_unique_destinations"
                 + sel('window="$window"') + ")", "{{instance}}")), h=10))
    P.append(table(
        "Top processes in the fleet by unique destinations ($window)",
        "Processes (host, name, real uid) that connected to the most "
        "distinct destinations in the selected window, now.",
        "short",
        targets(("topk(25, audit_process_connect_unique_destinations"
                 + sel('window="$window"') + ")", ""), table=True),
        {"instance": "Host", "window": None, "comm": "Process",
         "exe": "Executable", "uid": "UID", "auid": "Login UID",
         "protocol": "Protocol", "scope": "Scope",
         "Value": "Unique destinations"},
        w=24, sort="Unique destinations"))

    P.append(row("Activity"))
    P.append(bargauge(
        "Hosts ranked by connects",
        "connect() calls per second per host.",
        "cps",
        targets((topk(25, sum_rate("instance", "audit_connect_total")),
                 "{{instance}}"),
                instant=True), w=8))
    P.append(bargauge(
        "Hosts ranked by connect errors",
        "Refused and otherwise failed connect() calls per second per host: "
        "scanning shows here.",
        "cps",
        targets((topk(25, sum_rate("instance", "audit_connect_total",
                                   FAILED)),
                 "{{instance}}"), instant=True), w=8))
    P.append(bargauge(
        "Hosts ranked by executions",
        "Successful execve()/execveat() calls per second per host.",
        "cps",
        targets((topk(25, sum_rate("instance", "audit_execve_total")),
                 "{{instance}}"),
                instant=True), w=8))
    P.append(table(
        "New listening ports by host (24h)",
        "Listen label sets whose port no process of the same host listened "
        "on in the 24 hours before the last 24 hours.",
        "short",
        targets((new_ports("instance, protocol, address, port, family, "
                           "comm, uid"), ""), table=True),
        {"instance": "Host", "protocol": "Protocol", "address": "Address",
         "port": "Port", "family": "Family", "comm": "Process", "uid": "UID",
         "Value": None}))
    P.append(table(
        "Watched-file hits by host in range",
        "Events of file-watch rules per host, rule key, process, real uid, "
        "file, system call and result. " + RANGE_NOTE,
        "short",
        targets((in_range("audit_watch_hits_total",
                          "instance, key, comm, uid, path, syscall, result"),
                 ""), table=True),
        {"instance": "Host", "key": "Key", "comm": "Process", "uid": "UID",
         "path": "File", "syscall": "Call", "result": "Result",
         "Value": "Hits"}, sort="Hits"))

    P.append(row("Health"))
    health = [
        ("max by (instance) (up" + sel() + ")", "Up", "none"),
        ("max by (instance) (audit_kernel_enabled" + sel() + ")",
         "Audit enabled", "none"),
        (sum_rate("instance", "audit_kernel_lost_total"), "Kernel lost/s",
         "cps"),
        ("sum by (instance) (" + rate("audit_exporter_serial_gaps_total")
         + " + " + rate("audit_exporter_socket_overruns_total") + ")",
         "Serial gaps + overruns/s", "cps"),
        ("max by (instance) (audit_kernel_backlog" + sel()
         + " / (audit_kernel_backlog_limit" + sel() + " > 0))",
         "Backlog used", "percentunit"),
        (sum_rate("instance", "audit_exporter_parse_errors_total"),
         "Parse errors/s", "cps"),
        ("sum by (instance) (audit_exporter_series_folded_total" + sel() + ")",
         "Updates folded", "short"),
        ("max by (instance) (time() - audit_exporter_last_event_timestamp_"
         "seconds" + sel() + ")", "Newest event age", "s"),
    ]
    cols = {"instance": "Host"}
    cols.update({f"Value #{chr(ord('A') + i)}": h[1]
                 for i, h in enumerate(health)})
    P.append(table(
        "Exporter health by host",
        "Per host: scraped, kernel audit enabled (live sources only), "
        "events lost per second (kernel drops; serial gaps and socket "
        "overruns), kernel backlog used, parse errors per second, updates "
        "folded at the series cap since start, age of the newest event.",
        "short",
        [target(e, "", chr(ord("A") + i), table=True)
         for i, (e, _, _) in enumerate(health)],
        cols, w=24, h=10, merge=True,
        overrides=[unit_override(h, u) for _, h, u in health]))
    return P


DASHBOARDS = {
    "audit-exporter-host.json": lambda: dashboard(
        "audit-exporter-host", "audit_exporter / Host",
        "One host: unique outbound destinations and who made them, "
        "listening ports, executions, watched files, exporter and kernel "
        "audit health.", host_panels(), False),
    "audit-exporter-fleet.json": lambda: dashboard(
        "audit-exporter-fleet", "audit_exporter / Fleet",
        "All hosts: fleet-wide unique outbound destinations, hosts ranked "
        "by destinations, connects and executions, new listening ports, "
        "health.", fleet_panels(), True),
}


def render(make):
    return json.dumps(make(), indent=2, ensure_ascii=False) + "\n"


def main(argv):
    check = argv[1:] == ["--check"]
    bad = 0
    for name, make in DASHBOARDS.items():
        path = os.path.join(HERE, name)
        text = render(make)
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    same = f.read() == text
            except FileNotFoundError:
                same = False
            if not same:
                print(f"{path} differs from dashboards/build.py's output; "
                      "run dashboards/build.py", file=sys.stderr)
                bad = 1
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv))
