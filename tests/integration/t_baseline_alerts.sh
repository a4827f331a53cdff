#!/bin/sh
# Live, as the audit daemon running as nobody: the first-seen baseline and
# its two alerts (docs/BASELINE.md, issue 22 item 2).
#
# The workload runs as uid 65534 from a copy of python3 in this test's
# directory ($ae_tmp/ae_py), so that its series are told apart from
# whatever else this host does (other processes' new items are ignored):
#   steady   listen on 127.0.0.1:P1 (tcp), connect to it three times,
#            then exec ae_true (a copy of /bin/true)
#   listen   a new listener on 127.0.0.1:P2
#   scan     connects to 60 ports of 127.0.0.1 nothing listens on
# With --baseline.learning-period=20s: the steady workload during and after
# learning is never new (no _new_total series of ours); after learning the
# new listener gives exactly audit_listen_new_total{...,port="P2"} 1 and
# the scan audit_connect_new_destinations_total 60 for ae_py; repeating
# all three gives nothing more. The two alerts are then evaluated by
# promtool on series built from these scrapes (ten minutes before, twenty
# after, each value as scraped), with the expressions of
# alerts/audit_exporter.rules.yml: both fire for the listener and the
# scan, naming ae_py and uid 65534, and neither fires for the steady
# phase nor for the repeat. A restart on the same file (its directory
# root's 0700, made writable for nobody by the exporter) keeps learning
# over and everything learnt: the three again are not new.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || ae_skip "no python3"
command -v setpriv >/dev/null || ae_skip "no setpriv"
command -v promtool >/dev/null || ae_skip "no promtool"
python3 -c 'import yaml' 2>/dev/null || ae_skip "no python3 yaml"
ae_kernel_begin

