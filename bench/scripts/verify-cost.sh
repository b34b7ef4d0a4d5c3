#!/bin/bash
# CPU per verified message inside one Milters process (DomainKeys + AuthResults, 4 KB, key from BIND, cached),
# persistent connections and one connection per message, c=8, ROUNDS rounds each after a warm-up; then, with
# RATE set, end-of-message latency at that open-loop rate over 16 connections, one connection per message.
#   MILTERS=/path/to/milters ROUNDS=2 RATE=3000 bench/scripts/verify-cost.sh
. "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-2}
COUNT=${COUNT:-20000}
prepare
write_milters_config verify-cost "inet:$MILTERS_PORT@127.0.0.1" '["DomainKeys", "AuthResults"]'
start_milters verify-cost
trap 'stop_milters verify-cost; "$PEERS/dns.sh" stop --dir "$WORK/dns" >&2 || true' EXIT
pid=$(cat "$WORK/verify-cost/milters.pid")
socket=$(milters_socket verify-cost)
traffic=("${SELF_PRIMED_VERIFY[@]}" --quiet)
"$LOADGEN" --socket "$socket" --connections 8 --count 30000 --warmup 0 "${traffic[@]}" >/dev/null
ticks=$(getconf CLK_TCK)
for round in $(seq 1 "$ROUNDS"); do
  for pc in 0 1; do
    before=$(cpu_of "$pid")
    line=$("$LOADGEN" --socket "$socket" --connections 8 --count "$COUNT" --warmup 0 --per-connection "$pc" "${traffic[@]}")
    after=$(cpu_of "$pid")
    awk -v b="$before" -v a="$after" -v t="$ticks" -v n="$COUNT" -v pc="$pc" -v r="$round" -v rate="$(sed -n 's/.* = \([0-9.]*\) msg\/s.*/\1/p' <<<"$line")" \
      'BEGIN { printf "[verify-cost] round %d per-connection=%d: %.0f us CPU/message, %s msg/s closed loop\n", r, pc, (a-b)/t*1e6/n, rate }'
  done
done
if [ -n "${RATE:-}" ]; then
  for round in $(seq 1 "$ROUNDS"); do
    "$LOADGEN" --socket "$socket" --connections 16 --count 10000 --warmup 0 --per-connection 1 --rate "$RATE" "${traffic[@]}" |
      sed "s|^|[verify-cost] round $round at $RATE msg/s: |"
  done
fi
