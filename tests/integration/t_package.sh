#!/bin/sh
# Packaging, without touching the kernel or the system's dpkg database:
#   1. `make install DESTDIR PREFIX=/usr` installs exactly the expected
#      files with the expected modes and contents; PREFIX=/usr/local moves
#      the unit and the paths it and the plugin file name; installing into
#      the live system (over an empty /etc in a private mount namespace)
#      keeps a configuration file the admin edited;
#   2. the man page is valid gzip, renders without a groff warning, and
#      documents every flag of --help (and no flag --help lacks);
#   3. the unit has the required settings and none that would break the
#      audit socket; systemd-analyze verifies it without a word;
#   4. `make deb`: control fields, Depends covering every library the
#      binary links (found through dpkg -S, not dpkg-shlibdeps) and
#      satisfied here, conffiles, the file list;
#   5. the .deb installed into a scratch root (dpkg --root, maintainer
#      scripts chrootless under DPKG_ROOT): the state directory is 0700,
#      the installed binary prints the Makefile's version, and, started the
#      way the unit starts it (its ExecStart, its capability bounding set,
#      no_new_privs), replays the fixture log to the workload's own answer;
#      purge leaves nothing behind.
# The auditd plugin file is checked when packaging/audit_exporter.plugin.conf
# exists, and must then be installed, inactive.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/unit_lib.sh"
ae_need_root # setpriv's bounding set and the priv drop; dpkg --root
for t in dpkg dpkg-deb gzip setpriv; do
	command -v $t >/dev/null || ae_skip "$t is not installed"
done

cd "$AE_ROOT" || ae_fail "cannot cd to $AE_ROOT"
fx=$AE_ROOT/tests/fixtures
version=$(sed -n 's/^VERSION := *//p' Makefile)
[ -n "$version" ] || ae_fail "no VERSION in the Makefile"
plugin=packaging/audit_exporter.plugin.conf
# the release binary whatever the caller's SANITIZE; MAKEFLAGS would pass it on
mk() { env -u MAKEFLAGS -u MAKELEVEL make --no-print-directory SANITIZE= "$@"; }

