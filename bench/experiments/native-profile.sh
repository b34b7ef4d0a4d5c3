#!/bin/bash
# Where the host's CPU goes, native and managed frames together: perf record -g on a warmed-up Milters (DomainKeys
# signing, 4 KB, c=8, TCP) for COUNT messages on persistent connections, then COUNT one connection per message.
# The JIT's perf map (DOTNET_PerfMapEnabled) names managed frames; W^X off so their addresses are the mapped ones.
# Prints CPU per message (perf adds ~15 %) and the share of samples per binary; the data stay in WORK/perf-*.data
# for `perf report -i …`.   bench/experiments/native-profile.sh     (needs perf; SKIP_BUILD=1 to use the build as is)
. "$(dirname "$0")/../scripts/lib.sh"
set +e
COUNT=${COUNT:-16000}
prepare
write_milters_config profile "inet:$MILTERS_PORT@127.0.0.1" '["DomainKeys"]'
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
start_milters profile
pid=$(cat "$WORK/profile/milters.pid")
trap 'stop_milters profile' EXIT
socket="inet:$MILTERS_PORT@127.0.0.1"
warm "$socket"; warm "$socket" --per-connection 0
for mode in 0 1; do
  name=$([ "$mode" = 0 ] && echo persistent || echo one-per-message)
  perf record -F 2999 -g -p "$pid" -o "$WORK/perf-$name.data" >/dev/null 2>&1 &
  recorder=$!
  sleep 0.5
  c0=$(cpu_of "$pid")
  "$LOADGEN" --socket "$socket" --connections 8 --count "$COUNT" --per-connection "$mode" --expect-header DomainKey-Signature --quiet
  c1=$(cpu_of "$pid")
  kill -INT "$recorder"; wait "$recorder"
  echo "== $name: $(python3 -c "print(f'{($c1-$c0)/$(getconf CLK_TCK)*1000/$COUNT:.3f}')") ms CPU per message under perf"
  perf report -i "$WORK/perf-$name.data" --no-children -g none --sort dso 2>/dev/null | grep -v '^#' | grep -v '^$' | head -6
  perf report -i "$WORK/perf-$name.data" --no-children -g none --sort dso,sym 2>/dev/null | grep -F '[JIT]' | head -5
done
