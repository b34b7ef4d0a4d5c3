#!/bin/bash
# What a second serving thread costs per message on this machine, without any RSA to hide it: Milters with no plugins
# on one event loop and on two, against the C null milter as one process and as two sharing the listening socket
# (their CPU summed). CPU per message inside the filter, c=8, COUNT messages one connection per message, ROUNDS rounds.
#   SKIP_BUILD=1 bench/experiments/serving-threads.sh
. "$(dirname "$0")/../scripts/lib.sh"
set +e
COUNT=${COUNT:-16000}
ROUNDS=${ROUNDS:-3}
prepare
build_c_milter
"$WORK/null-milter" 18919 & null1=$!
"$WORK/null-milter" 18917 - 2 & null2=$!
write_milters_config threads-2 "inet:$MILTERS_PORT@127.0.0.1" '[]'
mkdir -p "$WORK/threads-1"; sed "s/$MILTERS_PORT/18916/" "$WORK/threads-2/milters.json" >"$WORK/threads-1/milters.json"
MILTERS_Listen__EventLoops=2 start_milters threads-2
MILTERS_Listen__EventLoops=1 start_milters threads-1
trap 'stop_milters threads-1; stop_milters threads-2; kill $null1 $null2 2>/dev/null' EXIT
cpu_all() { local s=0 p; for p in $1 $(pgrep -P "$1"); do s=$((s + $(cpu_of "$p"))); done; echo "$s"; }
targets=("$(cat "$WORK/threads-2/milters.pid")|inet:$MILTERS_PORT@127.0.0.1|Milters, 2 loops"
         "$(cat "$WORK/threads-1/milters.pid")|inet:18916@127.0.0.1|Milters, 1 loop"
         "$null1|inet:18919@127.0.0.1|C null milter, 1 process"
         "$null2|inet:18917@127.0.0.1|C null milter, 2 processes")
for t in "${targets[@]}"; do IFS='|' read -r _ socket _ <<<"$t"; warm "$socket"; done
for round in $(seq 1 "$ROUNDS"); do
  for t in "${targets[@]}"; do
    IFS='|' read -r p socket name <<<"$t"
    c0=$(cpu_all "$p")
    "$LOADGEN" --socket "$socket" --connections 8 --count "$COUNT" --per-connection 1 --quiet >/dev/null
    c1=$(cpu_all "$p")
    echo "[threads] round $round $name: $(python3 -c "print(f'{($c1 - $c0) / $(getconf CLK_TCK) * 1e6 / $COUNT:.1f}')") µs CPU per message"
  done
done
