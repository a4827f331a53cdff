#!/bin/sh
# Debian packages that building, testing and benchmarking audit_exporter need.
#   deps.sh check [build|all]     exit 0 when every package is installed
#   deps.sh install [build|all]   install the missing ones with apt-get (root)
#   deps.sh list [build|all]      print the packages, one a line
# build: what `make` needs to build ./audit_exporter (compiler and the
# libraries it links). all (the default): those and what the tests, tools,
# benchmarks, fuzzing, lint and packaging use (`make test` installs them).
# Packages that would start a service on install (auditd, redis-server,
# prometheus) must not: auditd would take the audit socket the exporter and
# its tests need. A policy-rc.d that refuses every start is put in place for
# the install and removed afterwards if it was ours.
set -eu

BUILD_PKGS="gcc make libc6-dev
libmicrohttpd-dev libaudit-dev libmnl-dev uthash-dev zlib1g-dev
libcap-ng-dev libyaml-dev libcrypt-dev libgnutls28-dev"

TEST_PKGS="pkg-config libauparse-dev libcmocka-dev
auditd prometheus curl openssl apache2-utils python3 procps iproute2 gdb
strace systemd groff-base python3-prometheus-client python3-yaml ncat
clang-format cppcheck
clang libclang-rt-14-dev gcc-multilib redis-server valgrind linux-perf
dpkg-dev fakeroot"

case "${2:-all}" in
build) PKGS=$BUILD_PKGS ;;
all) PKGS="$BUILD_PKGS $TEST_PKGS" ;;
*)
	echo "usage: $0 check|install|list [build|all]" >&2
	exit 2
	;;
esac

missing() {
	for p in $PKGS; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[ "$st" = installed ] || printf '%s\n' "$p"
	done
}

case "${1:-check}" in
check)
	m=$(missing)
	[ -z "$m" ] && exit 0
	echo "missing packages:" $m >&2
	exit 1
	;;
install)
	m=$(missing)
	[ -z "$m" ] && { echo "all packages are installed"; exit 0; }
	if [ "$(id -u)" != 0 ]; then
		echo "missing packages:" $m >&2
		echo "install them as root: sudo packaging/deps.sh install${2:+ $2}" >&2
		exit 1
	fi
	policy=/usr/sbin/policy-rc.d
	ours=
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\n# audit_exporter deps.sh: no service starts during install\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		ours=1
	fi
	trap '[ -n "$ours" ] && rm -f "$policy"' EXIT INT TERM
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $m
	;;
list)
	printf '%s\n' $PKGS
	;;
*)
	echo "usage: $0 check|install|list [build|all]" >&2
	exit 2
	;;
esac
