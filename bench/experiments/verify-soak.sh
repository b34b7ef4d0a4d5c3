#!/bin/bash
# Verification for a while with the DNS cache off (every message's key and SPF record asked of BIND, answers
# finishing messages on the resolver's threads): the whole chain (DomainKeys + SenderId + AuthResults) at c=16,
# one connection per message and persistent in turn, every reply checked for domainkeys=pass. Afterwards the
# host's log must hold nothing above Information — the eighteenth session's verify run lost one connection in
# 2,000 to a race between those threads and the connection's (docs/RELIABILITY.md).
#   ROUNDS=3 DURATION=60s bench/experiments/verify-soak.sh
. "$(dirname "$0")/../scripts/lib.sh"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-60s}
CONCURRENCY=${CONCURRENCY:-16}
prepare
write_milters_config vsoak "inet:18919@127.0.0.1" '["DomainKeys", "SenderId", "AuthResults"]' false v
write_milters_config vsoak-signer "inet:18918@127.0.0.1" '["DomainKeys"]'
start_milters vsoak; start_milters vsoak-signer
trap 'stop_milters vsoak; stop_milters vsoak-signer' EXIT
for round in $(seq 1 "$ROUNDS"); do
  for per in 1 0; do
    "$LOADGEN" --socket inet:18919@127.0.0.1 --label "verify soak, per-connection $per" --traffic verify --client-addr 192.0.2.1 \
      --prime-header DomainKey-Signature --prime-socket inet:18918@127.0.0.1 --sizes 1k:50,4k:40,64k:10 --seed "$round" \
      --expect-header Authentication-Results --expect-contains domainkeys=pass \
      --connections "$CONCURRENCY" --per-connection "$per" --count 100000000 --duration "$DURATION" --quiet | grep -v '^primed' || true
  done
done
above=$(grep -cE '^[0-9T:.-]+ (warn|fail|crit):' "$WORK/vsoak/milters.log" || true)
log "host log lines above Information: $above"
grep -E '^[0-9T:.-]+ (warn|fail|crit):' "$WORK/vsoak/milters.log" | grep -v 'is not read' | head -5 || true
