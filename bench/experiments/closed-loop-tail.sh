#!/bin/bash
# End-of-message latency at saturation (closed loop, c=8, 4 KB signing, TCP): the tail shows whether one connection can
# keep a serving thread from the others. ROUNDS times persistent connections, then one connection per message.
#   SKIP_BUILD=1 bench/experiments/closed-loop-tail.sh
#   MILTERS_Listen__EventLoops=0 SKIP_BUILD=1 bench/experiments/closed-loop-tail.sh     (.NET's sockets)
. "$(dirname "$0")/../scripts/lib.sh"
set +e
ROUNDS=${ROUNDS:-2}
prepare
write_milters_config tail "inet:$MILTERS_PORT@127.0.0.1" '["DomainKeys"]'
start_milters tail
trap 'stop_milters tail' EXIT
socket="inet:$MILTERS_PORT@127.0.0.1"
warm "$socket"; warm "$socket" --per-connection 0
for _ in $(seq 1 "$ROUNDS"); do
  "$LOADGEN" --socket "$socket" --connections 8 --count 16000 --per-connection 0 --quiet --expect-header DomainKey-Signature
  "$LOADGEN" --socket "$socket" --connections 8 --count 16000 --per-connection 1 --quiet --expect-header DomainKey-Signature
done
