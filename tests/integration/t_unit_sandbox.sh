#!/bin/sh
# The systemd unit's sandbox on the real audit path. systemd does not run
# here, so the test recreates what the unit sets up from the unit file
# itself (packaging/audit_exporter.service) and runs the exporter in it as
# the audit daemon (unicast, the bundled rules, as the unit starts it):
#   - under exactly the unit's CapabilityBoundingSet with no_new_privs
#     (setpriv), serving over TLS with basic auth (--web.config.file), it
#     starts, drops to nobody, counts a workload whose answer it prints
#     itself, reloads its rules on SIGHUP (ExecReload), and stops on SIGTERM
#     with exit 0 and the kernel's audit state restored, its baseline saved
#     as nobody beside the sketch key (still root's) in the state directory;
#   - its audit socket gets the 64 MiB receive buffer it asks for
#     (CAP_NET_ADMIN: the kernel reports twice the size set), and its reader
#     thread the nice value of --audit.priority-boost (CAP_SYS_NICE);
#   - every system call it made (strace -f, start to exit) is one that the
#     unit's SystemCallFilter allows, as systemd-analyze expands it, and
#     none is one that MemoryDenyWriteExecute refuses (a writable and
#     executable mmap, an mprotect to executable).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/unit_lib.sh"
ae_kernel_begin
for t in strace setpriv systemd-analyze ss openssl htpasswd curl; do
	command -v $t >/dev/null || ae_skip "$t is not installed"
done
# sanitizer runtimes make system calls of their own
[ "$AE_BIN" = "$AE_ROOT/audit_exporter" ] ||
	ae_skip "checks the release binary, not $AE_BIN"

unit=$AE_ROOT/packaging/audit_exporter.service
sp=$(unit_setpriv_opts "$unit") || ae_fail "unit: no CapabilityBoundingSet"
unit_syscalls "$unit" >"$ae_tmp/allowed" || ae_fail "unit: no SystemCallFilter allow list"
[ "$(grep -c '' "$ae_tmp/allowed")" -gt 100 ] || ae_fail "SystemCallFilter expands to too little"

port=$(ae_free_port)
base=$(ae_free_ports 10)
[ -n "$base" ] || ae_fail "no free ports"
# the unit's rules; read again as nobody on SIGHUP
cp "$AE_ROOT/packaging/audit_exporter.rules" "$ae_tmp/rules"
chmod 755 "$ae_tmp"
chmod 644 "$ae_tmp/rules"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=127.0.0.1 -keyout "$ae_tmp/tls.key" -out "$ae_tmp/tls.crt" \
	2>"$ae_tmp/openssl.err" || ae_fail "openssl: $(cat "$ae_tmp/openssl.err")"
hash=$(htpasswd -nbB prom scrape | cut -d: -f2-)
cat >"$ae_tmp/web.yml" <<EOF
tls_server_config:
  cert_file: $ae_tmp/tls.crt
  key_file: $ae_tmp/tls.key
basic_auth_users:
  prom: '$hash'
EOF
scrape() { # file
	curl -sfk --user prom:scrape "https://127.0.0.1:$port/metrics" >"$1"
}

# shellcheck disable=SC2086
ae_spawn setpriv $sp strace -f -qq -o "$ae_tmp/trace" "$AE_BIN" \
	--baseline.file="$ae_tmp/state/baseline" \
	--audit.rules.file="$ae_tmp/rules" \
	--sketch.key-file="$ae_tmp/state/sketch.key" \
	--web.listen-address="127.0.0.1:$port" --web.config.file="$ae_tmp/web.yml" \
	2>"$ae_tmp/log"
tracer=$ae_last_pid
for _ in $(seq 100); do
	scrape "$ae_tmp/scrape" && break
	sleep 0.1
done
scrape "$ae_tmp/scrape" || ae_fail "no TLS scrape: $(tail -n 5 "$ae_tmp/log")"
exporter=$(pgrep -P "$tracer" -x audit_exporter) ||
	ae_fail "no exporter under strace (pid $tracer)"
ae_pids="$exporter $ae_pids" # stopped first on any exit

