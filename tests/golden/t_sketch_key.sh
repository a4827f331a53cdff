#!/bin/sh
# No fixed fallback key: when --sketch.key-file can be neither read nor
# created, a replay (file or stdin) hashes destinations under a random key
# of its own and says so. With a fixed key anyone who read the code could
# pick destinations that hide in the sketches (100,400 distinct ones read
# as 400). Checked through --sketch.export-registers: the registers of the
# fixture's 13 destinations depend on the key, so three runs without a
# usable key file must all differ from each other and from a run under
# the key main.c once built in; each run still counts the same 13
# destinations (small sets are near-exact whatever the key).
set -u
. "$(dirname "$0")/../integration/lib.sh"
fx=$AE_ROOT/tests/fixtures
d=$ae_tmp
mkdir "$d/keydir"
: >"$d/notadir"
run() { # name key-file source: registers to $d/name.regs, log to name.err
	if [ "$3" = stdin ]; then
		"$AE_BIN" --baseline.file= --audit.source=stdin --once --sketch.key-file="$2" \
			--sketch.export-registers --log.level=warn \
			<"$fx/workload.log" >"$d/$1.prom" 2>"$d/$1.err"
	else
		"$AE_BIN" --baseline.file= --audit.source=file --audit.file="$fx/workload.log" \
			--once --sketch.key-file="$2" --sketch.export-registers \
			--log.level=warn >"$d/$1.prom" 2>"$d/$1.err"
	fi || ae_fail "$1: replay failed: $(cat "$d/$1.err")"
	grep '^audit_connect_unique_destinations_register{' "$d/$1.prom" \
		>"$d/$1.regs"
	[ "$(wc -l <"$d/$1.regs")" = 768 ] || ae_fail "$1: not 3 x 256 registers"
	grep '^audit_connect_unique_destinations{' "$d/$1.prom" >"$d/$1.est"
}
# the key that main.c used when the file was unusable
printf '61756469746578706f727465722d6b31\n' >"$d/old.key"
run old "$d/old.key" file
grep -q 'level=warn' "$d/old.err" && ae_fail "old: a warning: $(cat "$d/old.err")"
# a directory (EISDIR), a path under a plain file (ENOTDIR)
run a "$d/keydir" file
run b "$d/notadir/sketch.key" file
run c "$d/keydir" stdin
for r in a b c; do
	grep -q 'level=warn msg="sketch key file unusable; using a random key for this run' \
		"$d/$r.err" || ae_fail "$r: no warning: $(cat "$d/$r.err")"
	cmp -s "$d/$r.regs" "$d/old.regs" &&
		ae_fail "$r: the registers of the old built-in key"
	cmp -s "$d/$r.est" "$d/old.est" ||
		ae_fail "$r: other counts: $(cat "$d/$r.est") vs $(cat "$d/old.est")"
done
for pair in a:b a:c b:c; do
	cmp -s "$d/${pair%:*}.regs" "$d/${pair#*:}.regs" &&
		ae_fail "runs ${pair%:*} and ${pair#*:} hashed alike: a fixed key"
done
[ -z "$(ls -A "$d/keydir")" ] || ae_fail "something was written into keydir"
echo "sketch key: an unusable key file gives a random key per run (3 runs," \
	"all different), with a warning; counts unchanged"