# ---- 1. make install ---------------------------------------------------------
st=$ae_tmp/stage
mk install DESTDIR="$st" PREFIX=/usr >"$ae_tmp/install.log" 2>&1 ||
	ae_fail "make install failed: $(tail -n 5 "$ae_tmp/install.log")"
{
	echo "755 usr/bin/audit_exporter"
	echo "644 usr/share/man/man1/audit_exporter.1.gz"
	echo "644 lib/systemd/system/audit_exporter.service"
	echo "644 etc/audit_exporter/audit_exporter.rules"
	echo "644 etc/default/audit_exporter"
	echo "644 usr/share/audit_exporter/rules.d/audit_exporter.rules"
	for f in dashboards/*.json alerts/*.yml; do
		[ -f "$f" ] && echo "644 usr/share/audit_exporter/$f"
	done
	[ -f "$plugin" ] && echo "640 etc/audit/plugins.d/audit_exporter.conf"
} | sort >"$ae_tmp/files.want"
(cd "$st" && find . -type f -printf '%m %P\n' | sort) >"$ae_tmp/files.got"
diff -u "$ae_tmp/files.want" "$ae_tmp/files.got" >&2 ||
	ae_fail "make install: files or modes differ (- expected, + installed)"
bad_dirs=$(cd "$st" && find . -mindepth 1 -type d -printf '%m %P\n' |
	grep -v '^755 ' | grep -v '^750 etc/audit$' | grep -v '^750 etc/audit/plugins.d$')
[ -z "$bad_dirs" ] || ae_fail "directory modes: $bad_dirs"
cmp -s audit_exporter "$st/usr/bin/audit_exporter" || ae_fail "binary differs"
cmp -s packaging/audit_exporter.rules "$st/etc/audit_exporter/audit_exporter.rules" ||
	ae_fail "installed rules differ from packaging/audit_exporter.rules"
# plugin mode: the same rules for auditd's rules.d, installed outside it
# (inactive) and in a form auditctl -R accepts as augenrules would give it
# (no -D, -e or -b of their own to clash with the admin's)
ad=$st/usr/share/audit_exporter/rules.d/audit_exporter.rules
cmp -s packaging/audit_exporter.rules "$ad" ||
	ae_fail "rules for auditd differ from packaging/audit_exporter.rules"
[ ! -e "$st/etc/audit/rules.d" ] || ae_fail "make install put files into /etc/audit/rules.d"
grep -Eq '^-(D|e|b|f|r)( |$)' "$ad" && ae_fail "rules for auditd change auditd's own settings"
for f in dashboards/*.json alerts/*.yml; do
	[ -f "$f" ] || continue
	cmp -s "$f" "$st/usr/share/audit_exporter/$f" || ae_fail "$f differs"
done
grep -qx 'ARGS=""' "$st/etc/default/audit_exporter" ||
	ae_fail "/etc/default/audit_exporter does not set ARGS"
if [ -f "$plugin" ]; then
	pc=$st/etc/audit/plugins.d/audit_exporter.conf
	grep -Eqx 'active *= *no' "$pc" || ae_fail "plugin file is not inactive"
	grep -Eqx 'path *= */usr/bin/audit_exporter' "$pc" ||
		ae_fail "plugin file does not run /usr/bin/audit_exporter"
	grep -Eqx 'args *= *.*--audit.source=plugin.*' "$pc" ||
		ae_fail "plugin file does not use --audit.source=plugin"
	grep -Eqx 'format *= *string' "$pc" || ae_fail "plugin file: format is not string"
	grep -q '/usr/share/audit_exporter/rules.d/audit_exporter.rules' "$pc" ||
		ae_fail "plugin file does not say where auditd's rules are"
else
	ae_log "note: $plugin does not exist yet; plugin checks skipped"
fi

unit=$st/lib/systemd/system/audit_exporter.service
execstart=$(unit_vals "$unit" ExecStart)
case $execstart in
"/usr/bin/audit_exporter "*"--audit.rules.file=/etc/audit_exporter/audit_exporter.rules"*"--sketch.key-file=/var/lib/audit_exporter/sketch.key"*' $ARGS') ;;
*) ae_fail "unit ExecStart: $execstart" ;;
esac

# a local prefix: the unit goes where systemd reads local units
mk install DESTDIR="$ae_tmp/local" PREFIX=/usr/local >"$ae_tmp/install2.log" 2>&1 ||
	ae_fail "make install PREFIX=/usr/local failed: $(tail -n 5 "$ae_tmp/install2.log")"
lunit=$ae_tmp/local/usr/local/lib/systemd/system/audit_exporter.service
[ -f "$lunit" ] || ae_fail "PREFIX=/usr/local: no unit in /usr/local/lib/systemd/system"
[ ! -e "$ae_tmp/local/lib" ] || ae_fail "PREFIX=/usr/local installed into /lib"
case $(unit_vals "$lunit" ExecStart) in
"/usr/local/bin/audit_exporter "*) ;;
*) ae_fail "PREFIX=/usr/local: ExecStart is $(unit_vals "$lunit" ExecStart)" ;;
esac
if [ -f "$plugin" ]; then
	grep -Eqx 'path *= */usr/local/bin/audit_exporter' \
		"$ae_tmp/local/etc/audit/plugins.d/audit_exporter.conf" ||
		ae_fail "PREFIX=/usr/local: the plugin file names another binary"
fi

