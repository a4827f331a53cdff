#!/bin/sh
# --audit.source=plugin is auditd's live feed of this host: the same RAW
# text that --audit.source=stdin replays, but its uids are this host's, so
# audit_user_info names them through this host's NSS (getent passwd is the
# independent answer), while a stdin replay of the same lines names no one
# (the log may come from another host). The feed stays open, as auditd
# keeps it: the name must appear at a scrape of the running plugin, not
# only at the end of the input. No kernel state is changed.
. "$(dirname "$0")/lib.sh"
name=$(getent passwd 65534 | cut -d: -f1)
[ -n "$name" ] || ae_skip "uid 65534 has no passwd entry here"
uid1=$(id -u)
name1=$(getent passwd "$uid1" | cut -d: -f1)
[ -n "$name1" ] || ae_skip "uid $uid1 has no passwd entry here"

# one connect of uid 65534 in the session of auid $uid1, stamped now
now=$(date +%s)
cat >"$ae_tmp/feed.log" <<LOG
type=SYSCALL msg=audit($now.100:71): arch=c000003e syscall=42 success=yes exit=0 a0=3 a1=7ffd a2=10 a3=0 items=0 ppid=1 pid=4711 auid=$uid1 uid=65534 gid=65534 euid=65534 suid=65534 fsuid=65534 egid=65534 sgid=65534 fsgid=65534 tty=(none) ses=3 comm="curl" exe="/usr/bin/curl" key="ae_net"
type=SOCKADDR msg=audit($now.100:71): saddr=020000167FC800070000000000000000
type=EOE msg=audit($now.100:71):
LOG

# the replay: no name for either uid
"$AE_BIN" --audit.source=stdin --once --sketch.key-file="$ae_tmp/key" \
	--log.level=warn <"$ae_tmp/feed.log" >"$ae_tmp/replay" ||
	ae_fail "stdin replay failed"
grep -q '^audit_user_info{' "$ae_tmp/replay" &&
	ae_fail "a stdin replay named a uid through this host's NSS"
ae_expect "$ae_tmp/replay" 'audit_exporter_source_up{source="stdin"}' 0

# the plugin: a feed that stays open, scraped while it runs
port=$(ae_free_port)
ae_spawn_on_fifo "$ae_tmp/feed" "$AE_BIN" --audit.source=plugin \
	--web.listen-address="127.0.0.1:$port" --sketch.key-file="$ae_tmp/key" \
	--runas.user=nobody --log.level=warn
plugin=$ae_last_pid
cat "$ae_tmp/feed.log" >&6
ae_wait_http "$port" || ae_fail "plugin did not come up"
{
	printf 'audit_user_info{uid="65534",user="%s"} 1\n' "$name"
	printf 'audit_user_info{uid="%s",user="%s"} 1\n' "$uid1" "$name1"
	echo 'audit_exporter_source_up{source="plugin"} 1'
	printf 'audit_connect_recent_total{comm="curl",exe="/usr/bin/curl",uid="65534",auid="%s",protocol="unknown",scope="loopback",destination="127.200.0.7",port="22"} 1\n' "$uid1"
} >"$ae_tmp/expect"
ae_wait_expect "$port" "$ae_tmp/expect" "$ae_tmp/scrape" ||
	ae_fail "the plugin did not name uid 65534 and $uid1"
ae_promtool_check "$ae_tmp/scrape"
exec 6>&-
kill -TERM "$plugin"
ae_wait_exit "$plugin" 10 || ae_fail "plugin did not stop on SIGTERM"
wait "$plugin" || ae_fail "plugin exited with $?"
echo "plugin users: uid 65534 named $name, auid $uid1 named $name1; stdin named none"
