#!/bin/sh
# netlink/rules against the real kernel, through tests/tools/rules_tool:
# loaded rules equal what auditctl makes of the same file plus the
# self-exclusion rule; exit restores exactly the rules that were there
# (with and without -D); a SIGKILLed instance's rules are taken over, not
# duplicated, and removed at the next clean exit; a bad line or a rule the
# kernel refuses leaves the kernel as it was; a bad reload keeps the old
# rules; an existing identical rule is not ours to remove; a watch whose
# directory is missing is skipped; 50 rules load in well under a second.
# Needs root; lib.sh restores the audit state on every exit path.
. "$(dirname "$0")/lib.sh"
ae_kernel_begin

tool=$AE_TOOLS/rules_tool
[ -x "$tool" ] || ae_fail "$tool is not built (make tools)"
t=$ae_tmp
rules=$AE_ROOT/packaging/audit_exporter.rules
nrules=$(grep -c '^-[aw] ' "$rules")

# Fails unless `auditctl -l` equals file $1 (after optional self rule $2).
expect_rules() { # file what [self-pid]
	: >"$t/want"
	[ -z "${3:-}" ] ||
		echo "-a never,exit -S all -F pid=$3 -F key=audit_exporter_self" >"$t/want"
	grep -v '^No rules' "$1" >>"$t/want" || true
	[ -s "$t/want" ] || echo "No rules" >"$t/want"
	auditctl -l >"$t/now"
	if ! cmp -s "$t/want" "$t/now"; then
		diff "$t/want" "$t/now" >&2
		ae_fail "$2: kernel rules differ from the expected (-want +got)"
	fi
}

# Waits until file $1 has at least $3 lines matching $2 (5 s).
wait_for() { # file regex [count]
	for _ in $(seq 100); do
		[ "$(grep -c -- "$2" "$1")" -ge "${3:-1}" ] && return 0
		sleep 0.05
	done
	cat "$1" >&2
	ae_fail "timed out waiting for '$2' in $1"
}

hold_n=0
# Starts `rules_tool load FILE --hold`; sets hold_pid and hold_out.
hold() { # file
	hold_n=$((hold_n + 1))
	hold_out=$t/hold.$hold_n.out
	ae_spawn "$tool" load "$1" --hold >"$hold_out" 2>&1
	hold_pid=$ae_last_pid
	wait_for "$hold_out" '^ready'
	grep -q "^ready pid=$hold_pid " "$hold_out" || ae_fail "pid mismatch"
}

# Stops the held tool with SIGTERM and checks it exited 0.
release() {
	kill -TERM "$hold_pid"
	wait "$hold_pid" || { cat "$hold_out" >&2; ae_fail "rules_tool exit $?"; }
	grep -q '^unloaded' "$hold_out" || ae_fail "no clean unload"
}

# --- the kernel before: one unrelated rule ---------------------------------
auditctl -D >/dev/null
auditctl -a always,exit -F arch=b64 -S kill -k unrelated >/dev/null
auditctl -l >"$t/base"

# What auditctl makes of the file, on top of the unrelated rule.
auditctl -R "$rules" >/dev/null || ae_fail "auditctl -R $rules"
auditctl -l >"$t/ref"
auditctl -D >/dev/null
auditctl -R "$t/base" >/dev/null
expect_rules "$t/base" "reference set-up"
grep -v -x -F -f "$t/base" "$t/ref" >"$t/fileonly"
[ "$(wc -l <"$t/fileonly")" = "$nrules" ] || ae_fail "reference has not $nrules rules"

out=$("$tool" check "$rules") || ae_fail "check: $out"
echo "$out" | grep -q "^$nrules rules, -D no" || ae_fail "check: $out"

# --- load, compare with auditctl, keys, SIGTERM ------------------------------
hold "$rules"
expect_rules "$t/ref" "loaded" "$hold_pid"
grep -q "added=$((nrules + 1)) of $((nrules + 1))" "$hold_out" || ae_fail "not all $((nrules + 1)) rules added"
keys=$("$tool" keys | tr '\n' ' ')
[ "$keys" = "audit_config identity privilege shadow_read sshd_config " ] ||
	ae_fail "kernel watch keys: $keys"
release
expect_rules "$t/base" "after SIGTERM"

# --- -D: the unrelated rule is away while loaded, back after ----------------
{ echo "-D"; cat "$rules"; } >"$t/d.rules"
hold "$t/d.rules"
expect_rules "$t/fileonly" "loaded with -D" "$hold_pid"
release
expect_rules "$t/base" "after SIGTERM with -D"

# --- SIGKILL, then a new instance -------------------------------------------
hold "$rules"
dead=$hold_pid
ae_stop_pid "$dead" KILL
expect_rules "$t/ref" "left behind by SIGKILL" "$dead"
hold "$rules"
expect_rules "$t/ref" "second instance after SIGKILL" "$hold_pid"
grep -q "took over $nrules rule" "$hold_out" || ae_fail "no takeover reported"
release
expect_rules "$t/base" "after the second instance's SIGTERM"

