#!/bin/bash
# Milters (DomainKeys plugin) against OpenDKIM signing 4 KB messages with the same 2048-bit key, under the
# same load generator settings, at each concurrency, over TCP and over unix sockets. Appends JSON lines
# to $RESULTS/signing.jsonl and draws docs/signing.png.
#   COUNT=2000 DURATION=20s CONCURRENCY=1,8,64 SIZES=4k bench/scripts/signing-comparison.sh
# LOADGEN_ARGS="--write-per-command --no-nodelay" writes as Postfix and Sendmail do (a write per frame, Nagle on)
# instead of the generator's batched writes with TCP_NODELAY; it goes to every run. TITLE names the chart.
. "$(dirname "$0")/lib.sh"
COUNT=${COUNT:-2000}
DURATION=${DURATION:-20s}
CONCURRENCY=${CONCURRENCY:-1,8,64}
SIZES=${SIZES:-4k}
PLUGINS=${PLUGINS:-'["DomainKeys"]'}
OUTFILE=${OUTFILE:-$RESULTS/signing.jsonl}
prepare
start_opendkim od-tcp tcp s "$OD_PORT"
start_opendkim od-unix unix s
write_milters_config milters-tcp "inet:$MILTERS_PORT@127.0.0.1" "$PLUGINS"
write_milters_config milters-unix "unix:$WORK/milters.sock" "$PLUGINS"
start_milters milters-tcp
start_milters milters-unix
trap 'stop_milters milters-tcp; stop_milters milters-unix; stop_milters before-tcp; stop_milters before-unix; stop_opendkim od-tcp; stop_opendkim od-unix' EXIT
if [ -n "$BASELINE" ]; then
  write_milters_config before-tcp "inet:$BASELINE_PORT@127.0.0.1" "$PLUGINS"
  write_milters_config before-unix "unix:$WORK/milters-before.sock" "$PLUGINS"
  start_milters before-tcp "$BASELINE"; start_milters before-unix "$BASELINE"
fi

# Steady state first (warm, lib.sh).
warm "inet:$MILTERS_PORT@127.0.0.1"; warm "unix:$WORK/milters.sock"
[ -z "$BASELINE" ] || { warm "inet:$BASELINE_PORT@127.0.0.1"; warm "unix:$WORK/milters-before.sock"; }

od_version=$(opendkim -V 2>/dev/null | head -1 || echo opendkim)
read -r -a extra <<<"${LOADGEN_ARGS:-}"
common=(--connections "$CONCURRENCY" --count "$COUNT" --duration "$DURATION" --sizes "$SIZES" --traffic sign --quiet --json "$OUTFILE" "${extra[@]}")
run() { log "$*"; "$LOADGEN" "$@" "${common[@]}" || true; }
for round in ${ROUNDS:-1}; do
  run --label OpenDKIM --socket "inet:$OD_PORT@127.0.0.1" --expect-header DKIM-Signature --note "$od_version, 2048-bit, relaxed/relaxed rsa-sha256"
  run --label Milters --socket "inet:$MILTERS_PORT@127.0.0.1" --expect-header DomainKey-Signature --note "plugins $PLUGINS, 2048-bit, nofws rsa-sha1"
  [ -z "$BASELINE" ] || run --label "Milters (before)" --socket "inet:$BASELINE_PORT@127.0.0.1" --expect-header DomainKey-Signature --note "$BASELINE, plugins $PLUGINS, 2048-bit, nofws rsa-sha1"
  run --label OpenDKIM --socket "unix:$WORK/od-unix.sock" --expect-header DKIM-Signature --note "$od_version, 2048-bit, relaxed/relaxed rsa-sha256"
  run --label Milters --socket "unix:$WORK/milters.sock" --expect-header DomainKey-Signature --note "plugins $PLUGINS, 2048-bit, nofws rsa-sha1"
  [ -z "$BASELINE" ] || run --label "Milters (before)" --socket "unix:$WORK/milters-before.sock" --expect-header DomainKey-Signature --note "$BASELINE, plugins $PLUGINS, 2048-bit, nofws rsa-sha1"
done
"$LOADGEN" chart --out "${CHART:-$ROOT/docs/signing.png}" --traffic sign --sizes "$SIZES" \
  --title "${TITLE:-signing $SIZES messages: messages/s (higher is better)}" "$OUTFILE"
