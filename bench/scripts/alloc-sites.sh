#!/bin/bash
# Allocation sites of Milters signing or verifying 4 KB messages: warms a fresh process up, traces GC
# AllocationTick events (dotnet-trace) during COUNT messages, and prints the top sites with
# bench/AllocSites/alloc-sites.cs. Verify traffic goes through DomainKeys and AuthResults (keys from BIND).
#   TRAFFIC=sign|verify PER_CONNECTION=0|1 COUNT=20000 TOP=30 bench/scripts/alloc-sites.sh
# Needs dotnet-trace (`dotnet tool install --tool-path /tmp/dotnet-tools dotnet-trace`, or on PATH).
. "$(dirname "$0")/lib.sh"
COUNT=${COUNT:-20000}
PER_CONNECTION=${PER_CONNECTION:-0}
TOP=${TOP:-30}
TRAFFIC=${TRAFFIC:-sign}
TRACE=${TRACE:-$(command -v dotnet-trace || echo /tmp/dotnet-tools/dotnet-trace)}
prepare
if [ "$TRAFFIC" = verify ]; then
  write_milters_config alloc-sites "inet:$MILTERS_PORT@127.0.0.1" '["DomainKeys", "AuthResults"]'
  traffic=("${SELF_PRIMED_VERIFY[@]}")
else
  write_milters_config alloc-sites "inet:$MILTERS_PORT@127.0.0.1" '["DomainKeys"]'
  traffic=(--traffic sign --expect-header DomainKey-Signature)
fi
start_milters alloc-sites
trap 'stop_milters alloc-sites; "$PEERS/dns.sh" stop --dir "$WORK/dns" >&2 || true' EXIT
pid=$(cat "$WORK/alloc-sites/milters.pid")
socket=$(milters_socket alloc-sites)
"$LOADGEN" --socket "$socket" --connections 8 --count 20000 --warmup 0 --quiet "${traffic[@]}" >/dev/null
out=$WORK/alloc-sites.nettrace; rm -f "$out"
# GC keyword (0x1) at verbose level (5) carries AllocationTick; the session ends by its own --duration.
"$TRACE" collect -p "$pid" --providers Microsoft-Windows-DotNETRuntime:0x1:5 --duration 00:00:00:20 -o "$out" >/dev/null 2>&1 &
tp=$!; sleep 3
"$LOADGEN" --socket "$socket" --connections 8 --count "$COUNT" --warmup 0 --per-connection "$PER_CONNECTION" "${traffic[@]}"
wait "$tp" || true
log "per message: divide the sampled total by $COUNT"
dotnet run "$ROOT/bench/AllocSites/alloc-sites.cs" "$out" "" "$TOP"