uid=$(awk '/^Uid:/ { print $2 }' "/proc/$exporter/status")
[ "$uid" = 65534 ] || ae_fail "exporter runs as uid $uid, not nobody"
# 64 MiB asked for; without CAP_NET_ADMIN it would be 2 * net.core.rmem_max.
# The exporter's audit sockets: its socket inodes, to port ids through
# /proc/net/netlink (protocol 9), to ss's rb (ss prints port ids signed).
inodes=$(ls -l "/proc/$exporter/fd" | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p' | tr '\n' ' ')
portids=$(awk -v inos=" $inodes" 'NR > 1 && $2 == 9 && index(inos, " " $10 " ") {
	p = $3; if (p > 2147483647) p -= 4294967296; printf "%d\n", p }' /proc/net/netlink)
[ -n "$portids" ] || ae_fail "no audit socket of the exporter in /proc/net/netlink"
rb=0
for p in $portids; do
	b=$(ss -f netlink -a -m | awk -v p="$p" '
		$4 ~ ("^audit:(.*/)?" p "$") { f = 1 }
		f && match($0, /rb[0-9]+/) { print substr($0, RSTART + 2, RLENGTH - 2); exit }')
	[ "${b:-0}" -gt "$rb" ] && rb=$b
done
[ "$rb" -ge $((128 << 20)) ] ||
	ae_fail "largest audit socket receive buffer is $rb bytes, not 128 MiB"

# --quick: listens and connects only (the watch and the exe go unused)
# the reader is the main thread; default --audit.priority-boost=4
nice=$(awk '{ sub(/^.*\) /, ""); print $17 }' "/proc/$exporter/stat")
[ "$nice" = -4 ] || ae_fail "reader thread's nice is $nice, not -4: $(grep -h priority "$ae_tmp/log")"

"$AE_TOOLS/workload" --quick --base-port "$base" --watch /dev/null \
	--exe /bin/true --comm ae_wl_sandbox >"$ae_tmp/expect" ||
	ae_fail "workload failed"
[ "$(grep -c '' "$ae_tmp/expect")" -ge 5 ] || ae_fail "workload answered too little"
for _ in $(seq 75); do
	scrape "$ae_tmp/scrape" && ae_check_expect "$ae_tmp/scrape" "$ae_tmp/expect" 2>/dev/null &&
		break
	sleep 0.2
done
ae_check_expect "$ae_tmp/scrape" "$ae_tmp/expect" ||
	ae_fail "exposition does not match the workload"

kill -HUP "$exporter"
for _ in $(seq 50); do
	grep -q 'rules reloaded' "$ae_tmp/log" && break
	sleep 0.1
done
grep -q 'rules reloaded' "$ae_tmp/log" || ae_fail "SIGHUP did not reload: $(tail -n 3 "$ae_tmp/log")"

kill -TERM "$exporter"
ae_wait_exit "$tracer" 10 || ae_fail "exporter did not stop"
wait "$tracer" # strace exits with the exporter's status
rc=$?
[ "$rc" = 0 ] || ae_fail "exporter exited with $rc: $(tail -n 3 "$ae_tmp/log")"
ae_wait_pid_released || ae_fail "audit pid not released"
ae_state_diff || ae_fail "kernel audit state not restored"
# the baseline was saved as nobody beside the key, which stays root's
# (CAP_CHOWN: the directory given to nobody's group, exporter/statedir.c)
[ "$(stat -c %U "$ae_tmp/state/baseline" 2>/dev/null)" = nobody ] ||
	ae_fail "no baseline saved by nobody: $(grep -h baseline "$ae_tmp/log")"
[ "$(stat -c %U:%a "$ae_tmp/state/sketch.key")" = root:600 ] ||
	ae_fail "the sketch key is not root's 0600 any more"
! grep -q 'cannot save the baseline' "$ae_tmp/log" ||
	ae_fail "a save failed: $(grep -h baseline "$ae_tmp/log")"

sed -n -e 's/^[0-9]\{1,\} \{1,\}\([a-z0-9_]\{1,\}\)(.*/\1/p' \
	-e 's/^[0-9]\{1,\} \{1,\}<\.\.\. \([a-z0-9_]\{1,\}\) resumed>.*/\1/p' \
	"$ae_tmp/trace" | sort -u >"$ae_tmp/used"
for s in execve socket capset setresuid recvmmsg; do
	grep -qx "$s" "$ae_tmp/used" || ae_fail "the trace lacks $s: strace output not understood"
done
outside=$(comm -23 "$ae_tmp/used" "$ae_tmp/allowed" | tr '\n' ' ')
[ -z "$outside" ] || ae_fail "system calls outside the unit's SystemCallFilter: $outside"
wx=$(grep -E '^[0-9]+ +(mmap\(.*PROT_WRITE\|PROT_EXEC|mmap\(.*PROT_EXEC\|PROT_WRITE|(pkey_)?mprotect\(.*PROT_EXEC)' \
	"$ae_tmp/trace" | head -n 3)
[ -z "$wx" ] || ae_fail "MemoryDenyWriteExecute would refuse: $wx"
grep -Eq '^[0-9]+ +mmap\(.*PROT_EXEC' "$ae_tmp/trace" ||
	ae_fail "the trace shows no executable mapping: strace output not understood"
echo "unit sandbox: $(grep -c '' "$ae_tmp/used") system calls, all allowed; socket buffer $rb bytes"
