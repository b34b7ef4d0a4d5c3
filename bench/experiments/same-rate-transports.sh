#!/bin/bash
# Is the unix socket's tail at half load the rate or the path? Milters over TCP and over a unix socket, both warmed, at
# the same open-loop rate (RATE msg/s, 16 connections, one per message, 4 KB signing), ROUNDS alternating rounds; one line
# of end-of-message percentiles per run. The unix half load in half-load.sh runs at half of the unix saturation, which is higher.
#   SKIP_BUILD=1 RATE=1780 bench/experiments/same-rate-transports.sh
. "$(dirname "$0")/../scripts/lib.sh"
set +e
RATE=${RATE:-1780}
ROUNDS=${ROUNDS:-3}
prepare
write_milters_config milters-tcp "inet:$MILTERS_PORT@127.0.0.1" '["DomainKeys"]'
write_milters_config milters-unix "unix:$WORK/milters.sock" '["DomainKeys"]'
start_milters milters-tcp; start_milters milters-unix
trap 'stop_milters milters-tcp; stop_milters milters-unix' EXIT
warm "inet:$MILTERS_PORT@127.0.0.1"; warm "unix:$WORK/milters.sock"
for _ in $(seq 1 "$ROUNDS"); do
  for socket in "inet:$MILTERS_PORT@127.0.0.1" "unix:$WORK/milters.sock"; do
    "$LOADGEN" --socket "$socket" --expect-header DomainKey-Signature --connections 16 --rate "$RATE" --count 10000 --quiet --json - \
      | grep '^{' | python3 -c '
import json, sys
r = json.load(sys.stdin); e = r["eomLatencyMs"]
print("%-5s %s msg/s: eom p50 %.2f p90 %.2f p99 %.2f p999 %.2f max %.2f ms; errors %s" % (r["transport"], r["rate"], e["p50"], e["p90"], e["p99"], e["p999"], e["max"], r["errors"]))'
  done
done