# --- bad line: refused before the kernel is touched --------------------------
{ cat "$rules"; echo "-a always,exit -F arch=b64 -S conect -k c"; } >"$t/bad.rules"
n=$(wc -l <"$t/bad.rules")
if "$tool" load "$t/bad.rules" >"$t/out" 2>&1; then ae_fail "bad line loaded"; fi
grep -q "bad.rules: line $n: unknown syscall 'conect' for arch b64" "$t/out" ||
	{ cat "$t/out" >&2; ae_fail "bad line: wrong message"; }
expect_rules "$t/base" "after a bad line"

# --- a rule the kernel refuses: everything rolled back, -D too ---------------
{ echo "-D"; head -n 25 "$rules"; echo "-a always,exit -F arch=b64 -S kill -F uid&1"; } >"$t/kern.rules"
n=$(wc -l <"$t/kern.rules")
if "$tool" load "$t/kern.rules" >"$t/out" 2>&1; then ae_fail "kernel took uid&1"; fi
grep -q "kern.rules: line $n: the kernel refused the rule: Invalid argument" "$t/out" ||
	{ cat "$t/out" >&2; ae_fail "kernel refusal: wrong message"; }
expect_rules "$t/base" "after a kernel refusal"

# --- reload: bad files keep the old rules, a good one replaces them ----------
cp "$rules" "$t/work.rules"
hold "$t/work.rules"
cp "$t/bad.rules" "$t/work.rules"
kill -HUP "$hold_pid"
wait_for "$hold_out" '^reload failed' 1
grep -q "work.rules: line $n\|unknown syscall 'conect'" "$hold_out" || ae_fail "reload message"
expect_rules "$t/ref" "after a reload with a bad line" "$hold_pid"
cp "$t/kern.rules" "$t/work.rules"
kill -HUP "$hold_pid"
wait_for "$hold_out" '^reload failed' 2
grep -q "refused the rule: Invalid argument" "$hold_out" || ae_fail "reload message"
expect_rules "$t/ref" "after a reload the kernel refused" "$hold_pid"
printf '%s\n' "-a always,exit -F arch=b64 -S openat -F dir=/etc/ssh -k sshdir" \
	"-w /etc/hosts -p wa -k hosts" >"$t/work.rules"
kill -HUP "$hold_pid"
wait_for "$hold_out" '^reloaded' 1
{ cat "$t/base"; echo "-a always,exit -F arch=b64 -S openat -F dir=/etc/ssh -F key=sshdir"
  echo "-w /etc/hosts -p wa -k hosts"; } >"$t/want2"
expect_rules "$t/want2" "after a good reload" "$hold_pid"
cp "$t/d.rules" "$t/work.rules"
kill -HUP "$hold_pid"
wait_for "$hold_out" '^reloaded' 2
expect_rules "$t/fileonly" "after a reload into -D" "$hold_pid"
cp "$rules" "$t/work.rules"
kill -HUP "$hold_pid"
wait_for "$hold_out" '^reloaded' 3
expect_rules "$t/ref" "after a reload out of -D" "$hold_pid"
release
expect_rules "$t/base" "after SIGTERM following reloads"

# --- an identical rule already there is not ours -----------------------------
auditctl -a always,exit -F arch=b64 -S execve,execveat -F success=1 -k exec >/dev/null
auditctl -l >"$t/base2"
hold "$rules"
grep -q "already has this rule" "$hold_out" || ae_fail "EEXIST not reported"
grep -q "added=$nrules of $((nrules + 1))" "$hold_out" || ae_fail "EEXIST rule counted as added"
[ "$(auditctl -l | grep -c 'execve,execveat -F success=1 -F key=exec')" = 2 ] ||
	ae_fail "b64 exec rule duplicated or missing"
release
expect_rules "$t/base2" "the pre-existing identical rule stays"
auditctl -d always,exit -F arch=b64 -S execve,execveat -F success=1 -k exec >/dev/null
expect_rules "$t/base" "clean-up of the identical rule"

# --- a watch whose directory does not exist is skipped -----------------------
printf '%s\n' "-w /nonexistent_ae_dir/file -p wa -k nowhere" \
	"-w /etc/hosts -p wa -k hosts" >"$t/nodir.rules"
hold "$t/nodir.rules"
grep -q "line 1: watch on /nonexistent_ae_dir/file skipped" "$hold_out" ||
	ae_fail "missing-directory watch not reported"
{ cat "$t/base"; echo "-w /etc/hosts -p wa -k hosts"; } >"$t/want3"
expect_rules "$t/want3" "missing-directory watch skipped" "$hold_pid"
release
expect_rules "$t/base" "after the skipped watch"

# --- 50 rules load in well under a second ------------------------------------
for i in $(seq 50); do
	echo "-a always,exit -F arch=b64 -S kill -F a0=$i -k speed"
done >"$t/speed.rules"
"$tool" load "$t/speed.rules" >"$t/out" 2>&1 || ae_fail "speed load failed"
ms=$(sed -n 's/.*load_ms=\([0-9.]*\).*/\1/p' "$t/out")
ae_log "51 rules loaded in $ms ms"
awk -v ms="$ms" 'BEGIN { exit !(ms < 500) }' || ae_fail "load took $ms ms"
expect_rules "$t/base" "after the speed load"

auditctl -D >/dev/null
exit 0
