#!/bin/bash
# The whole chain (DomainKeys + SenderId + AuthResults, SPF against BIND) under a mixed size load
# (1 KB … 10 MB), sign and verify traffic, with OpenDKIM signing the same mix as the peer.
#   COUNT=500 CONCURRENCY=8 bench/scripts/full-chain.sh
. "$(dirname "$0")/lib.sh"
COUNT=${COUNT:-500}
DURATION=${DURATION:-60s}
CONCURRENCY=${CONCURRENCY:-8}
MIX=${MIX:-1k:50,4k:30,64k:15,1m:4,10m:1}
OUTFILE=${OUTFILE:-$RESULTS/full-chain.jsonl}
prepare
start_opendkim od-tcp tcp s "$OD_PORT"
write_milters_config chain "inet:18917@127.0.0.1" '["DomainKeys", "SenderId", "AuthResults"]'
write_milters_config chain-signer "inet:18918@127.0.0.1" '["DomainKeys"]'
start_milters chain; start_milters chain-signer
trap 'stop_milters chain; stop_milters chain-signer; stop_opendkim od-tcp' EXIT
common=(--connections "$CONCURRENCY" --count "$COUNT" --duration "$DURATION" --sizes "$MIX" --quiet --json "$OUTFILE")
run() { log "$*"; "$LOADGEN" "$@" "${common[@]}" || true; }
run --label "Milters full chain" --socket inet:18917@127.0.0.1 --traffic sign --expect-header DomainKey-Signature
run --label "OpenDKIM" --socket "inet:$OD_PORT@127.0.0.1" --traffic sign --expect-header DKIM-Signature
run --label "Milters full chain" --socket inet:18917@127.0.0.1 --traffic verify --client-addr 192.0.2.1 \
    --prime-header DomainKey-Signature --prime-socket inet:18918@127.0.0.1 \
    --expect-header Authentication-Results --expect-contains domainkeys=pass
