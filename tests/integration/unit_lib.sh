# Helpers for the tests of the systemd unit (packaging/audit_exporter.service);
# sourced after lib.sh, never run. systemd does not run here, so the tests
# read the unit and recreate what it sets up: the capability bounding set
# (setpriv) and the system call filter (systemd-analyze's expansion of it).

# The values of KEY in the unit's [Service] section, continuation lines
# joined, one a line.
unit_vals() { # file key
	sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta' "$1" |
		awk -v k="$2" '/^\[/ { s = $0 }
			s == "[Service]" && index($0, k "=") == 1 {
				print substr($0, length(k) + 2) }'
}

# The unit's CapabilityBoundingSet as setpriv(1) options: that set and
# nothing else, nothing inheritable, no_new_privs (NoNewPrivileges=yes).
unit_setpriv_opts() { # file
	set -- "$(unit_vals "$1" CapabilityBoundingSet | tr 'A-Z ' 'a-z\n' |
		sed -n 's/^cap_/+/p' | tr '\n' ',')"
	[ -n "$1" ] || return 1
	printf '%s\n' "--bounding-set=-all,${1%,} --inh-caps=-all --no-new-privs"
}

# Every system call the unit's SystemCallFilter allows, one a line, sorted.
# Only allow lists are understood; a ~deny list returns 1.
unit_syscalls() { # file
	set -- "$(unit_vals "$1" SystemCallFilter)"
	case $1 in "" | "~"*) return 1 ;; esac
	for s in $1; do
		unit_syscall_expand "$s"
	done | sort -u
}

unit_syscall_expand() { # @group or name
	case $1 in
	@*)
		systemd-analyze syscall-filter "$1" |
			awk 'NR > 1 && NF && $1 !~ /^#/ { print $1 }' |
			while read -r m; do
				unit_syscall_expand "$m"
			done
		;;
	*) printf '%s\n' "$1" ;;
	esac
}
