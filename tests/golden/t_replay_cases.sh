#!/bin/sh
# Replays of hand-written logs whose answer is known from how they were
# written (tests/fixtures/replay/NAME.log, NAME.expect), each the three ways
# (file, `stdin <`, `cat |`: three_ways.sh), checked with promtool:
#   reboot_noeoe  an old kernel's log (no EOE) across a reboot that moves
#                 the serial back by 50, twelve hours later: 200 execs, one
#                 reset, nothing late (the timeout ran only between reads,
#                 and the reboot was not seen: 150 execs, 50 late);
#   far_future    connects around one event stamped in year ~31,000,000,
#                 with --metrics.idle-timeout=24h: nothing swept, the
#                 windows hold all 9 destinations (0 connect series, 4);
#   week          a week of log with default flags: day 1's counters stay;
#   nodes         20 node= hosts, one connect each, all serial 700,
#                 interleaved: 20 inet connects (hosts 16-20 shared a slot);
#   first         a log that opens with 194435, then 194433: nothing late;
#   baseline      a minute of learning (--baseline.learning-period=60s),
#                 then two minutes on: of what was seen while learning
#                 (/bin/sh by uid 0, nc to 127.0.0.1:22, sshd on tcp
#                 0.0.0.0:22, named's UDP service on 0.0.0.0:53) nothing
#                 is new again; after it /tmp/.x and /bin/sh for uid 33
#                 are new once each, nc reaches 5 new ports (one of them
#                 twice), ncat on tcp 127.0.0.1:4444 and python3's UDP
#                 service on 127.0.0.1:5353 are new listeners; a failed
#                 execve is not a program, dig's UDP bind to port 0 not a
#                 service (4 listeners held in all).
set -u
. "$(dirname "$0")/../integration/lib.sh"
fx=$AE_ROOT/tests/fixtures/replay
n=0
for log in "$fx"/*.log; do
	name=$(basename "$log" .log)
	flags=""
	[ "$name" = far_future ] && flags=--metrics.idle-timeout=24h
	[ "$name" = baseline ] && flags=--baseline.learning-period=60s
	# shellcheck disable=SC2086
	"$AE_ROOT/tests/golden/three_ways.sh" "$log" "$ae_tmp/$name.prom" $flags ||
		ae_fail "$name: replays differ or failed"
	ae_promtool_check "$ae_tmp/$name.prom"
	ae_check_expect "$ae_tmp/$name.prom" "$fx/$name.expect" ||
		ae_fail "$name: the replay does not match $name.expect"
	n=$((n + 1))
done
[ "$n" -ge 5 ] || ae_fail "only $n fixture logs in $fx"
echo "replay cases: $n logs, each the three ways"
