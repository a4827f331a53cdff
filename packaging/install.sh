#!/bin/sh
# packaging/install.sh DESTDIR PREFIX VERSION: what `make install` does.
#
#   PREFIX/bin/audit_exporter                         0755
#   PREFIX/share/man/man1/audit_exporter.1.gz         0644
#   PREFIX/share/audit_exporter/dashboards/*.json     0644  (whatever exists)
#   PREFIX/share/audit_exporter/alerts/*.yml          0644
#   PREFIX/share/audit_exporter/rules.d/audit_exporter.rules  0644  for auditd
#   UNITDIR/audit_exporter.service                    0644  not enabled
#   /etc/audit_exporter/audit_exporter.rules          0644  config
#   /etc/default/audit_exporter                       0644  config
#   /etc/audit/plugins.d/audit_exporter.conf          0640  config, active = no
#
# UNITDIR is /lib/systemd/system when PREFIX is /usr (where Debian 12's
# packages put their units, so the .deb matches them) and
# PREFIX/lib/systemd/system otherwise: systemd reads
# /usr/local/lib/systemd/system, and a local install stays out of the
# package manager's directories (for any other prefix: `systemctl link`).
# /etc is /etc whatever PREFIX is: the unit and the plugin name those paths.
# The unit's ExecStart and the plugin's path name PREFIX/bin/audit_exporter.
#
# The configuration files are the admin's. Installing into the live system
# (empty DESTDIR), an existing one that differs from ours is kept and ours
# is put beside it as NAME.dist; with DESTDIR (staging, as for the .deb)
# everything is installed as is. The rules are read again as the
# unprivileged user on SIGHUP, hence 0644. /var/lib/audit_exporter is state,
# not installed: the exporter, the unit's StateDirectory= or the package's
# postinst create it (0700).
# The auditd plugin file (packaging/audit_exporter.plugin.conf) is
# installed when it exists, always inactive: the admin chooses between the
# plugin and the service. The plugin sees only what auditd's rules audit,
# so the bundled rules are installed for auditd too, outside
# /etc/audit/rules.d (augenrules would load every *.rules there): linking
# them into rules.d is the admin's step, as setting the plugin active is.
set -eu
umask 022

[ $# -eq 3 ] || { echo "usage: $0 DESTDIR PREFIX VERSION" >&2; exit 2; }
destdir=${1%/}
prefix=${2%/}
version=$3
cd "$(dirname "$0")/.."

die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

case $prefix in
/*) ;;
*) die "PREFIX must be an absolute path, not '$prefix'" ;;
esac
[ -x audit_exporter ] || die "./audit_exporter is missing: run make first"
got=$(./audit_exporter --version) || die "./audit_exporter --version failed"
case $got in
"audit_exporter version $version "*) ;;
*) die "./audit_exporter says '$got', the Makefile says $version: run make" ;;
esac

if [ "$prefix" = /usr ]; then
	unitdir=/lib/systemd/system
else
	unitdir=$prefix/lib/systemd/system
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# Creates a directory (and its parents, 0755) unless it exists: the mode of
# an existing directory, such as /etc/audit, is left alone.
mkdir_new() { # mode dir
	[ -d "$2" ] || install -d -m "$1" "$2"
}

inst() { # mode src dst
	mkdir_new 0755 "$(dirname "$3")"
	install -m "$1" "$2" "$3"
	printf '  %-5s %s\n' INST "$3"
}

inst_conf() { # mode src dst
	if [ -z "$destdir" ] && [ -e "$3" ] && ! cmp -s "$2" "$3"; then
		install -m "$1" "$2" "$3.dist"
		printf '  %-5s %s (kept yours; ours is %s.dist)\n' KEEP "$3" "$3"
		return
	fi
	inst "$@"
}

inst 0755 audit_exporter "$destdir$prefix/bin/audit_exporter"

sed -e "s|@VERSION@|$version|g" -e "s|@PREFIX@|$prefix|g" \
	packaging/audit_exporter.1 | gzip -9n >"$tmp/audit_exporter.1.gz"
inst 0644 "$tmp/audit_exporter.1.gz" \
	"$destdir$prefix/share/man/man1/audit_exporter.1.gz"

share=$destdir$prefix/share/audit_exporter
mkdir_new 0755 "$share/dashboards"
mkdir_new 0755 "$share/alerts"
for f in dashboards/*.json alerts/*.yml; do
	[ -f "$f" ] || continue # a pattern that matched nothing
	inst 0644 "$f" "$share/$f"
done

inst 0644 packaging/audit_exporter.rules "$share/rules.d/audit_exporter.rules"

sed "s|@BINDIR@|$prefix/bin|g" packaging/audit_exporter.service \
	>"$tmp/audit_exporter.service"
inst 0644 "$tmp/audit_exporter.service" \
	"$destdir$unitdir/audit_exporter.service"

inst_conf 0644 packaging/audit_exporter.rules \
	"$destdir/etc/audit_exporter/audit_exporter.rules"
inst_conf 0644 packaging/audit_exporter.default \
	"$destdir/etc/default/audit_exporter"

plugin=packaging/audit_exporter.plugin.conf
if [ -f "$plugin" ]; then
	sed -e "s|^\([[:space:]]*path[[:space:]]*=\).*|\1 $prefix/bin/audit_exporter|" \
		-e 's|^\([[:space:]]*active[[:space:]]*=\).*|\1 no|' \
		-e "s|/usr/share/audit_exporter/|$prefix/share/audit_exporter/|g" \
		"$plugin" >"$tmp/plugin.conf"
	grep -Eq '^[[:space:]]*active[[:space:]]*=[[:space:]]*no[[:space:]]*$' \
		"$tmp/plugin.conf" || die "$plugin has no 'active =' line"
	grep -Eq "^[[:space:]]*path[[:space:]]*=[[:space:]]*$prefix/bin/audit_exporter\$" \
		"$tmp/plugin.conf" || die "$plugin has no 'path =' line"
	# auditd's own plugin directory and files are root-only (0750, 0640)
	mkdir_new 0750 "$destdir/etc/audit"
	mkdir_new 0750 "$destdir/etc/audit/plugins.d"
	inst_conf 0640 "$tmp/plugin.conf" \
		"$destdir/etc/audit/plugins.d/audit_exporter.conf"
else
	echo "  note: $plugin does not exist; no auditd plugin file installed"
fi