# ---- 1b. into the live system: configuration files are the admin's --------
# In a private mount namespace over an empty /etc (the host's /etc is never
# touched), with PREFIX in the test's directory: an existing /etc/audit
# keeps its mode, an edited file is kept with ours beside it as .dist, an
# unchanged one gets no .dist.
lp=$ae_tmp/live/usr
cat >"$ae_tmp/live.sh" <<EOF
set -eu
mount -t tmpfs -o mode=0755 ae_etc /etc
mkdir -m 0700 /etc/audit
packaging/install.sh "" "$lp" "$version" >/dev/null
echo '# edited by the admin' >>/etc/default/audit_exporter
cp /etc/default/audit_exporter "$ae_tmp/live.edited"
packaging/install.sh "" "$lp" "$version" >"$ae_tmp/live.out"
cd /etc && find . -mindepth 1 -printf '%m %P\n' | sort >"$ae_tmp/live.etc"
cp /etc/default/audit_exporter "$ae_tmp/live.default"
cp /etc/default/audit_exporter.dist "$ae_tmp/live.dist"
EOF
if unshare -m --propagation private true 2>/dev/null; then
	unshare -m --propagation private sh "$ae_tmp/live.sh" 2>"$ae_tmp/live.err" ||
		ae_fail "live install: $(cat "$ae_tmp/live.err")"
	{
		echo "644 audit_exporter/audit_exporter.rules"
		echo "644 default/audit_exporter"
		echo "644 default/audit_exporter.dist"
		echo "755 audit_exporter"
		echo "755 default"
		if [ -f "$plugin" ]; then
			echo "640 audit/plugins.d/audit_exporter.conf"
			echo "700 audit"
			echo "750 audit/plugins.d"
		else
			echo "700 audit"
		fi
	} | sort >"$ae_tmp/live.want"
	diff -u "$ae_tmp/live.want" "$ae_tmp/live.etc" >&2 ||
		ae_fail "live install: /etc differs (- expected, + installed)"
	cmp -s "$ae_tmp/live.edited" "$ae_tmp/live.default" ||
		ae_fail "live install overwrote the admin's /etc/default/audit_exporter"
	cmp -s packaging/audit_exporter.default "$ae_tmp/live.dist" ||
		ae_fail "live install: the .dist file is not ours"
	grep -q 'KEEP.*/etc/default/audit_exporter' "$ae_tmp/live.out" ||
		ae_fail "live install did not say it kept /etc/default/audit_exporter"
	for f in bin/audit_exporter lib/systemd/system/audit_exporter.service; do
		[ -f "$lp/$f" ] || ae_fail "live install: no $lp/$f"
	done
else
	ae_log "note: unshare -m is not allowed here; live install not checked"
fi

# ---- 2. the man page -------------------------------------------------------
man=$st/usr/share/man/man1/audit_exporter.1.gz
gzip -t "$man" || ae_fail "man page: not valid gzip"
if command -v groff >/dev/null; then
	gzip -dc "$man" | groff -man -Tascii -P-cbou -ww >"$ae_tmp/man.txt" \
		2>"$ae_tmp/man.err" || ae_fail "groff failed"
	[ ! -s "$ae_tmp/man.err" ] || ae_fail "groff warnings: $(cat "$ae_tmp/man.err")"
	grep -q "audit_exporter $version" "$ae_tmp/man.txt" ||
		ae_fail "man page does not carry version $version"
	"$st/usr/bin/audit_exporter" --help | sed -n 's/^  \(--[^= ]*\).*/\1/p' |
		sort -u >"$ae_tmp/help.flags"
	[ "$(grep -c '' "$ae_tmp/help.flags")" -ge 20 ] ||
		ae_fail "found only $(grep -c '' "$ae_tmp/help.flags") flags in --help"
	sed -n 's/^       \(--[^= ]*\).*/\1/p' "$ae_tmp/man.txt" | sort -u >"$ae_tmp/man.flags"
	missing=$(comm -23 "$ae_tmp/help.flags" "$ae_tmp/man.flags" | tr '\n' ' ')
	[ -z "$missing" ] || ae_fail "flags of --help missing from the man page: $missing"
	extra=$(comm -13 "$ae_tmp/help.flags" "$ae_tmp/man.flags" | tr '\n' ' ')
	[ -z "$extra" ] || ae_fail "man page describes flags --help lacks: $extra"
