#!/bin/bash
# Verify throughput with keys served by the real DNS server (BIND on loopback): Milters with its resolver
# cache on and off, OpenDKIM verifying DKIM as the peer (libunbound, which always caches). 4 KB messages,
# each signed once up front and then verified COUNT times; every reply must carry a passing result.
#   COUNT=2000 CONCURRENCY=1,8 bench/scripts/verify-dns.sh
. "$(dirname "$0")/lib.sh"
COUNT=${COUNT:-2000}
DURATION=${DURATION:-15s}
CONCURRENCY=${CONCURRENCY:-1,8}
SIZES=${SIZES:-4k}
OUTFILE=${OUTFILE:-$RESULTS/verify.jsonl}
prepare
start_opendkim od-tcp tcp s "$OD_PORT"
start_opendkim od-verify tcp v "$OD_VERIFY_PORT"
write_milters_config verify-signer "inet:18916@127.0.0.1" '["DomainKeys"]'
write_milters_config verify-cached "inet:18914@127.0.0.1" '["DomainKeys", "AuthResults"]' true v
write_milters_config verify-uncached "inet:18915@127.0.0.1" '["DomainKeys", "AuthResults"]' false v
start_milters verify-signer; start_milters verify-cached; start_milters verify-uncached
trap 'stop_milters verify-signer; stop_milters verify-cached; stop_milters verify-uncached; stop_opendkim od-verify; stop_opendkim od-tcp' EXIT
common=(--connections "$CONCURRENCY" --count "$COUNT" --duration "$DURATION" --sizes "$SIZES" --traffic verify
        --client-addr 192.0.2.1 --quiet --json "$OUTFILE")
run() { log "$*"; "$LOADGEN" "$@" "${common[@]}" || true; }
# Steady state first (warm, lib.sh).
for port in 18914 18915; do
  warm "inet:$port@127.0.0.1" --traffic verify --prime-header DomainKey-Signature --prime-socket inet:18916@127.0.0.1 --client-addr 192.0.2.1
done
run --label "Milters (DNS cache on)" --socket inet:18914@127.0.0.1 --prime-header DomainKey-Signature \
    --prime-socket inet:18916@127.0.0.1 --expect-header Authentication-Results --expect-contains domainkeys=pass
run --label "Milters (DNS cache off)" --socket inet:18915@127.0.0.1 --prime-header DomainKey-Signature \
    --prime-socket inet:18916@127.0.0.1 --expect-header Authentication-Results --expect-contains domainkeys=pass
run --label "OpenDKIM (libunbound cache)" --socket "inet:$OD_VERIFY_PORT@127.0.0.1" --prime-header DKIM-Signature \
    --prime-socket "inet:$OD_PORT@127.0.0.1" --expect-header Authentication-Results --expect-contains dkim=pass
grep -c . "$WORK/dns/query.log" 2>/dev/null | sed 's/^/[bench] DNS queries logged by BIND: /' >&2 || true
