#!/bin/bash
# Two builds at the same open-loop rate, alternating: is a change in the half-load tail the build or the machine?
# This build and BASELINE (an older build's milters binary, same plugins) over a unix socket and over TCP, both warmed,
# 16 connections, one per message, 4 KB signing, ROUNDS rounds; one line of end-of-message percentiles per run.
#   BASELINE=/path/to/old/milters SKIP_BUILD=1 UNIX_RATE=1780 TCP_RATE=1650 bench/experiments/same-rate-builds.sh
. "$(dirname "$0")/../scripts/lib.sh"
set +e
[ -n "$BASELINE" ] || { echo "BASELINE=/path/to/an/older/build/milters is required" >&2; exit 2; }
UNIX_RATE=${UNIX_RATE:-1780}
TCP_RATE=${TCP_RATE:-1650}
ROUNDS=${ROUNDS:-4}
prepare
write_milters_config now-tcp "inet:$MILTERS_PORT@127.0.0.1" '["DomainKeys"]'
write_milters_config now-unix "unix:$WORK/milters.sock" '["DomainKeys"]'
write_milters_config before-tcp "inet:$BASELINE_PORT@127.0.0.1" '["DomainKeys"]'
write_milters_config before-unix "unix:$WORK/milters-before.sock" '["DomainKeys"]'
start_milters now-tcp; start_milters now-unix; start_milters before-tcp "$BASELINE"; start_milters before-unix "$BASELINE"
trap 'stop_milters now-tcp; stop_milters now-unix; stop_milters before-tcp; stop_milters before-unix' EXIT
for s in "inet:$MILTERS_PORT@127.0.0.1" "unix:$WORK/milters.sock" "inet:$BASELINE_PORT@127.0.0.1" "unix:$WORK/milters-before.sock"; do warm "$s"; done
run() {
  "$LOADGEN" --socket "$2" --expect-header DomainKey-Signature --connections 16 --rate "$3" --count 10000 --quiet --json - \
    | grep '^{' | LABEL="$1" python3 -c '
import json, os, sys
r = json.load(sys.stdin); e = r["eomLatencyMs"]
print("%-7s %-5s %s msg/s: eom p50 %.2f p90 %.2f p99 %.2f p999 %.2f max %.2f ms; errors %s" % (os.environ["LABEL"], r["transport"], r["rate"], e["p50"], e["p90"], e["p99"], e["p999"], e["max"], r["errors"]))'
}
for round in $(seq 1 "$ROUNDS"); do
  # Who goes first alternates, so that a machine slowing down within a round does not always fall on one build.
  if [ $((round % 2)) = 1 ]; then order="now before"; else order="before now"; fi
  for build in $order; do
    if [ "$build" = now ]; then run now "unix:$WORK/milters.sock" "$UNIX_RATE"; run now "inet:$MILTERS_PORT@127.0.0.1" "$TCP_RATE"
    else run before "unix:$WORK/milters-before.sock" "$UNIX_RATE"; run before "inet:$BASELINE_PORT@127.0.0.1" "$TCP_RATE"; fi
  done
done
