#!/bin/sh
# The bundled rules on machines this host is not. libaudit resolves
# -F arch=b64/b32 and system call names for the machine uname(2) names; a
# uname shim (LD_PRELOAD, built here) makes the exporter believe it runs on
#   - ppc64le, which has no 32-bit system call table: the exporter starts as
#     the audit daemon all the same, loads the rules that have a table there
#     (the b64 lines, for arch ppc64le, and the watches), says in its log
#     which lines it left out (the b32 lines of packaging/audit_exporter.rules,
#     by number), and removes its rules at exit;
#   - aarch64: every line loads (b32 is arm), nothing is left out.
# The kernel accepts rules for any arch; they match nothing on this host.
# Needs root; lib.sh restores the audit state on every exit path.
. "$(dirname "$0")/lib.sh"
ae_kernel_begin

command -v cc >/dev/null || ae_skip "no C compiler for the uname shim"
cat >"$ae_tmp/shim.c" <<'EOF'
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

int uname(struct utsname *u)
{
	long rc = syscall(SYS_uname, u);
	const char *m = getenv("AE_FAKE_MACHINE");

	if (rc == 0 && m)
		snprintf(u->machine, sizeof(u->machine), "%s", m);
	return (int)rc;
}
EOF
cc -shared -fPIC -o "$ae_tmp/shim.so" "$ae_tmp/shim.c" ||
	ae_fail "cannot build the uname shim"
rules=$AE_ROOT/packaging/audit_exporter.rules
nrules=$(grep -c '^-[aw]' "$rules")
grep -n '^-a.*-F arch=b32' "$rules" | cut -d: -f1 >"$ae_tmp/b32.lines"
nb32=$(grep -c '' "$ae_tmp/b32.lines")
[ "$nb32" -gt 0 ] || ae_fail "the bundled rules have no b32 line to test"

# Runs the exporter as machine $1 until it serves, keeps its kernel rules
# in $ae_tmp/$1.rules and its log in $ae_tmp/$1.log, and stops it.
run_as() { # machine
	port=$(ae_free_port)
	ae_spawn env AE_FAKE_MACHINE="$1" LD_PRELOAD="$ae_tmp/shim.so" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		"$AE_BIN" --baseline.file= --web.listen-address="127.0.0.1:$port" \
		--sketch.key-file="$ae_tmp/key" 2>"$ae_tmp/$1.log"
	pid=$ae_last_pid
	if ! ae_wait_http "$port"; then
		cat "$ae_tmp/$1.log" >&2
		ae_fail "$1: the exporter did not start"
	fi
	auditctl -l >"$ae_tmp/$1.rules"
	ae_scrape "$port" "$ae_tmp/$1.prom"
	ae_expect "$ae_tmp/$1.prom" 'audit_exporter_source_up{source="unicast"}' 1
	kill -TERM "$pid"
	ae_wait_exit "$pid" 5 || ae_fail "$1: the exporter did not stop"
	ae_wait_pid_released || ae_fail "$1: audit pid not released"
	ae_state_diff || ae_fail "$1: kernel audit state not restored"
}

run_as ppc64le
# the self-exclusion rule, then the rules with a table on ppc64le
n=$(grep -c '' "$ae_tmp/ppc64le.rules")
[ "$n" = $((nrules - nb32 + 1)) ] ||
	ae_fail "ppc64le: $n kernel rules, not $((nrules - nb32 + 1))"
# (auditctl shows any 64-bit arch as b64; test_rules checks the values)
n64=$(grep -c -- '-F arch=b64 ' "$ae_tmp/ppc64le.rules")
[ "$n64" = "$(grep -c '^-a.*-F arch=b64' "$rules")" ] ||
	ae_fail "ppc64le: $n64 b64 rules loaded"
! grep -q -- '-F arch=b32 ' "$ae_tmp/ppc64le.rules" ||
	ae_fail "ppc64le: a b32 rule was loaded"
grep 'rule not loaded: this machine (ppc64le) has no b32 system call table' \
	"$ae_tmp/ppc64le.log" | sed 's/.* line=\([0-9]*\).*/\1/' >"$ae_tmp/warned"
if ! cmp -s "$ae_tmp/b32.lines" "$ae_tmp/warned"; then
	cat "$ae_tmp/ppc64le.log" >&2
	ae_fail "ppc64le: the log does not name exactly the b32 lines"
fi

run_as aarch64
n=$(grep -c '' "$ae_tmp/aarch64.rules")
[ "$n" = $((nrules + 1)) ] || ae_fail "aarch64: $n kernel rules, not $((nrules + 1))"
[ "$(grep -c -- '-F arch=b32 ' "$ae_tmp/aarch64.rules")" = "$nb32" ] ||
	ae_fail "aarch64: not every b32 rule was loaded"
! grep -q 'rule not loaded' "$ae_tmp/aarch64.log" ||
	ae_fail "aarch64: a rule was left out: $(cat "$ae_tmp/aarch64.log")"
echo "rules: ppc64le loads $((nrules - nb32)) of $nrules bundled rules and names the $nb32 b32 lines; aarch64 loads all"
