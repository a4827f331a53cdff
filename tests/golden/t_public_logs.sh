#!/bin/sh
# Replays every public audit log in ../shared/public-audit-logs (other
# projects' test logs; not part of this repository, so a clone without
# ../shared skips) the three ways (three_ways.sh: no crash, the same
# exposition from file, `stdin <` and `cat |`), checks each with promtool,
# and accounts for every line: each non-blank line is counted either as a
# record (audit_records_total) or as a parse error with a reason
# (audit_exporter_parse_errors_total{reason}). .gz logs are unpacked to a
# temporary file first.
set -u
. "$(dirname "$0")/../integration/lib.sh"
dir=${AE_PUBLIC_LOGS:-$AE_ROOT/../shared/public-audit-logs}
[ -d "$dir" ] || ae_skip "no public audit logs in $dir (a clone has no ../shared)"
sum() { # file metric: the sum of every sample of the metric
	awk -v m="$2" '(index($0, m "{") == 1 || index($0, m " ") == 1) {
		s += $NF
	} END { printf "%d\n", s }' "$1"
}
n=0 bad=0
for src in "$dir"/*.log "$dir"/*.log.gz; do
	[ -f "$src" ] || continue
	name=$(basename "$src")
	log=$src
	n=$((n + 1))
	case $src in
	*.gz)
		log=$ae_tmp/${name%.gz}
		gzip -dc "$src" >"$log" || ae_fail "$name: cannot unpack"
		;;
	esac
	prom=$ae_tmp/$name.prom
	if ! "$AE_ROOT/tests/golden/three_ways.sh" "$log" "$prom"; then
		bad=$((bad + 1))
		continue
	fi
	ae_promtool_check "$prom"
	# a line is nothing when it is empty once one trailing CR is removed
	lines=$(awk '{ sub(/\r$/, "") } length($0) { n++ } END { print n + 0 }' "$log")
	recs=$(sum "$prom" audit_records_total)
	errs=$(sum "$prom" audit_exporter_parse_errors_total)
	if [ $((recs + errs)) -ne "$lines" ]; then
		ae_log "$name: $lines lines, but $recs records and $errs parse errors"
		bad=$((bad + 1))
	fi
	[ "$log" = "$src" ] || rm -f "$log"
done
[ "$n" -gt 0 ] || ae_skip "no logs in $dir"
[ "$bad" -eq 0 ] || ae_fail "$bad of the public logs break an invariant"
echo "public logs: $n replayed the three ways, every line accounted for"
