#!/bin/sh
# Live, as the audit daemon: a connect by user nobody (uid 65534, run with
# setpriv) must give audit_user_info{uid="65534",user="nobody"} 1, the name
# this host's NSS gives (getent passwd 65534 is the independent answer),
# looked up by the exporter at a scrape after it dropped to nobody itself.
# SIGTERM must leave the kernel's audit state as it was.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || ae_skip "no setpriv"
command -v bash >/dev/null || ae_skip "no bash (its /dev/tcp connects)"
name=$(getent passwd 65534 | cut -d: -f1)
[ -n "$name" ] || ae_skip "uid 65534 has no passwd entry here"
ae_kernel_begin

port=$(ae_free_port)
ae_workload_setup
ae_daemon_up "$port"

# one connect (inet, audited by the bundled rules) as uid 65534
setpriv --reuid=65534 --regid=65534 --clear-groups \
	bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" ||
	ae_fail "connect as uid 65534 failed"
printf 'audit_user_info{uid="65534",user="%s"} 1\n' "$name" >"$ae_tmp/expect"
ae_wait_expect "$port" "$ae_tmp/expect" "$ae_tmp/scrape" ||
	ae_fail "no user name for uid 65534"
ae_promtool_check "$ae_tmp/scrape"

ae_stop_daemon "$exporter" 5
echo "users live: uid 65534 named $name"