else
	ae_log "note: groff is not installed (groff-base); man page not rendered"
fi

# ---- 3. the unit -----------------------------------------------------------
for kv in Type=simple Restart=on-failure NoNewPrivileges=yes \
	AmbientCapabilities= ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
	PrivateDevices=yes ProtectKernelTunables=yes ProtectKernelModules=yes \
	ProtectControlGroups=yes ProtectClock=yes ProtectHostname=yes \
	RestrictNamespaces=yes RestrictRealtime=yes RestrictSUIDSGID=yes \
	LockPersonality=yes MemoryDenyWriteExecute=yes \
	SystemCallArchitectures=native SystemCallFilter=@system-service \
	StateDirectory=audit_exporter StateDirectoryMode=0700 \
	EnvironmentFile=-/etc/default/audit_exporter \
	'ExecReload=/bin/kill -HUP $MAINPID'; do
	got=$(unit_vals "$unit" "${kv%%=*}")
	[ "$got" = "${kv#*=}" ] || ae_fail "unit: ${kv%%=*} is '$got', want '${kv#*=}'"
done
for k in MemoryMax TasksMax; do
	[ -n "$(unit_vals "$unit" $k)" ] || ae_fail "unit: no $k"
done
words() { tr ' ' '\n' | grep -v '^$' | sort | tr '\n' ' '; }
got=$(unit_vals "$unit" RestrictAddressFamilies | words)
[ "$got" = "AF_INET AF_INET6 AF_NETLINK AF_UNIX " ] ||
	ae_fail "unit: RestrictAddressFamilies=$got"
caps=$(unit_vals "$unit" CapabilityBoundingSet)
for c in CAP_AUDIT_CONTROL CAP_AUDIT_READ CAP_SETUID CAP_SETGID; do
	case " $caps " in *" $c "*) ;; *) ae_fail "unit: $c not in the bounding set" ;; esac
done
# would cut the exporter off the audit socket, or run it as someone else
for k in PrivateUsers PrivateNetwork ProtectProc ProcSubset User DynamicUser; do
	[ -z "$(unit_vals "$unit" $k)" ] || ae_fail "unit sets $k"
done
if command -v systemd-analyze >/dev/null; then
	# the staged binary stands in for /usr/bin/audit_exporter
	sed "s|/usr/bin/audit_exporter|$st/usr/bin/audit_exporter|" "$unit" \
		>"$ae_tmp/audit_exporter.service"
	out=$(systemd-analyze verify --man=no "$ae_tmp/audit_exporter.service" 2>&1) ||
		ae_fail "systemd-analyze verify: $out"
	[ -z "$out" ] || ae_fail "systemd-analyze verify: $out"
	exposure=$(systemd-analyze security --offline=yes --no-pager \
		"$ae_tmp/audit_exporter.service" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	# 2.7 before issue 21/22: CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH
	# (--audit.resolve-sockets: reading other users' /proc/PID/fd to find
	# an event's socket) cost 0.4, CAP_CHOWN (the state directory handed
	# to --runas.user's group at start, for the baseline's saves) 0.2;
	# all but the first two are gone after the privilege drop
	awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 3.3) }' ||
		ae_fail "systemd-analyze security: exposure '$exposure', want <= 3.3"
	ae_log "unit: systemd-analyze verify clean, exposure $exposure"
else
	ae_log "note: systemd-analyze is not installed (systemd); unit not verified"
fi

