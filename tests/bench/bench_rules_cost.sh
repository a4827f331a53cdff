#!/bin/sh
# What each bundled rule costs on a busy host, in events and in audit.log
# bytes. The real auditd (tests/integration/auditd_lib.sh) records while
# known workloads run, once under the rules of RULES_BEFORE (default: the
# bundled rules of git revision RULES_BEFORE_REV, main) and once under
# packaging/audit_exporter.rules:
#   path     `env cat` PATH_LOOPS times through root's default PATH
#            (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin):
#            env, like make, xargs, find -exec and every execvp(3) caller,
#            tries execve in each directory until one works, so each command
#            costs 3 failed execs before the one that succeeds (a shell
#            does the same for the first run of a name, then remembers it)
#   build    gcc -O2 -c of tests/tools/storm.c, BUILD_LOOPS times
#   connect  tests/tools/storm: CONNECTS UDP connects to loopback
#   login    `su -s /bin/sh nobody -c :` LOGINS times (root's su: pam_unix
#            reads /etc/shadow for the account check)
# path, build and connect run as uid 64999 (no one else's), so only their events are
# counted; login counts the events of /usr/bin/su. Printed per rule set and
# workload: "syscall key success events bytes" (syscall by number, bytes
# all records of those events as auditd wrote them).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/auditd_lib.sh"
ae_kernel_begin
: "${PATH_LOOPS:=2000}"
: "${BUILD_LOOPS:=10}"
: "${CONNECTS:=20000}"
: "${LOGINS:=20}"
: "${RULES_BEFORE_REV:=main}"

ae_auditd_setup
if [ -n "${RULES_BEFORE:-}" ]; then
	cp "$RULES_BEFORE" "$ae_tmp/before.rules"
else
	git -C "$AE_ROOT" show "$RULES_BEFORE_REV:packaging/audit_exporter.rules" \
		>"$ae_tmp/before.rules" 2>/dev/null ||
		ae_log "note: no rules at $RULES_BEFORE_REV; measuring the bundled rules only"
fi
sets=after
[ -s "$ae_tmp/before.rules" ] && sets="before after"
cp "$AE_ROOT/packaging/audit_exporter.rules" "$ae_tmp/after.rules"
chmod 755 "$ae_tmp"
mkdir -m 1777 "$ae_tmp/build"
as_u() { setpriv --reuid=64999 --regid=64999 --clear-groups "$@"; }

run() { # rules-name workload
	auditctl -D >/dev/null
	auditctl -R "$ae_tmp/$1.rules" >/dev/null || ae_fail "cannot load $1"
	ae_auditd_start
	lost0=$(ae_kstatus lost)
	case $2 in
	path)
		as_u env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			dash -c "i=0; while [ \$i -lt $PATH_LOOPS ]; do env cat </dev/null; i=\$((i + 1)); done"
		cond=' uid=64999 '
		;;
	build)
		for _ in $(seq "$BUILD_LOOPS"); do
			as_u gcc -O2 -c "$AE_ROOT/tests/tools/storm.c" \
				-o "$ae_tmp/build/storm.o" || ae_fail "gcc failed"
		done
		cond=' uid=64999 '
		;;
	connect)
		as_u "$AE_TOOLS/storm" --count "$CONNECTS" >/dev/null ||
			ae_fail "storm failed"
		cond=' uid=64999 '
		;;
	login)
		for _ in $(seq "$LOGINS"); do
			su -s /bin/sh nobody -c : || ae_fail "su failed"
		done
		cond=' exe="/usr/bin/su" '
		;;
	esac
	ae_auditd_stop
	lost=$(($(ae_kstatus lost) - lost0))
	ae_auditd_events "$ae_auditd_log" "$cond" | sed "s/^/$1 $2 /"
	echo "$1 $2 kernel-lost $lost"
}

for w in path build connect login; do
	for r in $sets; do
		run "$r" $w
	done
done
