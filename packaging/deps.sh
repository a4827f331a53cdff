#!/bin/sh
# Debian packages that building, testing and benchmarking audit_exporter need.
#   deps.sh check     exit 0 when every package is installed
#   deps.sh install   install the missing ones with apt-get (as root)
# Packages that would start a service on install (auditd, redis-server,
# prometheus) must not: auditd would take the audit socket the exporter and
# its tests need. A policy-rc.d that refuses every start is put in place for
# the install and removed afterwards if it was ours.
set -eu

PKGS="gcc make libc6-dev pkg-config
libmicrohttpd-dev libaudit-dev libauparse-dev libmnl-dev uthash-dev
libcmocka-dev zlib1g-dev libcap-ng-dev libyaml-dev libcrypt-dev
libgnutls28-dev
auditd prometheus curl openssl apache2-utils python3 procps iproute2 gdb
strace systemd groff-base python3-prometheus-client python3-yaml
clang-format cppcheck
clang libclang-rt-14-dev gcc-multilib redis-server valgrind linux-perf
dpkg-dev fakeroot"

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
		echo "run 'sudo make deps' (apt-get needs root)" >&2
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
*)
	echo "usage: $0 check|install" >&2
	exit 2
	;;
esac
