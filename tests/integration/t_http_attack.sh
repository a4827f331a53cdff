#!/bin/sh
# The attacks of issue 19 on the HTTP server, each short and on loopback
# (replay source, no kernel); while each runs, a legitimate scrape from
# another address must get a whole 200 (curl --max-time 5, generous; the
# latency is printed, never asserted):
#   - rate_limit: a client without credentials does not use up the
#     authenticated scraper's tokens.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/http_lib.sh"

for t in curl python3 htpasswd; do
	command -v $t >/dev/null || ae_skip "$t is not installed"
done
fx=$AE_ROOT/tests/fixtures
d=$ae_tmp

# A legitimate scrape from 127.0.0.1: a 200 with the replay's series.
legit() { # what curl-args...
	what=$1
	shift
	out=$(curl -s --max-time 5 -o "$d/m" -w '%{http_code} %{time_total}' \
		"$@" "http://127.0.0.1:$port/metrics") ||
		ae_fail "$what: the legitimate scrape failed (curl $?)"
	set -- $out
	[ "$1" = 200 ] || ae_fail "$what: the legitimate scrape got $1"
	ae_check_expect "$d/m" "$fx/workload.expect" ||
		ae_fail "$what: the legitimate scrape has wrong series"
	echo "latency: $what: legitimate scrape ${2}s"
}

# ---- rate_limit: unauthenticated requests have their own bucket -------------
hash=$(htpasswd -nbB user pass | cut -d: -f2-)
printf 'basic_auth_users:\n  user: %s\nrate_limit:\n  interval: 1h\n  burst: 3\n' \
	"$hash" >"$d/web.yml"
http_replay_start --web.config.file="$d/web.yml"
codes=""
for _ in 1 2 3 4 5 6 7 8; do
	codes="$codes $(curl -s --max-time 20 -o /dev/null -w '%{http_code}' \
		--interface 127.0.0.2 "http://127.0.0.1:$port/metrics")"
done
[ "$codes" = " 401 401 401 429 429 429 429 429" ] ||
	ae_fail "rate_limit, no credentials: statuses$codes"
for i in 1 2 3; do
	legit "rate_limit, authenticated request $i after the flood" -u user:pass
done
code=$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' -u user:pass \
	"http://127.0.0.1:$port/metrics")
[ "$code" = 429 ] || ae_fail "rate_limit, 4th authenticated: status $code"
ae_stop_pid "$pid"
echo "rate_limit: unauthenticated clients do not use the scraper's tokens"

echo "http attacks: legitimate scrapes answered during each"
