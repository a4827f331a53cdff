#!/bin/sh
# audit_user_info in a replay: the names come from the log, never from this
# host. tests/fixtures/users_enriched.log (hand-written, auditd's ENRICHED
# format) names uid 1001 alice and auid 1002 bob after its 0x1d; its uid 0
# event is RAW, so uid 0 gets no line although this host's NSS knows root.
# The RAW workload fixture, which has uid 0 and 65534 in it, gives no
# info line at all.
set -u
. "$(dirname "$0")/../integration/lib.sh"
fx=$AE_ROOT/tests/fixtures
replay() { # log out: the --once exposition of a replay of log
	"$AE_BIN" --baseline.file= --audit.source=file --audit.file="$1" --once \
		--log.level=error --runas.user= \
		--sketch.key-file="$fx/sketch.key" --no-audit.rules.load >"$2" ||
		ae_fail "replay of $1 failed"
}
replay "$fx/users_enriched.log" "$ae_tmp/enriched.prom"
grep '^audit_user_info{' "$ae_tmp/enriched.prom" | sort >"$ae_tmp/got"
cat >"$ae_tmp/want" <<'EXP'
audit_user_info{uid="1001",user="alice"} 1
audit_user_info{uid="1002",user="bob"} 1
EXP
diff -u "$ae_tmp/want" "$ae_tmp/got" || ae_fail "ENRICHED names not as logged"
ae_promtool_check "$ae_tmp/enriched.prom"

replay "$fx/workload.log" "$ae_tmp/raw.prom"
grep -q '^audit_exporter_scrape_collector_success{collector="users"} 1$' \
	"$ae_tmp/raw.prom" || ae_fail "users collector not on in the RAW replay"
if grep '^audit_user_info{' "$ae_tmp/raw.prom"; then
	ae_fail "a RAW replay named uids through this host's NSS"
fi
echo "users in replay: the log's names only"
