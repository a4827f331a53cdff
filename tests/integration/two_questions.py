#!/usr/bin/env python3
"""The workload of issue 21 with its ground truth, and the check of an
exposition against it (tests/integration/t_two_questions.sh runs both).

  two_questions.py run CONFIG TRUTH     run the workload, write the truth
  two_questions.py check CONFIG TRUTH SCRAPE [DASHBOARD]
                                        compare; exit 0, or 1 with the
                                        mismatches on stderr
  two_questions.py serve LOG HOST:PORT/PROTO...  listeners (the test
                                        starts them; LOG: accepted peers)
  two_questions.py client KIND ARGS...  one client (run by `run`)

CONFIG is JSON from the shell test: the users (uid of alice and bob), the
addresses and ports, the network namespace that holds the "private"
destinations, the recent table's bound.

The ground truth is what the clients did, each written by the client
itself, never read from the exporter: one JSON line per connect() with
the process identity (comm as set with prctl, exe as /proc/self/exe
reads it, uid, auid as /proc/self/loginuid reads it), the destination,
the protocol of the socket it created, the result connect() returned
(errno), and for a non-blocking connect how it ended (SO_ERROR once
poll() says so; the socket is then held open for the exporter to look
at). Scope is classified here from the address with Python's ipaddress,
independently of netlink/scope.c. curl and ncat cannot report their own
connect(): both are run against our listeners, which record that the
connection was accepted, and connect non-blocking (curl always, ncat
through nsock); a run where a listener did not see them fails.

Unique counts are the sizes of the truth's sets, compared with the
exporter's sketch estimates within 4 standard errors (HyperLogLog,
0.81%; at least 1).
"""
import ctypes
import errno
import ipaddress
import json
import math
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import threading
import time

PR_SET_NAME = 15
SKETCH_SE = 0.0081
# How long a client holds a socket whose outcome or namespace the
# exporter looks up (sock_diag, /proc/PID): the exporter must have read
# the connect's record by then, which on a loaded machine can take a
# while; not a timing assertion, the margin of one.
HOLD_S = 3


def set_comm(name):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_NAME, name.encode(), 0, 0, 0)


def identity():
    with open("/proc/self/comm") as f:
        comm = f.read().rstrip("\n")
    with open("/proc/self/loginuid") as f:
        auid = int(f.read())
    return {"comm": comm, "exe": os.readlink("/proc/self/exe"),
            "uid": os.getuid(), "auid": auid,
            "netns": os.readlink("/proc/self/ns/net")}


def scope_of(addr):
    a = ipaddress.ip_address(addr)
    if a.is_loopback:
        return "loopback"
    if a in ipaddress.ip_network("10.0.0.0/8"):
        return "private"
    raise ValueError(f"workload address {addr} outside its classes")


def result_name(err):
    if err == 0:
        return "success"
    if err == errno.EINPROGRESS:
        return "in_progress"
    if err == errno.ECONNREFUSED:
        return "refused"
    return "error"


def record(out, who, host, port, proto, err, outcome=None):
    r = dict(who)
    r.update({"destination": host, "port": port, "protocol": proto,
              "family": "inet6" if ":" in host else "inet",
              "scope": scope_of(host), "result": result_name(err)})
    if outcome:
        r["outcome"] = outcome
    out.write(json.dumps(r) + "\n")
    out.flush()


# --- listeners ---------------------------------------------------------------

