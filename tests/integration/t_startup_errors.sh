#!/bin/sh
# Start-up refusals, each leaving the kernel's audit state as it was:
#   - a second exporter while one is the audit daemon: refused, naming the
#     running one and the alternatives; the first one keeps the role;
#   - a rules file with a bad line: refused with the line number and why;
#   - bad flags and values: a clear message and exit code 2.
. "$(dirname "$0")/lib.sh"
ae_kernel_begin

# bad flags first: no kernel access at all
for args in "--no-such-flag" "--window=5x" "--audit.source=tcp" \
	"--web.max-requests=-1" "--once" "--audit.source=file" \
	"--collector.nope" "--sketch.host-precision=30"; do
	# shellcheck disable=SC2086
	"$AE_BIN" --baseline.file= $args >"$ae_tmp/out" 2>"$ae_tmp/err"
	rc=$?
	[ "$rc" = 2 ] || ae_fail "'$args' exited $rc, not 2"
	[ -s "$ae_tmp/err" ] || ae_fail "'$args' gave no message"
done
"$AE_BIN" --baseline.file= --version | grep -q '^audit_exporter version' ||
	ae_fail "--version"
"$AE_BIN" --baseline.file= --help | grep -q -- '--web.listen-address' || ae_fail "--help"

# a bad rules line
printf '%s\n' '# test rules' '-a always,exit -F arch=b64 -S connect -k ok' \
	'-a always,exit -F arch=b64 -S conect -k bad' >"$ae_tmp/bad.rules"
"$AE_BIN" --baseline.file= --web.listen-address=127.0.0.1:$(ae_free_port) \
	--audit.rules.file="$ae_tmp/bad.rules" --sketch.key-file="$ae_tmp/key" \
	2>"$ae_tmp/err"
rc=$?
[ "$rc" = 1 ] || ae_fail "bad rules: exit $rc, not 1"
grep -q 'line 3' "$ae_tmp/err" && grep -q 'conect' "$ae_tmp/err" ||
	ae_fail "bad rules message lacks the line or the reason: $(cat "$ae_tmp/err")"
ae_state_diff || ae_fail "bad rules changed the kernel's audit state"

# a second audit daemon
p1=$(ae_free_port)
ae_spawn "$AE_BIN" --baseline.file= --web.listen-address="127.0.0.1:$p1" \
	--sketch.key-file="$ae_tmp/key"
first=$ae_last_pid
ae_wait_http "$p1" || ae_fail "first exporter did not come up"
"$AE_BIN" --baseline.file= --web.listen-address=127.0.0.1:$(ae_free_port) \
	--sketch.key-file="$ae_tmp/key" 2>"$ae_tmp/err"
rc=$?
[ "$rc" = 1 ] || ae_fail "second exporter: exit $rc, not 1"
grep -q "pid $first (audit_exporter) is already the audit daemon" "$ae_tmp/err" ||
	ae_fail "refusal does not name the running daemon: $(cat "$ae_tmp/err")"
grep -q -- '--audit.source=multicast' "$ae_tmp/err" ||
	ae_fail "refusal does not point to the alternatives"
ae_scrape "$p1" "$ae_tmp/scrape"
ae_promtool_check "$ae_tmp/scrape"
ae_expect "$ae_tmp/scrape" audit_kernel_daemon_pid "$first"
ae_expect "$ae_tmp/scrape" 'audit_exporter_source_up{source="unicast"}' 1
kill -TERM "$first"
ae_wait_exit "$first" 2 || ae_fail "first exporter did not stop"
ae_wait_pid_released || ae_fail "audit pid not released"
ae_state_diff || ae_fail "kernel audit state not restored"
echo "start-up errors: refused as expected"
