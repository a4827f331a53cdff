#!/bin/sh
# packaging/deb.sh VERSION: what `make deb` does. Builds the binary package
# build/deb/audit-exporter_VERSION_ARCH.deb with dpkg-deb, no debhelper:
#
#   files       `make install DESTDIR=TMP/debian/audit-exporter PREFIX=/usr`
#               (the layout dpkg-shlibdeps expects), the
#               binary stripped as dh_strip would, plus
#               /usr/share/doc/audit-exporter/{copyright,changelog.gz,README.md}
#   control     Depends computed by dpkg-shlibdeps from the libraries the
#               binary links (so a library added to the link line shows up
#               by itself); Version and Maintainer from
#               packaging/debian/changelog, whose top entry must be VERSION
#   conffiles   every file installed under /etc
#   scripts     packaging/debian/{postinst,prerm,postrm}: the state
#               directory, systemd bookkeeping; the unit is never enabled
#               or started by the package (see postinst)
#
# Files are owned by root in the package whoever builds it
# (--root-owner-group), and their times are clamped to SOURCE_DATE_EPOCH
# (default: the last commit's time), so a rebuild of one commit gives the
# same package.
set -eu
umask 022

[ $# -eq 1 ] || { echo "usage: $0 VERSION" >&2; exit 2; }
version=$1
cd "$(dirname "$0")/.."
top=$(pwd)

die() { printf 'deb.sh: %s\n' "$*" >&2; exit 1; }

for tool in dpkg-deb dpkg-shlibdeps dpkg-parsechangelog strip; do
	command -v "$tool" >/dev/null ||
		die "$tool is missing (packages dpkg-dev, binutils: make deps)"
done

pkg=audit-exporter
changelog=packaging/debian/changelog
clversion=$(dpkg-parsechangelog -l "$changelog" -S Version)
[ "$clversion" = "$version" ] ||
	die "$changelog starts with version $clversion, the Makefile says $version: add an entry"
maintainer=$(dpkg-parsechangelog -l "$changelog" -S Maintainer)
arch=$(dpkg --print-architecture)
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null ||
		dpkg-parsechangelog -l "$changelog" -S Timestamp)
fi
export SOURCE_DATE_EPOCH

# The staging tree is a temporary directory, not under build/: the
# Makefile includes every *.d under build/, and /etc/audit/plugins.d would
# be one.
out=$top/build/deb
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
root=$work/debian/$pkg
mkdir -p "$out" "$root"

make --no-print-directory install DESTDIR="$root" PREFIX=/usr >/dev/null
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	"$root/usr/bin/audit_exporter"

doc=$root/usr/share/doc/$pkg
install -d -m 0755 "$doc"
install -m 0644 packaging/debian/copyright "$doc/copyright"
install -m 0644 README.md "$doc/README.md"
gzip -9n <"$changelog" >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

# dpkg-shlibdeps wants a debian/control naming the package, and DEBIAN/ in
# the package's root
install -d -m 0755 "$root/DEBIAN"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" \
	>"$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O -e"debian/$pkg/usr/bin/audit_exporter") ||
	die "dpkg-shlibdeps failed"
depends=$(printf '%s\n' "$shlibs" | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || die "dpkg-shlibdeps found no dependencies"

for s in postinst prerm postrm; do
	install -m 0755 "packaging/debian/$s" "$root/DEBIAN/$s"
done
(cd "$root" && find etc -type f | sort | sed 's|^|/|') >"$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: $pkg
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Suggests: auditd, prometheus
Section: admin
Priority: optional
Description: Prometheus exporter for Linux kernel audit events
 audit_exporter turns Linux kernel audit events into Prometheus metrics:
 how many unique outbound destinations the host connected to in the last
 5 minutes, hour and day, and which processes and users made those
 connections; who started listening on which port; what was executed, by
 whom; who touched the watched files.
 .
 It reads the kernel's audit netlink socket as the audit daemon, or
 read-only beside auditd, or runs as an auditd plugin. The package installs
 a hardened systemd unit, which it does not enable, and an inactive auditd
 plugin file.
EOF
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' |
	sort | xargs md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

deb=$out/${pkg}_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "built $deb"
