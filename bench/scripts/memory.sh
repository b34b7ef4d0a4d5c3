#!/bin/bash
# Peak RSS (VmHWM) of a fresh Milters process after it signed, or verified, exactly one message of each
# size, to show that memory does not grow with message size (streaming). The verify messages are signed
# beforehand by a second, long-running instance, so that the measured process sees only the verification.
#   bench/scripts/memory.sh            (sizes: SIZES="4k 1m 100m")
. "$(dirname "$0")/lib.sh"
SIZES=${SIZES:-4k 1m 100m}
MEM_PORT=${MEM_PORT:-18912}
PRIME_PORT=${PRIME_PORT:-18913}
prepare
write_milters_config mem-primer "inet:$PRIME_PORT@127.0.0.1" '["DomainKeys"]'
start_milters mem-primer
trap 'stop_milters mem-primer; stop_milters mem; stop_opendkim od-mem' EXIT
printf '| traffic | message size | peak RSS (VmHWM) | RSS after start-up | loadgen result |\n|---|---|---|---|---|\n'
for traffic in ${TRAFFICS:-sign verify}; do
  for size in $SIZES; do
    if [ "$traffic" = sign ]; then
      write_milters_config mem "inet:$MEM_PORT@127.0.0.1" '["DomainKeys"]'
    else # AuthResults writes the verdict that the load generator checks
      write_milters_config mem "inet:$MEM_PORT@127.0.0.1" '["DomainKeys", "AuthResults"]' true v
    fi
    # start without the readiness probe: the probe itself would be a message
    "$MILTERS" --config "$WORK/mem/milters.json" >"$WORK/mem/milters.log" 2>&1 &
    pid=$!; echo $pid >"$WORK/mem/milters.pid"
    for _ in $(seq 1 100); do ss -ltn 2>/dev/null | grep -q ":$MEM_PORT " && break; sleep 0.1; done
    sleep 0.5
    idle=$(peak_rss "$pid")
    if [ "$traffic" = sign ]; then
      extra=(--expect-header DomainKey-Signature)
    else
      extra=(--prime-header DomainKey-Signature --prime-socket "inet:$PRIME_PORT@127.0.0.1" --client-addr 192.0.2.1
             --expect-header Authentication-Results --expect-contains domainkeys=pass)
    fi
    out=$("$LOADGEN" --socket "inet:$MEM_PORT@127.0.0.1" --label "mem-$traffic" --traffic "$traffic" --sizes "$size" \
          --count 1 --warmup 0 --timeout 300s --quiet --json "$RESULTS/memory.jsonl" "${extra[@]}" 2>&1 | grep -v '^primed' | tail -1 || true)
    peak=$(peak_rss "$pid")
    printf '| %s | %s | %d MB (%d kB) | %d MB | %s |\n' "$traffic" "$size" $((peak / 1024)) "$peak" $((idle / 1024)) "$(echo "$out" | sed 's/.*\]: //; s/|/\//g')"
    stop_milters mem
  done
done
# The peer for comparison (OPENDKIM=0 skips it): a fresh OpenDKIM per size, signing one message.
if [ "${OPENDKIM:-1}" = 1 ]; then
  for size in $SIZES; do
    start_opendkim od-mem tcp s "$OD_PORT"
    pid=$(cat "$WORK/od-mem/opendkim.pid")
    idle=$(peak_rss "$pid")
    out=$("$LOADGEN" --socket "inet:$OD_PORT@127.0.0.1" --label "mem-opendkim-sign" --traffic sign --sizes "$size" \
          --count 1 --warmup 0 --timeout 300s --quiet --json "$RESULTS/memory.jsonl" --expect-header DKIM-Signature 2>&1 | tail -1 || true)
    peak=$(peak_rss "$pid")
    printf '| OpenDKIM sign | %s | %d MB (%d kB) | %d MB | %s |\n' "$size" $((peak / 1024)) "$peak" $((idle / 1024)) "$(echo "$out" | sed 's/.*\]: //; s/|/\//g')"
    stop_opendkim od-mem
  done
fi
