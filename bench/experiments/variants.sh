#!/bin/bash
# Several filters side by side, alternating rounds, one line per filter and round. Each argument is NAME|ENV…:
# a Milters process started with those environment variables, or, when NAME is C1, C2, …, the C signing milter
# (bench/NullMilter) with that many processes (their CPU summed). 4 KB signing, TCP, after warm-up.
#   MODE=cpu (default): CPU per message inside the filter, c=C (8), COUNT messages, one connection per message
#     (PER_CONNECTION=1; 0 = persistent), with context switches per message and the closed-loop rate;
#   MODE=latency: end-of-message p50/p99/max at an open-loop RATE over 16 connections, one connection per message
#     (pick half of this machine's saturation rate, as half-load.sh does).
# Build the variant switches first, e.g. `git apply bench/experiments/end-of-message-inline.patch && dotnet build
# Milters.sln -c Release`, then:
#   bench/experiments/variants.sh 'C1|' 'A|' 'inline|MILTERS_EOM_INLINE=1' \
#     'one-loop|MILTERS_EOM_INLINE=1 DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT=1'
. "$(dirname "$0")/../scripts/lib.sh"
MODE=${MODE:-cpu}
ROUNDS=${ROUNDS:-5}
COUNT=${COUNT:-8000}
C=${C:-8}
PER_CONNECTION=${PER_CONNECTION:-1}
RATE=${RATE:-1500}
port=${VARIANTS_PORT:-18940}
prepare
build_c_milter

names=() c_pids=()
for v in "$@"; do
  name=${v%%|*} envs=${v#*|}
  names+=("$name")
  mkdir -p "$WORK/v-$name"
  echo "inet:$port@127.0.0.1" >"$WORK/v-$name/socket"
  if [[ $name =~ ^C[0-9]+$ ]]; then
    "$WORK/null-milter" "$port" "$WORK/$SELECTOR.key.pem" "${name#C}" &
    echo $! >"$WORK/v-$name/milters.pid"; c_pids+=($!)
  else
    write_milters_config "v-$name" "inet:$port@127.0.0.1" '["DomainKeys"]'
    env $envs bash -c ". '$ROOT/bench/scripts/lib.sh'; start_milters v-$name" >/dev/null
  fi
  port=$((port + 1))
done
trap 'for n in "${names[@]}"; do [[ $n =~ ^C[0-9]+$ ]] || stop_milters "v-$n"; done; kill "${c_pids[@]}" 2>/dev/null' EXIT

header() { [[ $1 =~ ^C[0-9]+$ ]] && echo X-Null || echo DomainKey-Signature; }
# The C milter's workers are children of the first process.
cpu_all() { local t=0 p; for p in "$1" $(pgrep -P "$1"); do t=$((t + $(cpu_of "$p"))); done; echo "$t"; }
switches_all() { local p; for p in "$1" $(pgrep -P "$1"); do cat /proc/"$p"/task/*/status; done 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s + 0}'; }

for n in "${names[@]}"; do
  s=$(cat "$WORK/v-$n/socket")
  warm "$s"; warm "$s" --per-connection 0
done
ticks=$(getconf CLK_TCK)
for round in $(seq 1 "$ROUNDS"); do
  for n in "${names[@]}"; do
    s=$(cat "$WORK/v-$n/socket") pid=$(cat "$WORK/v-$n/milters.pid")
    if [ "$MODE" = latency ]; then
      "$LOADGEN" --socket "$s" --connections 16 --rate "$RATE" --count 10000 --expect-header "$(header "$n")" --quiet --json - | grep '^{' |
        python3 -c "import json,sys; r=json.load(sys.stdin); l=r['eomLatencyMs']; print(f\"[latency] round $round $n at {r['okPerSecond']:,.0f} msg/s: p50 {l['p50']} ms, p99 {l['p99']} ms, max {l['max']} ms, errors {r['errors']}\")"
    else
      c0=$(cpu_all "$pid") s0=$(switches_all "$pid")
      out=$("$LOADGEN" --socket "$s" --connections "$C" --count "$COUNT" --per-connection "$PER_CONNECTION" --expect-header "$(header "$n")" --quiet --json - | grep '^{')
      c1=$(cpu_all "$pid") s1=$(switches_all "$pid")
      echo "$out" | python3 -c "import json,sys; r=json.load(sys.stdin); print(f\"[cpu] round $round $n c=$C per-connection=$PER_CONNECTION: {($c1-$c0)/$ticks*1000/$COUNT:.3f} ms CPU/message, {($s1-$s0)/$COUNT:.2f} context switches/message, {r['okPerSecond']:,.0f} msg/s closed loop, errors {r['errors']}\")"
    fi
  done
done
