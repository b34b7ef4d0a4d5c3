#!/bin/bash
# p99 end-of-message latency at half load, 4 KB signing: first the saturation rate (closed loop, 64
# connections), then an open-loop run at half that rate over 16 connections, one connection per message.
# Each filter first gets WARMUP messages (default 20000; OpenDKIM too, for symmetry).
# Milters over TCP and over a unix socket; as peers over both: OpenDKIM, and the C reference signing milter
# (bench/NullMilter with a key, one single-threaded process per core: the least latency a signing milter can
# have on this machine, measured with the same instrument).
. "$(dirname "$0")/lib.sh"
COUNT=${COUNT:-10000}
OUTFILE=${OUTFILE:-$RESULTS/half-load.jsonl}
prepare
start_opendkim od-tcp tcp s "$OD_PORT"
start_opendkim od-unix unix s
build_c_milter
C_SIGN_PORT=${C_SIGN_PORT:-18918}
"$WORK/null-milter" "$C_SIGN_PORT" "$WORK/$SELECTOR.key.pem" "$(nproc)" & c_tcp=$!
"$WORK/null-milter" "$WORK/c-sign.sock" "$WORK/$SELECTOR.key.pem" "$(nproc)" & c_unix=$!
write_milters_config milters-tcp "inet:$MILTERS_PORT@127.0.0.1" '["DomainKeys"]'
write_milters_config milters-unix "unix:$WORK/milters.sock" '["DomainKeys"]'
start_milters milters-tcp; start_milters milters-unix
trap 'kill $c_tcp $c_unix 2>/dev/null; stop_milters milters-tcp; stop_milters milters-unix; stop_milters before-tcp; stop_milters before-unix; stop_opendkim od-tcp; stop_opendkim od-unix' EXIT
if [ -n "$BASELINE" ]; then
  write_milters_config before-tcp "inet:$BASELINE_PORT@127.0.0.1" '["DomainKeys"]'
  write_milters_config before-unix "unix:$WORK/milters-before.sock" '["DomainKeys"]'
  start_milters before-tcp "$BASELINE"; start_milters before-unix "$BASELINE"
fi
half() { # LABEL SOCKET HEADER
  local sat
  # Steady state: a fresh .NET process JIT-compiles its hot paths again (tiering) for about its first 15,000
  # messages, on a background thread that competes for the two cores.
  "$LOADGEN" --socket "$2" --connections 8 --count "${WARMUP:-20000}" --quiet >/dev/null 2>&1 || true
  sat=$("$LOADGEN" --label "$1" --socket "$2" --expect-header "$3" --connections 64 --count "$COUNT" --duration 20s \
        --quiet --json - | grep '^{' | python3 -c 'import json,sys; print(json.load(sys.stdin)["okPerSecond"])')
  local rate; rate=$(python3 -c "print(round($sat / 2))")
  log "$1 over $2: saturation $sat msg/s, half load $rate msg/s"
  "$LOADGEN" --label "$1" --socket "$2" --expect-header "$3" --connections 16 --rate "$rate" --count "$COUNT" \
    --duration 30s --quiet --json "$OUTFILE" --note "half of saturation $sat msg/s" || true
}
half Milters "inet:$MILTERS_PORT@127.0.0.1" DomainKey-Signature
half Milters "unix:$WORK/milters.sock" DomainKey-Signature
if [ -n "$BASELINE" ]; then
  half "Milters (before)" "inet:$BASELINE_PORT@127.0.0.1" DomainKey-Signature
  half "Milters (before)" "unix:$WORK/milters-before.sock" DomainKey-Signature
fi
half "C signing milter" "inet:$C_SIGN_PORT@127.0.0.1" X-Null
half "C signing milter" "unix:$WORK/c-sign.sock" X-Null
half OpenDKIM "inet:$OD_PORT@127.0.0.1" DKIM-Signature
half OpenDKIM "unix:$WORK/od-unix.sock" DKIM-Signature