# ---- 4. make deb -------------------------------------------------------------
arch=$(dpkg --print-architecture)
deb=$AE_ROOT/build/deb/audit-exporter_${version}_$arch.deb
rm -f "$deb"
mk deb >"$ae_tmp/deb.log" 2>&1 || ae_fail "make deb failed: $(tail -n 5 "$ae_tmp/deb.log")"
[ -f "$deb" ] || ae_fail "make deb did not build $deb"
dpkg-deb --info "$deb" >/dev/null || ae_fail "dpkg-deb --info failed"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = audit-exporter ] || ae_fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || ae_fail "Version: $(field Version)"
[ "$(field Architecture)" = "$arch" ] || ae_fail "Architecture: $(field Architecture)"
case $(field Maintainer) in *'<'*@*'>') ;; *) ae_fail "Maintainer: $(field Maintainer)" ;; esac
[ -n "$(field Description)" ] || ae_fail "no Description"
depends=$(field Depends)
# every library the binary needs must come from a package in Depends ...
dep_names=$(printf '%s\n' "$depends" | tr ',' '\n' | sed 's/^ *//; s/[ :(].*//')
readelf -d audit_exporter | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' >"$ae_tmp/needed"
[ -s "$ae_tmp/needed" ] || ae_fail "readelf found no NEEDED libraries"
while read -r so; do
	path=$(ldd audit_exporter | awk -v s="$so" '$1 == s { print $3 }')
	[ -n "$path" ] || ae_fail "ldd cannot resolve $so"
	owner=$( (dpkg -S "$path" 2>/dev/null || dpkg -S "$(realpath "$path")") |
		head -n 1 | sed 's/[:,].*//')
	[ -n "$owner" ] || ae_fail "no package owns $path"
	printf '%s\n' "$dep_names" | grep -qx "$owner" ||
		ae_fail "$so comes from $owner, which Depends ($depends) lacks"
done <"$ae_tmp/needed"
# ... and Depends must hold on this machine, where the binary runs
printf '%s\n' "$depends" | tr ',' '\n' | sed 's/^ *//' | while read -r d; do
	name=${d%% *}
	have=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null) ||
		ae_fail "Depends on $name, which is not installed here"
	case $d in
	*"(>= "*)
		want=$(printf '%s\n' "$d" | sed 's/.*(>= \(.*\))/\1/')
		dpkg --compare-versions "$have" ge "$want" ||
			ae_fail "Depends $d, but $name $have is installed"
		;;
	esac
done || exit 1
dpkg-deb --ctrl-tarfile "$deb" | tar -x -O ./conffiles | sort >"$ae_tmp/conffiles.got"
grep ' etc/' "$ae_tmp/files.want" | sed 's|^[0-9]* |/|' | sort >"$ae_tmp/conffiles.want"
diff -u "$ae_tmp/conffiles.want" "$ae_tmp/conffiles.got" >&2 || ae_fail "conffiles differ"
for s in postinst prerm postrm; do
	dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -qx "./$s" || ae_fail "no $s"
	# beside auditd the package stays inactive: no maintainer script starts,
	# restarts or reloads auditd, runs augenrules/auditctl or edits its plugins
	dpkg-deb --ctrl-tarfile "$deb" | tar -x -O "./$s" | grep -v '^[[:space:]]*#' |
		grep -En 'auditd|augenrules|auditctl|plugins\.d|rules\.d|active' >&2 &&
		ae_fail "$s touches auditd, its rules or its plugins"
done
{
	sed 's/^[0-9]* //' "$ae_tmp/files.want"
	printf '%s\n' usr/share/doc/audit-exporter/copyright \
		usr/share/doc/audit-exporter/changelog.gz \
		usr/share/doc/audit-exporter/README.md
} | sort >"$ae_tmp/deb.want"
dpkg-deb --contents "$deb" | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print $6 }' |
	sort >"$ae_tmp/deb.got"
diff -u "$ae_tmp/deb.want" "$ae_tmp/deb.got" >&2 || ae_fail "package files differ"
dpkg-deb --contents "$deb" | awk '$2 != "root/root" { print; bad = 1 } END { exit bad }' >&2 ||
	ae_fail "files in the package not owned by root"

