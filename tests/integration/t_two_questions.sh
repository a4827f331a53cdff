#!/bin/sh
# Live, as the audit daemon on the bundled rules: issue 21's workload, and
# every number of the two questions checked against what the workload's
# clients themselves did (tests/integration/two_questions.py, whose
# comment says how each answer is known):
#   two users made here (ae_alice, ae_bob; removed at the end); curl,
#   python and ncat TCP clients to listeners on 127.200.0.x and, through a
#   veth pair, on 10.x addresses of a network namespace made here (the
#   "private", outbound destinations: Q1 excludes loopback); DNS-style
#   UDP connect()+send to two responders; a root process inside alice's
#   login session (loginuid = alice, uid 0); root in bob's session
#   connecting to 127.0.0.1 at one port twice, once from a network
#   namespace of its own (its own loopback) and once from the host's (two
#   destinations, not one); a python that renamed itself sshd; a scanner
#   reaching 2,000 closed loopback ports.
# Checked: audit_connect_total by protocol, scope and result per process;
# audit_connect_outcome_total of the non-blocking connects; the recent
# table's lines (comm, exe, uid, auid, destination, port, count), its
# bound and evictions; host-wide unique destinations per protocol and
# scope (Q1); per-process and per-user uniques (the user's own sketch,
# where the per-process sum overcounts); the root-in-session auid;
# audit_user_info names; the host dashboard's top-users query.
# Traffic stays on loopback and in the namespace; SIGTERM must leave the
# kernel's audit state as it was.
. "$(dirname "$0")/lib.sh"
for t in curl ncat ip unshare useradd userdel /usr/bin/python3; do
	command -v "$t" >/dev/null || ae_skip "no $t"
done
ae_kernel_begin

tq_ns=
tq_users=
tq_serve=
tq_cleanup() {
	rc=$?
	for p in $tq_serve; do
		ae_stop_pid "$p"
	done
	[ -z "$tq_ns" ] || ip netns del "$tq_ns" 2>/dev/null
	for u in $tq_users; do
		userdel "$u" >/dev/null 2>&1 || ae_log "could not remove user $u"
	done
	(exit "$rc")
	ae_cleanup
}
trap tq_cleanup EXIT

# the two users: made here unless they exist, then removed
for u in ae_alice ae_bob; do
	if ! id -u "$u" >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin "$u" ||
			ae_fail "useradd $u"
		tq_users="$tq_users $u"
	fi
done
alice=$(id -u ae_alice)
bob=$(id -u ae_bob)

# a namespace reached through a veth pair: 10.x addresses, scope private
tq_ns=ae_tq$$
net=10.$((200 + $$ % 50)).$(($$ / 50 % 250)).0
ns_addr=${net%.0}.2
ip -4 route show match "$ns_addr" | grep -qv '^default' &&
	ae_skip "$ns_addr is already routed here"
ip netns add "$tq_ns" || ae_fail "ip netns add"
ip link add "aetqh$$" type veth peer name "aetqn$$" netns "$tq_ns" ||
	ae_fail "veth pair"
ip addr add "${net%.0}.1/24" dev "aetqh$$"
ip link set "aetqh$$" up
ip -n "$tq_ns" addr add "$ns_addr/24" dev "aetqn$$"
ip -n "$tq_ns" link set "aetqn$$" up
ip -n "$tq_ns" link set lo up

port=$(ae_free_port)
base=$(ae_free_ports 9)
[ -n "$base" ] && [ -n "$port" ] || ae_fail "no free ports"
# 22 on 127.200.0.7 if nothing holds it (sshd on 0.0.0.0:22 would)
ssh=22
/usr/bin/python3 -c 'import socket; socket.socket().bind(("127.200.0.7", 22))' \
	2>/dev/null || ssh=$((base + 8))

ae_workload_setup
cp "$(dirname "$0")/two_questions.py" "$ae_tmp/tq.py"
chmod 644 "$ae_tmp/tq.py"
cat >"$ae_tmp/cfg.json" <<EOF
{
  "python": "/usr/bin/python3",
  "alice": $alice, "bob": $bob,
  "names": {"alice": "ae_alice", "bob": "ae_bob"},
  "loopback": {"web": "127.200.0.1", "echo": "127.200.0.2",
               "ssh": "127.200.0.7", "dns": "127.200.0.53",
               "closed1": "127.200.0.9", "closed2": "127.200.0.10"},
  "netns_addr": "$ns_addr",
  "ports": {"web": $base, "echo": $((base + 1)), "ssh": $ssh,
            "dns": $((base + 2)), "ns_web": $((base + 3)),
            "ns_db": $((base + 4)), "ns_admin": $((base + 5)),
            "closed": $((base + 6)), "own": $((base + 7))},
  "scan": 2000,
  "recent_max": 2000,
  "windows": ["5m", "1h", "24h"],
  "serve_log_host": "$ae_tmp/serve_host.log",
  "serve_log_ns": "$ae_tmp/serve_ns.log"
}
EOF

ae_daemon_up "$port"

# the listeners (root), on the host and in the namespace
ae_spawn /usr/bin/python3 "$ae_tmp/tq.py" serve "$ae_tmp/serve_host.log" \
	"127.200.0.1:$base/tcp" "127.200.0.2:$((base + 1))/tcp" \
	"127.200.0.7:$ssh/tcp" "127.200.0.53:$((base + 2))/udp" \
	"127.0.0.1:$((base + 7))/tcp" \
	>"$ae_tmp/serve_host.out"
tq_serve="$tq_serve $ae_last_pid"
ae_spawn ip netns exec "$tq_ns" /usr/bin/python3 "$ae_tmp/tq.py" serve \
	"$ae_tmp/serve_ns.log" "$ns_addr:$((base + 3))/tcp" \
	"$ns_addr:$((base + 4))/tcp" "$ns_addr:$((base + 5))/tcp" \
	"$ns_addr:$((base + 2))/udp" >"$ae_tmp/serve_ns.out"
tq_serve="$tq_serve $ae_last_pid"
for _ in $(seq 100); do
	grep -q ready "$ae_tmp/serve_host.out" && grep -q ready "$ae_tmp/serve_ns.out" &&
		break
	sleep 0.1
done
grep -q ready "$ae_tmp/serve_ns.out" || ae_fail "listeners did not start"

/usr/bin/python3 "$ae_tmp/tq.py" run "$ae_tmp/cfg.json" "$ae_tmp/truth" ||
	ae_fail "the workload failed"

# events and outcomes may still be in flight: scrape until it holds
ok=0
for _ in $(seq 40); do
	ae_scrape "$port" "$ae_tmp/scrape"
	if /usr/bin/python3 "$ae_tmp/tq.py" check "$ae_tmp/cfg.json" \
		"$ae_tmp/truth" "$ae_tmp/scrape" \
		"$AE_ROOT/dashboards/audit-exporter-host.json" 2>/dev/null >/dev/null; then
		ok=1
		break
	fi
	sleep 0.5
done
/usr/bin/python3 "$ae_tmp/tq.py" check "$ae_tmp/cfg.json" "$ae_tmp/truth" \
	"$ae_tmp/scrape" "$AE_ROOT/dashboards/audit-exporter-host.json"
[ "$ok" = 1 ] || ae_fail "the exposition does not answer the two questions"
ae_promtool_check "$ae_tmp/scrape"
lost_before=$(ae_status_field lost "$ae_tmp/status.before")
ae_expect "$ae_tmp/scrape" audit_kernel_lost_total "$lost_before"

ae_stop_daemon "$exporter" 5
echo "two questions: the workload's numbers match"
