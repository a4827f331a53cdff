#!/bin/sh
# A file watch on the real kernel, with the exporter as the audit daemon,
# tells the file, the call and the kernel's verdict apart:
#   -w FILE -p rwa -k ae_watch_live on a root-owned 0644 file; root appends
#   to it N times (openat, success), user nobody tries M times (openat,
#   EACCES: denied). Each attempt is one watch hit; the exporter must show
#   exactly these two series under the key, with path FILE, and no other.
# Needs root and user nobody; lib.sh restores the audit state on every
# exit path.
. "$(dirname "$0")/lib.sh"
ae_kernel_begin
command -v dash >/dev/null || ae_skip "dash is not installed"
command -v setpriv >/dev/null || ae_skip "setpriv is not installed"
nobody=$(id -u nobody 2>/dev/null) || ae_skip "no user nobody"

t=$ae_tmp
n=7
m=4
chmod 755 "$t"
cp "$(command -v dash)" "$t/ae_writer"
: >"$t/watched"
chmod 644 "$t/watched"
echo "-w $t/watched -p rwa -k ae_watch_live" >"$t/rules"

port=$(ae_free_port)
ae_spawn "$AE_BIN" --baseline.file= --web.listen-address="127.0.0.1:$port" \
	--audit.rules.file="$t/rules" --sketch.key-file="$t/key"
ae_wait_http "$port" || ae_fail "exporter did not come up"

for _ in $(seq $n); do
	"$t/ae_writer" -c "echo x >>'$t/watched'" || ae_fail "root's write failed"
done
for _ in $(seq $m); do
	! setpriv --reuid="$nobody" --regid="$(id -g nobody)" --clear-groups \
		"$t/ae_writer" -c "echo x >>'$t/watched'" 2>/dev/null ||
		ae_fail "nobody could write the file"
done

l='audit_watch_hits_total{key="ae_watch_live",comm="ae_writer"'
cat >"$t/expect" <<EXP
$l,uid="0",path="$t/watched",syscall="openat",result="success"} $n
$l,uid="$nobody",path="$t/watched",syscall="openat",result="denied"} $m
EXP
ae_wait_expect "$port" "$t/expect" "$t/m" ||
	ae_fail "the watch hits are not one per attempt, by result"
# nothing else under the key: no other path, call or result
grep '^audit_watch_hits_total{key="ae_watch_live",' "$t/m" | sort >"$t/got"
sort "$t/expect" | cmp -s - "$t/got" || {
	cat "$t/got" >&2
	ae_fail "other watch hits under the key"
}
# (read only now: the read is a hit of its own)
[ "$(wc -l <"$t/watched")" = $n ] || ae_fail "the file does not hold $n lines"
echo "watch: $n writes by root and $m refused attempts by nobody, one hit each, by path and result"
