#!/bin/sh
# The bundled rules are quiet where they must be, on the real kernel, with
# the exporter as the audit daemon:
#   1. execve through a PATH search: env, as every execvp(3) caller, tries
#      two directories without the program before the one with it; the
#      kernel must report only the successful execs (none with
#      success="no"), and audit_execve_total has exactly one per run;
#   2. the shadow files: the rules' own shadow lines, aimed at two files of
#      ours and with a copy of dash standing for the login program
#      (exe=/usr/bin/su becomes exe=ae_login): ae_login reading them makes
#      no event, ae_login opening one for writing is a hit under identity
#      (the write rule comes first), another program reading one is a hit
#      under shadow_read; and root's su, whose pam_unix reads the real
#      /etc/shadow, makes no watch hit at all.
# Needs root; lib.sh restores the audit state on every exit path.
. "$(dirname "$0")/lib.sh"
ae_kernel_begin
command -v dash >/dev/null || ae_skip "dash is not installed"

t=$ae_tmp
rules=$AE_ROOT/packaging/audit_exporter.rules
runs=20
mkdir -p "$t/a" "$t/b" "$t/bin"
cp /bin/true "$t/bin/ae_true"
cp "$(command -v env)" "$t/ae_env"
cp "$(command -v dash)" "$t/ae_login"
cp "$(command -v dash)" "$t/ae_reader"
: >"$t/shadow"
: >"$t/gshadow"
chmod 755 "$t"
{
	cat "$rules"
	grep -E '^-(w |a [a-z]+,exit -F path=)/etc/g?shadow' "$rules" |
		sed -e "s|/etc/shadow|$t/shadow|" -e "s|/etc/gshadow|$t/gshadow|" \
			-e "s|exe=/usr/bin/su\$|exe=$t/ae_login|"
} >"$t/rules"
grep -Eq '^-w /etc/shadow -p wa -k identity$' "$rules" ||
	ae_fail "the bundled rules have no write watch on /etc/shadow"
[ "$(grep -c "exe=$t/ae_login" "$t/rules")" = 2 ] ||
	ae_fail "the bundled rules do not exempt /usr/bin/su's reads of both files"

port=$(ae_free_port)
ae_spawn "$AE_BIN" --baseline.file= --web.listen-address="127.0.0.1:$port" \
	--audit.rules.file="$t/rules" --sketch.key-file="$t/key"
ae_wait_http "$port" || ae_fail "exporter did not come up"

# --- 1. a PATH search -----------------------------------------------------------
for _ in $(seq $runs); do
	PATH=$t/a:$t/b:$t/bin "$t/ae_env" ae_true || ae_fail "ae_env ae_true failed"
done
# --- 2. the shadow files --------------------------------------------------------
for f in shadow gshadow; do
	"$t/ae_login" -c "read -r x <'$t/$f'" # a read by the "login program"
done
"$t/ae_login" -c ": 1<>'$t/shadow'"       # ... and a write by it
"$t/ae_reader" -c "read -r x <'$t/gshadow'" # a read by anyone else
for _ in $(seq $runs); do
	su -s /bin/sh nobody -c : || ae_fail "su failed"
done

cat >"$t/expect" <<EXP
audit_execve_total{exe="$t/bin/ae_true",uid="0"} $runs
audit_watch_hits_total{key="identity",comm="ae_login",uid="0",path="$t/shadow",syscall="openat",result="success"} 1
audit_watch_hits_total{key="shadow_read",comm="ae_reader",uid="0",path="$t/gshadow",syscall="openat",result="success"} 1
EXP
ae_wait_expect "$port" "$t/expect" "$t/m" ||
	ae_fail "the workload's events are not as the rules say"
# the exec events counted so far are all successful ones
ae_expect "$t/m" 'audit_syscall_events_total{syscall="execve",key="exec",success="no"}' absent
# and none of these made a watch hit, on any file or call
for series in 'key="shadow_read",comm="ae_login",uid="0",' \
	'key="identity",comm="ae_reader",uid="0",' \
	'key="identity",comm="su",uid="0",' \
	'key="shadow_read",comm="su",uid="0",'; do
	! grep -qF "audit_watch_hits_total{$series" "$t/m" ||
		ae_fail "a watch hit of $series"
done
echo "default rules: $runs PATH searches gave $runs exec events and no failed one; shadow reads by the login program and by su made none, a write and another reader one each"