ae_workload_setup
# the interpreter itself, not a wrapper (pyenv shims are scripts)
py=$(readlink -f /usr/bin/python3 2>/dev/null)
[ -x "$py" ] || ae_skip "no /usr/bin/python3"
cp "$py" "$ae_tmp/ae_py"
state=$ae_tmp/state
mkdir -m 0700 "$state"
cat >"$ae_tmp/wl.py" <<'EOF'
import socket, sys
mode, port = sys.argv[1], int(sys.argv[2])
if mode in ("steady", "listen"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(8)
    for _ in range(3 if mode == "steady" else 0):
        c = socket.create_connection(("127.0.0.1", port))
        s.accept()[0].close()
        c.close()
    s.close()
else:  # scan: 60 ports from port on, nothing listening there
    for p in range(port, port + 60):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            c.connect(("127.0.0.1", p))
        except OSError:
            pass
        c.close()
EOF
chmod 644 "$ae_tmp/wl.py"
# consecutive free ports: the exporter's, P1, P2, and the 60 of the scan
base=$(ae_free_ports 63) || ae_skip "no 63 free ports"
port=$base p1=$((base + 1)) p2=$((base + 2)) p3=$((base + 3))
auid=$(cat /proc/self/loginuid)
ex=$ae_tmp/ae_py
marks=0

as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
run() { # mode port: the workload step, then the marker exec
	as_nobody "$ex" "$ae_tmp/wl.py" "$1" "$2" || ae_fail "workload $1 failed"
}
# ae_true's executions, counted by audit_execve_total, say that the events
# before them were handled (one reader, in order)
mark() { # scrape-file
	as_nobody "$ae_tmp/ae_true"
	marks=$((marks + 1))
	printf 'audit_execve_total{exe="%s",uid="65534"} %s\n' \
		"$ae_tmp/ae_true" "$marks" >"$ae_tmp/mark.expect"
	ae_wait_expect "$port" "$ae_tmp/mark.expect" "$1" ||
		ae_fail "the marker exec $marks was not counted"
}
ours() { # scrape: our _new_total lines (exe in $ae_tmp)
	grep -E '^audit_(listen_new|connect_new_destinations|execve_new)_total\{' "$1" |
		grep -F "exe=\"$ae_tmp/" || true
}
start() {
	ae_daemon_up "$port" --baseline.file="$state/baseline" \
		--sketch.key-file="$state/key" \
		--baseline.learning-period=20s --baseline.save-interval=2s
}
learning() { # scrape
	ae_value "$1" audit_exporter_baseline_learning
}

start
ae_scrape "$port" "$ae_tmp/s0"
[ "$(learning "$ae_tmp/s0")" = 1 ] || ae_fail "a fresh baseline is not learning"
run steady "$p1"
mark "$ae_tmp/s1"
run steady "$p1"
mark "$ae_tmp/s1"
[ "$(learning "$ae_tmp/s1")" = 1 ] ||
	ae_skip "learning ended before the steady workload ran twice (slow host)"
[ -z "$(ours "$ae_tmp/s1")" ] || ae_fail "new items while learning: $(ours "$ae_tmp/s1")"
for _ in $(seq 150); do # 20 s of learning from the first event
	ae_scrape "$port" "$ae_tmp/s2"
	[ "$(learning "$ae_tmp/s2")" = 0 ] && break
	sleep 0.2
done
[ "$(learning "$ae_tmp/s2")" = 0 ] || ae_fail "learning did not end"
end=$(ae_value "$ae_tmp/s2" audit_exporter_baseline_learning_end_timestamp_seconds)
ae_expect "$ae_tmp/s2" audit_exporter_baseline_persistent 1

# after learning: the steady workload is not new
run steady "$p1"
mark "$ae_tmp/steady"
run steady "$p1"
mark "$ae_tmp/steady"
[ -z "$(ours "$ae_tmp/steady")" ] ||
	ae_fail "the steady workload reads new: $(ours "$ae_tmp/steady")"

# a new listener and a scan
run listen "$p2"
run scan "$p3"
mark "$ae_tmp/burst"
lis="audit_listen_new_total{comm=\"ae_py\",exe=\"$ex\",uid=\"65534\",auid=\"$auid\",protocol=\"tcp\",address=\"127.0.0.1\",port=\"$p2\"}"
dst="audit_connect_new_destinations_total{comm=\"ae_py\",exe=\"$ex\",uid=\"65534\",auid=\"$auid\"}"
ae_expect "$ae_tmp/burst" "$lis" 1
ae_expect "$ae_tmp/burst" "$dst" 60
[ "$(ours "$ae_tmp/burst" | wc -l)" = 2 ] ||
	ae_fail "more new series than the listener and the scan: $(ours "$ae_tmp/burst")"

# the same three again: nothing more
run steady "$p1"
run listen "$p2"
run scan "$p3"
mark "$ae_tmp/repeat"
ae_expect "$ae_tmp/repeat" "$lis" 1
ae_expect "$ae_tmp/repeat" "$dst" 60
[ "$(ours "$ae_tmp/repeat" | wc -l)" = 2 ] || ae_fail "the repeat made new series"

# The alerts on these numbers: promtool, the rules' own expressions
python3 - "$AE_ROOT/alerts/audit_exporter.rules.yml" "$ae_tmp" "$ex" <<'EOF' ||
import re, sys, yaml
rules_file, tmp, ex = sys.argv[1:4]
names = ("AuditNewListener", "AuditNewDestinationsBurst")
rules = [r for g in yaml.safe_load(open(rules_file))["groups"]
         for r in g["rules"] if r.get("alert") in names]
assert len(rules) == 2, rules
# expressions and labels as shipped; annotations left out (their text is
# alerts_baseline.test.yml's part)
yaml.safe_dump({"groups": [{"name": "baseline", "rules": [
    {"alert": r["alert"], "expr": r["expr"], "labels": r["labels"]}
    for r in rules]}]}, open(f"{tmp}/rules.yml", "w"))
line = re.compile(r'^(audit_(?:listen_new|connect_new_destinations|execve_new)'
                  r'_total)\{(.*)\} (\S+)$')

def ours(scrape):
    out = {}
    for l in open(f"{tmp}/{scrape}"):
        m = line.match(l.strip())
        if m and f'exe="{ex}' in m.group(2):
            out[(m.group(1), m.group(2))] = m.group(3)
    return out

def group(before, after, alerts):
    """Series as scraped: before for 10 minutes, after for 20."""
    a, b = ours(before), ours(after)
    series = [{"series": 'up{job="audit_exporter", instance="live"}',
               "values": "1x30"}]
    for k in sorted(set(a) | set(b)):
        series.append({
            "series": f'{k[0]}{{job="audit_exporter", instance="live", {k[1]}}}',
            "values": f'{a.get(k, "_")}x10 {b.get(k, "_")}x20'})
    tests = []
    for name in names:
        exp = []
        for k in sorted(b):
            if alerts and (k[0] == "audit_listen_new_total") == (name == names[0]):
                labels = dict(re.findall(r'(\w+)="([^"]*)"', k[1]))
                labels.update(job="audit_exporter", instance="live",
                              severity=[r for r in rules if r["alert"] == name][0]["labels"]["severity"])
                exp.append({"exp_labels": labels})
        tests.append({"eval_time": "12m", "alertname": name, "exp_alerts": exp})
    return {"interval": "1m", "input_series": series, "alert_rule_test": tests}

t = {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": [
    group("s1", "steady", False),    # learning, then steady: quiet
    group("steady", "burst", True),  # the listener and the scan: both fire
    group("burst", "repeat", False), # the same again: quiet
]}
assert len(t["tests"][1]["alert_rule_test"][0]["exp_alerts"]) == 1
assert len(t["tests"][1]["alert_rule_test"][1]["exp_alerts"]) == 1
yaml.safe_dump(t, open(f"{tmp}/alerts.test.yml", "w"))
EOF
	ae_fail "cannot build the alert test from the scrapes"
(cd "$ae_tmp" && promtool test rules alerts.test.yml) >"$ae_tmp/promtool.out" 2>&1 || {
	cat "$ae_tmp/promtool.out" >&2
	ae_fail "the alerts on the live numbers are not as expected"
}

# a restart on the same file: learnt, and learning stays over
ae_stop_daemon "$exporter" 10
[ -f "$state/baseline" ] || ae_fail "no baseline file after the exit"
[ "$(stat -c %a "$state")" = 1770 ] || ae_fail "state directory mode $(stat -c %a "$state")"
[ "$(stat -c %U:%a "$state/key")" = root:600 ] ||
	ae_fail "the sketch key is $(stat -c %U:%a "$state/key"), not root's 0600"
[ "$(stat -c %U "$state/baseline")" = nobody ] ||
	ae_fail "the baseline is $(stat -c %U "$state/baseline")'s, not nobody's"
start
ae_scrape "$port" "$ae_tmp/r0"
ae_expect "$ae_tmp/r0" audit_exporter_baseline_learning_end_timestamp_seconds "$end"
marks=0
run steady "$p1"
run listen "$p2"
run scan "$p3"
mark "$ae_tmp/r1"
ae_expect "$ae_tmp/r1" audit_exporter_baseline_learning 0
ae_expect "$ae_tmp/r1" audit_exporter_baseline_persistent 1
[ -z "$(ours "$ae_tmp/r1")" ] || ae_fail "new after the restart: $(ours "$ae_tmp/r1")"
ae_stop_daemon "$exporter" 10
echo "baseline live: steady 0 new, listener 1 new, scan 60 new, alerts fire and stay quiet, kept across a restart"
