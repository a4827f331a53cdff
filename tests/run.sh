#!/bin/sh
# The test runner behind `make test` and its parts.
#   tests/run.sh all          unit, promtool rule tests, golden, fuzz smoke, integration
#   tests/run.sh check        unit, rules, golden and the integration scripts
#                             that need no kernel and no root (make check)
#   tests/run.sh unit|rules|golden|fuzz|integration
# An integration script needs the kernel or root when it calls
# ae_kernel_begin (the kernel lock) or ae_need_root (tests/integration/lib.sh);
# those skip when run as a normal user, and `check` leaves them out.
# Each integration or golden script exits 0 (pass), 77 (skip, with a reason
# on stderr) or anything else (fail). Kernel tests serialise themselves on
# a lock (tests/integration/lib.sh), so running two suites at once is safe.
# Environment (set by the Makefile): AE_BIN, AE_TOOLS, AE_BUILD.
set -u
cd "$(dirname "$0")/.."
: "${AE_BUILD:=$(pwd)/build/release}"
: "${AE_BIN:=$(pwd)/audit_exporter}"
: "${AE_TOOLS:=$AE_BUILD/tools}"
export AE_BUILD AE_BIN AE_TOOLS

pass=0 fail=0 skip=0
failed=""

run_one() { # name command...
	name=$1
	shift
	start=$(date +%s)
	out=$(mktemp)
	"$@" >"$out" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	case $rc in
	0) pass=$((pass + 1)); printf 'PASS %-48s %4ss\n' "$name" "$secs" ;;
	77) skip=$((skip + 1)); printf 'SKIP %-48s %s\n' "$name" "$(tail -n 1 "$out")" ;;
	*) fail=$((fail + 1)); failed="$failed $name"
	   printf 'FAIL %-48s %4ss (exit %s)\n' "$name" "$secs" "$rc"
	   sed 's/^/    | /' "$out" | tail -n 60 ;;
	esac
	rm -f "$out"
}

suite_unit() {
	for t in "$AE_BUILD"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		run_one "unit/$(basename "$t")" "$t"
	done
}

# Whether script $1 needs the kernel or root (see above).
needs_kernel() {
	grep -qE '^[[:space:]]*(ae_kernel_begin|ae_need_root)\b' "$1"
}

suite_scripts() { # directory [kernel-free]
	for t in "$1"/t_*.sh; do
		[ -f "$t" ] || continue
		[ -n "${2:-}" ] && needs_kernel "$t" && continue
		run_one "${t#tests/}" sh "$t"
	done
}

suite_fuzz() {
	[ -x tests/fuzz/run.sh ] && run_one "fuzz/smoke" tests/fuzz/run.sh 10
}

what=${1:-all}
case $what in
unit) suite_unit ;;
rules) suite_scripts tests/rules ;;
golden) suite_scripts tests/golden ;;
fuzz) suite_fuzz ;;
integration) suite_scripts tests/integration ;;
check)
	suite_unit
	suite_scripts tests/rules kernel-free
	suite_scripts tests/golden kernel-free
	suite_scripts tests/integration kernel-free
	;;
all)
	suite_unit
	suite_scripts tests/rules
	suite_scripts tests/golden
	suite_fuzz
	suite_scripts tests/integration
	;;
*) echo "usage: $0 all|check|unit|rules|golden|fuzz|integration" >&2; exit 2 ;;
esac

printf '\n%d passed, %d failed, %d skipped\n' "$pass" "$fail" "$skip"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