# ---- 5. installed into a scratch root ----------------------------------------
r=$ae_tmp/root
mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates"
: >"$r/var/lib/dpkg/status"
dpkg_r() {
	dpkg --root="$r" --force-script-chrootless --force-depends --log=/dev/null "$@" \
		>>"$ae_tmp/dpkg.log" 2>&1 || ae_fail "dpkg $*: $(tail -n 5 "$ae_tmp/dpkg.log")"
}
dpkg_r -i "$deb"
# installed, the plugin file is still inactive and the rules for auditd
# are still outside rules.d (postinst activated nothing)
grep -Eqx 'active *= *no' "$r/etc/audit/plugins.d/audit_exporter.conf" ||
	ae_fail "after dpkg -i the plugin file is not inactive"
cmp -s packaging/audit_exporter.rules "$r/usr/share/audit_exporter/rules.d/audit_exporter.rules" ||
	ae_fail "after dpkg -i the rules for auditd differ from packaging/audit_exporter.rules"
[ ! -e "$r/etc/audit/rules.d" ] || ae_fail "dpkg -i put files into /etc/audit/rules.d"
[ "$(stat -c %a "$r/var/lib/audit_exporter" 2>/dev/null)" = 700 ] ||
	ae_fail "postinst did not create /var/lib/audit_exporter 0700"
bin=$r/usr/bin/audit_exporter
"$bin" --version >"$ae_tmp/version" || ae_fail "installed binary: --version failed"
case $(cat "$ae_tmp/version") in
"audit_exporter version $version "*) ;;
*) ae_fail "installed binary says '$(cat "$ae_tmp/version")', want version $version" ;;
esac

# the unit's command line and privileges, with its paths in the scratch root
# and a replay in ARGS, which comes last and so overrides the key and rules
args=$(unit_vals "$r/lib/systemd/system/audit_exporter.service" ExecStart |
	sed -e "s|/usr/bin/|$r/usr/bin/|" -e "s|=/etc/|=$r/etc/|" -e "s|=/var/|=$r/var/|")
ARGS="--audit.source=file --audit.file=$fx/workload.log --once"
ARGS="$ARGS --sketch.key-file=$fx/sketch.key --audit.rules.file=$fx/workload.rules"
sp=$(unit_setpriv_opts "$unit") || ae_fail "unit: no CapabilityBoundingSet"
# shellcheck disable=SC2086
setpriv $sp ${args%\$ARGS} $ARGS >"$ae_tmp/replay.prom" 2>"$ae_tmp/replay.err" ||
	ae_fail "installed binary under the unit's bounding set: $(cat "$ae_tmp/replay.err")"
ae_check_expect "$ae_tmp/replay.prom" "$fx/workload.expect" ||
	ae_fail "installed binary's replay does not match the workload's answer"
[ ! -e "$r/var/lib/audit_exporter/sketch.key" ] ||
	ae_fail "ARGS did not override the unit's --sketch.key-file"
"$bin" --audit.source=file --audit.file="$fx/workload.log" --once \
	--audit.rules.file="$r/etc/audit_exporter/audit_exporter.rules" \
	--sketch.key-file="$fx/sketch.key" --log.level=error >/dev/null ||
	ae_fail "installed binary rejects the installed rules file"

dpkg_r -P audit-exporter
left=$(cd "$r" && find . -mindepth 1 -not -path './var/lib/dpkg*' \
	-not -path ./var -not -path ./var/lib -not -path ./var/lib/systemd)
[ -z "$left" ] || ae_fail "purge left: $left"

echo "package: $(grep -c '' "$ae_tmp/deb.want") files, $(grep -c "" "$ae_tmp/needed") linked libraries covered by Depends, $(grep -c '' "$ae_tmp/help.flags" 2>/dev/null || echo 0) flags in the man page"
