#!/bin/sh
# Decoding replay: tests/fixtures/decode.log, hand-written records of the
# machines and log formats the exporter must read, each event's answer known
# from the record itself (tests/fixtures/decode.expect):
#   - aarch64 (arch=c00000b7), ppc64le (c0000015), s390x (80000016) and
#     ppc64 (80000015): connect, bind then listen, execve/execveat, with
#     syscall numbers from libaudit's tables (ausyscall MACHINE NAME);
#   - the big-endian machines' SOCKADDR records carry sa_family in their
#     byte order (AF_INET 00 02), inet, inet6 and unix; one s390x SOCKADDR
#     comes before its SYSCALL record;
#   - i386 socketcall(2) with no SOCKETCALL record (older kernels): two
#     connects (family other) and a listen (family and port unknown);
#   - auditd's DAEMON_START/DAEMON_END written without ':' after the stamp.
# Both the file and the stdin source must give that answer, with no parse
# error, no unknown arch and no serial gap.
set -u
. "$(dirname "$0")/../integration/lib.sh"
fx=$AE_ROOT/tests/fixtures
"$AE_ROOT/tests/golden/replay.sh" "$fx/decode.log" >"$ae_tmp/file.prom" ||
	ae_fail "replay failed"
ae_check_expect "$ae_tmp/file.prom" "$fx/decode.expect" ||
	ae_fail "file replay does not match tests/fixtures/decode.expect"
"$AE_ROOT/tests/golden/replay.sh" "$fx/decode.log" --audit.source=stdin \
	>"$ae_tmp/stdin.prom" || ae_fail "stdin replay failed"
ae_check_expect "$ae_tmp/stdin.prom" "$fx/decode.expect" ||
	ae_fail "stdin replay does not match tests/fixtures/decode.expect"
bad=$(grep -E '^audit_exporter_parse_errors_total\{' "$ae_tmp/file.prom" |
	grep -v ' 0$')
[ -z "$bad" ] || ae_fail "parse errors: $bad"
echo "decode replay: $(grep -c '' "$fx/decode.expect") expected series hold"