def serve(specs, log_path):
    """TCP: accept, answer an HTTP request after HOLD_S (so that curl
    holds an established connection meanwhile), hold every connection
    until the client closes it (at most 10 s); log each accepted peer. UDP: answer
    each datagram with itself (a DNS-style responder)."""
    set_comm("ae_tq_serve")
    log = open(log_path, "a", buffering=1)
    lock = threading.Lock()

    def conn(c, where):
        with lock:
            log.write(where + "\n")
        c.settimeout(10)
        try:
            data = c.recv(4096)
            if data.startswith(b"GET"):
                time.sleep(HOLD_S)
                c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
            while data:
                data = c.recv(4096)
        except OSError:
            pass
        c.close()

    def tcp(s, where):
        while True:
            c, _ = s.accept()
            threading.Thread(target=conn, args=(c, where), daemon=True).start()

    def udp(s):
        while True:
            data, peer = s.recvfrom(4096)
            s.sendto(data, peer)

    socks = []
    for spec in specs:
        hostport, proto = spec.split("/")
        host, port = hostport.rsplit(":", 1)
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        s = socket.socket(socket.AF_INET, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
        if proto == "tcp":
            s.listen(64)
            t = threading.Thread(target=tcp, args=(s, hostport), daemon=True)
        else:
            t = threading.Thread(target=udp, args=(s,), daemon=True)
        t.start()
        socks.append(s)
    print("ready", flush=True)
    while True:
        time.sleep(3600)


# --- clients -----------------------------------------------------------------

def blocking(out, who, host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    err = s.connect_ex((host, port))
    record(out, who, host, port, "tcp", err)
    return s


def nonblocking(out, who, host, port):
    """connect() without waiting; how it ended from SO_ERROR once the
    socket is writable. The socket is returned open: the exporter can
    only tell the outcome while the process holds it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    err = s.connect_ex((host, port))
    outcome = None
    if err == errno.EINPROGRESS:
        select.select([], [s], [], 5)
        e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        outcome = "success" if e == 0 else "refused_or_failed"
    record(out, who, host, port, "tcp", err, outcome)
    return s


def client(kind, args):
    out = sys.stdout
    if kind in ("scanner", "sshd", "netns"):
        set_comm({"scanner": "ae_scanner", "sshd": "sshd",
                  "netns": "ae_tq_netns"}[kind])
    who = identity()
    held = []
    if kind == "scanner":
        # blocking connects to closed ports of many loopback addresses
        port, n = int(args[0]), int(args[1])
        for i in range(n):
            host = f"127.201.{i // 200}.{i % 200 + 1}"
            blocking(out, who, host, port).close()
    elif kind == "tcp":
        # "blocking HOST:PORT", "nonblocking HOST:PORT"
        for a in args:
            how, hostport = a.split("=")
            host, port = hostport.rsplit(":", 1)
            f = blocking if how == "blocking" else nonblocking
            held.append(f(out, who, host, int(port)))
        time.sleep(HOLD_S)
    elif kind == "sshd":
        for hostport in args:
            host, port = hostport.rsplit(":", 1)
            held.append(blocking(out, who, host, int(port)))
        time.sleep(1)
    elif kind == "dns":
        # a resolver's lookup: a new UDP socket, connect(), send, receive
        for a in args:
            hostport, n = a.split("*")
            host, port = hostport.rsplit(":", 1)
            for i in range(int(n)):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                err = s.connect_ex((host, int(port)))
                record(out, who, host, int(port), "udp", err)
                s.send(b"\x12\x34 lookup %d" % i)
                s.settimeout(0.5)
                try:
                    s.recv(512)
                except OSError:
                    pass  # no responder there: the lookup times out
                s.close()
    elif kind == "netns":
        # in a network namespace of its own: its own 127.0.0.1
        port = int(args[0])
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lst.bind(("127.0.0.1", port))
        lst.listen(4)
        held.append(blocking(out, who, "127.0.0.1", port))
        held.append(lst)
        # alive a while: the exporter reads /proc/PID/ns/net to tell
        # this namespace from the host's, and a process that is gone by
        # then cannot be told apart (docs/DESTINATIONS.md)
        time.sleep(HOLD_S)
    for s in held:
        s.close()


# --- the driver ---------------------------------------------------------------

class Runner:
    def __init__(self, cfg, truth_path):
        self.cfg = cfg
        self.truth = open(truth_path, "w")
        self.py = cfg["python"]
        self.me = os.path.abspath(__file__)

    def as_user(self, uid, auid):
        """preexec: the login uid first (needs CAP_AUDIT_CONTROL, as
        root), then the user's ids: what login does."""
        def pre():
            with open("/proc/self/loginuid") as f:
                now = int(f.read())
            if now != auid:
                with open("/proc/self/loginuid", "w") as f:
                    f.write(str(auid))
            if uid != 0:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
        return pre

    def run(self, argv, uid, auid, stdin=None, truth=True):
        p = subprocess.run(argv, preexec_fn=self.as_user(uid, auid),
                           stdin=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        if p.returncode != 0:
            raise RuntimeError(f"{argv} exited {p.returncode}: "
                               f"{p.stderr.decode(errors='replace')}")
        if truth:
            self.truth.write(p.stdout.decode())
        return p

    def py_client(self, kind, args, uid, auid, prefix=()):
        return self.run(list(prefix) + [self.py, self.me, "client", kind]
                        + [str(x) for x in args], uid, auid)

    def external(self, argv, uid, auid, dest, port, listener_log, stdin=None):
        """curl or ncat: what it did, from its uid, the login uid given,
        its binary, and the listener that saw the connection."""
        before = count_lines(listener_log, f"{dest}:{port}")
        self.run(argv, uid, auid, stdin=stdin, truth=False)
        for _ in range(50):
            if count_lines(listener_log, f"{dest}:{port}") > before:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"{argv}: the listener saw no connection")
        exe = os.path.realpath(shutil.which(argv[0]))
        who = {"comm": os.path.basename(exe)[:15], "exe": exe,
               "uid": uid, "auid": auid,
               "netns": os.readlink("/proc/self/ns/net")}
        # both connect non-blocking (EINPROGRESS), and were accepted
        record(self.truth, who, dest, port, "tcp", errno.EINPROGRESS,
               "success")


def count_lines(path, text):
    try:
        with open(path) as f:
            return sum(1 for line in f if line.strip() == text)
    except FileNotFoundError:
        return 0


def run(cfg_path, truth_path):
    cfg = json.load(open(cfg_path))
    r = Runner(cfg, truth_path)
    a, b = cfg["alice"], cfg["bob"]
    L, N = cfg["loopback"], cfg["netns_addr"]
    P = cfg["ports"]
    tcp = lambda h, p: f"{h}:{p}"  # noqa: E731
    log_host, log_ns = cfg["serve_log_host"], cfg["serve_log_ns"]

    # The scanner first: its 2,000 destinations fill the recent table, and
    # what comes after evicts its oldest, never the workload's own.
    r.py_client("scanner", [P["closed"], cfg["scan"]], b, b)
    # alice: curl (non-blocking) to a loopback and a private listener
    for _ in range(3):
        r.external(["curl", "-sf", "-o", "/dev/null",
                    f"http://{L['web']}:{P['web']}/"], a, a, L["web"],
                   P["web"], log_host)
    r.external(["curl", "-sf", "-o", "/dev/null",
                f"http://{N}:{P['ns_web']}/"], a, a, N, P["ns_web"], log_ns)
    # alice: python, blocking and non-blocking, some places curl went too
    r.py_client("tcp", [
        "blocking=" + tcp(L["web"], P["web"]),
        "blocking=" + tcp(L["echo"], P["echo"]),
        "blocking=" + tcp(L["echo"], P["echo"]),
        "blocking=" + tcp(L["ssh"], P["ssh"]),
        "blocking=" + tcp(N, P["ns_web"]),
        "blocking=" + tcp(N, P["ns_db"]),
        "blocking=" + tcp(L["closed1"], P["closed"]),
        "nonblocking=" + tcp(L["echo"], P["echo"]),
        "nonblocking=" + tcp(L["closed2"], P["closed"]),
    ], a, a)
    # bob: ncat (non-blocking through nsock), its connection held HOLD_S
    for dest, port, log in ((L["ssh"], P["ssh"], log_host),
                            (N, P["ns_web"], log_ns)):
        sleeper = subprocess.Popen(["sleep", str(HOLD_S)],
                                   stdout=subprocess.PIPE)
        r.external(["ncat", "--send-only", dest, str(port)], b, b, dest,
                   port, log, stdin=sleeper.stdout)
        sleeper.wait()
    # bob: DNS-style lookups, UDP connect() + send, 5 to the loopback
    # responder and 2 to the namespace's
    r.py_client("dns", [f"{L['dns']}:{P['dns']}*5", f"{N}:{P['dns']}*2"],
                b, b)
    # bob: a python that calls itself sshd
    r.py_client("sshd", [tcp(L["ssh"], P["ssh"]), tcp(L["echo"], P["echo"])],
                b, b)
    # root inside alice's login session
    r.py_client("tcp", ["blocking=" + tcp(L["echo"], P["echo"]),
                        "blocking=" + tcp(N, P["ns_admin"])], 0, a)
    # a process in a network namespace of its own, to its own loopback,
    # and the same user to the same address and port on the host's: two
    # destinations, not one. Root in bob's session, so that this
    # (uid, auid) is the workload's alone (root's own, auid unset, is
    # every other root process's too).
    r.py_client("netns", [P["own"]], 0, b, prefix=["unshare", "-n"])
    r.py_client("tcp", ["blocking=" + tcp("127.0.0.1", P["own"])], 0, b)
    r.truth.close()


# --- the check ----------------------------------------------------------------

LINE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL_RE = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_exposition(path):
    out = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = LINE_RE.match(line.rstrip("\n"))
            if not m:
                continue
            labels = {k: re.sub(r"\\(.)", lambda x: {"n": "\n"}.get(
                x.group(1), x.group(1)), v)
                for k, v in LABEL_RE.findall(m.group(3) or "")}
            out.append((m.group(1), labels, float(m.group(4))))
    return out


class Check:
    def __init__(self, series):
        self.series = series
        self.bad = []
        self.n = 0

    def fail(self, msg):
        self.bad.append(msg)

    def select(self, name, **want):
        return [(lab, v) for n, lab, v in self.series if n == name and
                all(lab.get(k) == str(x) for k, x in want.items())]

    def equal(self, what, got, want):
        self.n += 1
        if got != want:
            self.fail(f"{what}: expected {want}, got {got}")

    def near(self, what, got, truth):
        """A sketch estimate: within 4 standard errors, at least 1."""
        self.n += 1
        tol = max(1, math.ceil(4 * SKETCH_SE * truth))
        if got is None or abs(got - truth) > tol:
            self.fail(f"{what}: expected {truth} (+-{tol}), got {got}")


HOST_NETNS = os.readlink("/proc/self/ns/net")


def dest(t):
    """A destination as the sketches must tell them apart: a loopback
    address in another network namespace is that namespace's, not the
    host's (docs/DESTINATIONS.md)."""
    other = t["scope"] == "loopback" and t["netns"] != HOST_NETNS
    return (t["destination"], t["port"], t["netns"] if other else "")


def sums(rows, keys):
    s = {}
    for r in rows:
        k = tuple(str(r[x]) for x in keys)
        s[k] = s.get(k, 0) + 1
    return s


def series_sums(c, name, keys, who_keys, whos):
    """The exporter's counts of `name` summed by keys, for the label sets
    of the workload's processes only (the host does other things too)."""
    s = {}
    for lab, v in c.select(name):
        if tuple(lab.get(k) for k in who_keys) not in whos:
            continue
        k = tuple(lab.get(x) for x in keys)
        s[k] = s.get(k, 0) + v
    return s


def one(c, name, **want):
    rows = c.select(name, **want)
    if len(rows) != 1:
        return None
    return rows[0][1]


def check(cfg_path, truth_path, scrape_path, dash_path=None):
    cfg = json.load(open(cfg_path))
    truth = [json.loads(x) for x in open(truth_path) if x.strip()]
    c = Check(parse_exposition(scrape_path))
    scan = [t for t in truth if t["comm"] == "ae_scanner"]
    rest = [t for t in truth if t["comm"] != "ae_scanner"]
    windows = cfg["windows"]

    # 1. connects per process: TCP vs UDP, scope and result, exactly
    who = ("comm", "uid", "auid")
    whos = set(sums(truth, who))
    keys = who + ("family", "protocol", "scope", "result")
    c.equal("audit_connect_total of the workload's processes",
            series_sums(c, "audit_connect_total", keys, who, whos),
            {k: float(v) for k, v in sums(truth, keys).items()})

    # 2. outcome of the non-blocking connects (audit_connect_outcome_total
    #    has no auid: the workload's (comm, uid) pairs are its own)
    nb = [t for t in truth if "outcome" in t]
    keys = ("comm", "uid", "protocol", "scope", "outcome")
    c.equal("audit_connect_outcome_total of the workload's processes",
            series_sums(c, "audit_connect_outcome_total", keys,
                        ("comm", "uid"), set(sums(nb, ("comm", "uid")))),
            {k: float(v) for k, v in sums(nb, keys).items()})

    # 3. who connected where: every tuple of the workload but the scanner's
    #    with its count; the table at its bound, the overflow counted
    keys = ("comm", "exe", "uid", "auid", "protocol", "scope",
            "destination", "port")
    want = {k: float(v) for k, v in sums(rest, keys).items()}
    got = {}
    recent = c.select("audit_connect_recent_total")
    for lab, v in recent:
        k = tuple(lab.get(x) for x in keys)
        if k in want:
            got[k] = v
    c.equal("audit_connect_recent_total of the workload", got, want)
    L, P = cfg["loopback"], cfg["ports"]
    at_ssh = {(lab["comm"], lab["exe"], lab["uid"], lab["auid"])
              for lab, _ in c.select("audit_connect_recent_total",
                                     destination=L["ssh"], port=P["ssh"])}
    c.equal(f"who connected to {L['ssh']}:{P['ssh']}", at_ssh,
            {(t["comm"], t["exe"], str(t["uid"]), str(t["auid"]))
             for t in rest if t["destination"] == L["ssh"] and
             t["port"] == P["ssh"]})
    bound = cfg["recent_max"]
    c.equal("audit_connect_recent_max_entries",
            one(c, "audit_connect_recent_max_entries"), float(bound))
    c.equal("audit_connect_recent_entries (full)",
            one(c, "audit_connect_recent_entries"), float(bound))
    distinct = len(sums(truth, keys))
    evicted = one(c, "audit_connect_recent_evicted_total")
    c.n += 1
    if evicted is None or evicted < distinct - bound:
        c.fail(f"audit_connect_recent_evicted_total is {evicted}, at least "
               f"{distinct - bound} tuples of the workload did not fit")
    # which destinations the scanner hit, up to the bound: the table keeps
    # the most recently seen tuples, so the scanner's lines are the last K
    # of the destinations it reached in order, once each, with its
    # identity (K is what the later tuples, the workload's and the host's
    # own, left of the bound; the other entries are theirs)
    s = scan[-1]
    scanned = {(lab["destination"], lab["port"]): v for lab, v in
               c.select("audit_connect_recent_total", comm="ae_scanner")}
    k = len(scanned)
    suffix = {(t["destination"], str(t["port"])): 1.0
              for t in scan[len(scan) - k:]} if k else {}
    c.equal("the scanner's lines in the recent table (its last "
            f"{k} destinations)", scanned, suffix)
    c.equal("identity of the scanner's lines",
            {(lab["exe"], lab["uid"], lab["auid"], lab["protocol"],
              lab["scope"]) for lab, _ in c.select(
                "audit_connect_recent_total", comm="ae_scanner")},
            {(s["exe"], str(s["uid"]), str(s["auid"]), "tcp", "loopback")})
    c.n += 1
    if k == 0:
        c.fail("none of the scanner's destinations is in the recent table")

    # 4. unique destinations, host-wide: per protocol and scope; loopback
    #    and unspecified are not outbound. Only the private scope is the
    #    workload's alone (the namespace's addresses): exact to the sketch.
    dests = {}
    for t in truth:
        dests.setdefault((t["protocol"], t["scope"]), set()).add(dest(t))
    for w in windows:
        for proto in ("tcp", "udp"):
            got = one(c, "audit_connect_unique_destinations",
                      protocol=proto, scope="private", window=w)
            c.near(f"unique {proto} private destinations ({w})", got,
                   len(dests.get((proto, "private"), ())))
        got = one(c, "audit_connect_unique_destinations", protocol="tcp",
                  scope="loopback", window=w)
        c.n += 1
        if got is None or got < len(dests[("tcp", "loopback")]) * (
                1 - 4 * SKETCH_SE):
            c.fail(f"unique tcp loopback destinations ({w}): {got}, "
                   f"fewer than the workload's "
                   f"{len(dests[('tcp', 'loopback')])}")
    q1 = {w: sum(v for lab, v in c.select(
        "audit_connect_unique_destinations", protocol="tcp", window=w)
        if lab.get("scope") not in ("loopback", "unspecified"))
        for w in windows}
    old = {w: sum(v for lab, v in c.select(
        "audit_connect_unique_destinations", window=w)) for w in windows}
    # Q1 counts the private destinations and whatever else the host did
    # outside loopback meanwhile (other scopes, reported, not asserted)
    for w in windows:
        private = one(c, "audit_connect_unique_destinations",
                      protocol="tcp", scope="private", window=w) or 0
        c.n += 1
        if q1[w] < private:
            c.fail(f"Q1 ({w}) {q1[w]} below its private part {private}")

    # 5. per user, (uid, auid): the user's sketch, not the per-process sum
    udests, psum = {}, {}
    for t in truth:
        k = (str(t["uid"]), str(t["auid"]), t["protocol"], t["scope"])
        udests.setdefault(k, set()).add(dest(t))
    pdests = {}
    for t in truth:
        k = (t["comm"], t["exe"], str(t["uid"]), str(t["auid"]),
             t["protocol"], t["scope"])
        pdests.setdefault(k, set()).add(dest(t))
    for k, v in pdests.items():
        psum[k[2:]] = psum.get(k[2:], 0) + len(v)
    overcount = 0
    for w in windows:
        for (uid, auid, proto, scope), d in sorted(udests.items()):
            got = one(c, "audit_user_connect_unique_destinations", uid=uid,
                      auid=auid, protocol=proto, scope=scope, window=w)
            c.near(f"unique destinations of uid {uid} auid {auid} "
                   f"{proto} {scope} ({w})", got, len(d))
        for k, d in sorted(pdests.items()):
            comm, exe, uid, auid, proto, scope = k
            got = one(c, "audit_process_connect_unique_destinations",
                      comm=comm, exe=exe, uid=uid, auid=auid,
                      protocol=proto, scope=scope, window=w)
            c.near(f"unique destinations of {comm} ({exe}) uid {uid} auid "
                   f"{auid} {proto} {scope} ({w})", got, len(d))
    for k, d in udests.items():
        overcount = max(overcount, psum[k] - len(d))
    a = str(cfg["alice"])
    c.n += 1
    if psum[(a, a, "tcp", "loopback")] <= len(udests[(a, a, "tcp",
                                                     "loopback")]):
        c.fail("the workload lost its point: alice's processes share no "
               "destination, so no per-process sum could overcount")

    c.n += 1
    b = str(cfg["bob"])
    if len({dest(t) for t in truth if t["uid"] == 0 and
            str(t["auid"]) == b and t["destination"] == "127.0.0.1"}) != 2:
        c.fail("the workload lost its point: root in bob's session did "
               "not reach 127.0.0.1 at one port in two namespaces")

    # 6. the root process in alice's session is counted under her auid
    root_in_session = [t for t in truth if t["uid"] == 0 and
                       t["auid"] == cfg["alice"]]
    got = sum(v for lab, v in c.select("audit_connect_total", uid=0,
                                       auid=cfg["alice"]))
    c.equal("connects of uid 0 with alice's auid", got,
            float(len(root_in_session)))

    # 7. names: audit_user_info for both users
    for user in ("alice", "bob"):
        c.equal(f"audit_user_info of {cfg['names'][user]}",
                one(c, "audit_user_info", uid=cfg[user],
                    user=cfg["names"][user]), 1.0)

    # 8. the dashboard's top users come from the per-user family
    if dash_path:
        dash = json.load(open(dash_path))
        exprs = [t["expr"] for p in dash["panels"] if p.get("title", "")
                 .startswith("Top users") for t in p.get("targets", [])]
        c.n += 1
        if not exprs or not all("audit_user_connect_unique_destinations" in e
                                and "audit_process_connect" not in e
                                for e in exprs):
            c.fail(f"the host dashboard's top users panel does not read "
                   f"audit_user_connect_unique_destinations: {exprs}")

    for m in c.bad:
        print("  " + m, file=sys.stderr)
    print(f"{c.n} checks, {len(c.bad)} failed; {len(truth)} connects "
          f"({len(scan)} by the scanner); Q1 {q1}, the old reading "
          f"(every protocol and scope) {old}; per-process sum overcounts a "
          f"user by up to {overcount}")
    return 1 if c.bad else 0


def main(argv):
    if argv[1] == "run":
        run(argv[2], argv[3])
        return 0
    if argv[1] == "check":
        return check(*argv[2:6])
    if argv[1] == "serve":
        serve(argv[3:], argv[2])
        return 0
    if argv[1] == "client":
        client(argv[2], argv[3:])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
