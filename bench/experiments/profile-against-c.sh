#!/bin/bash
# Where Milters spends more than the smallest C signing milter (bench/NullMilter with a key), binary by binary:
# perf samples (cpu-clock, 2,999 Hz) in each process over the same COUNT messages, 4 KB signing, c=8, TCP, one
# connection per message (PER_CONNECTION=0: persistent), after warm-up. Milters runs with Listen:EventLoops=LOOPS (1:
# one serving thread, as the C program has). Same messages, same key: equal libcrypto samples mean equal RSA work,
# and what is left over is the managed layer and the runtime. The data stay in WORK/against-c-*.data.
#   SKIP_BUILD=1 bench/experiments/profile-against-c.sh          (needs perf)
. "$(dirname "$0")/../scripts/lib.sh"
set +e
COUNT=${COUNT:-10000}
LOOPS=${LOOPS:-1}
PER_CONNECTION=${PER_CONNECTION:-1}
C_SIGN_PORT=${C_SIGN_PORT:-18918}
prepare
build_c_milter
"$WORK/null-milter" "$C_SIGN_PORT" "$WORK/$SELECTOR.key.pem" & c_pid=$!
write_milters_config against-c "inet:$MILTERS_PORT@127.0.0.1" '["DomainKeys"]'
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
MILTERS_Listen__EventLoops=$LOOPS start_milters against-c
pid=$(cat "$WORK/against-c/milters.pid")
trap 'stop_milters against-c; kill $c_pid 2>/dev/null' EXIT
warm "inet:$MILTERS_PORT@127.0.0.1"; warm "inet:$C_SIGN_PORT@127.0.0.1"
for target in "$pid|inet:$MILTERS_PORT@127.0.0.1|milters" "$c_pid|inet:$C_SIGN_PORT@127.0.0.1|c"; do
  IFS='|' read -r p socket name <<<"$target"
  perf record -F 2999 -p "$p" -o "$WORK/against-c-$name.data" >/dev/null 2>&1 &
  recorder=$!
  sleep 0.5
  "$LOADGEN" --socket "$socket" --connections 8 --count "$COUNT" --per-connection "$PER_CONNECTION" --quiet >/dev/null
  kill -INT "$recorder"; wait "$recorder"
  echo "== $name: samples per binary over $COUNT messages (perf's sample count, then µs per message at 2,999 Hz)"
  perf report -i "$WORK/against-c-$name.data" -n --no-children --sort dso 2>/dev/null | grep -v '^#' | grep -v '^$' | head -8 \
    | awk -v n="$COUNT" '{ printf "  %8d  %6.1f µs  %s\n", $2, $2 / 2999 / n * 1e6, $3 " " $4 " " $5 }'
done
