#!/bin/bash
# Eighth session, docs/BENCHMARKS.md 0i. Pinned vs unpinned CPU per message: Milters and the C signing milter, loadgen on CPU 0, filter on CPU 1.
. "$(dirname "$0")/../scripts/lib.sh"
make_key 2048 >/dev/null; start_dns >/dev/null
build_c_milter >/dev/null 2>&1 || true
ls $WORK/null-milter >/dev/null || exit 1
"$WORK/null-milter" 18931 "$WORK/$SELECTOR.key.pem" & c_pid=$!
write_milters_config pin "inet:$MILTERS_PORT@127.0.0.1" '["DomainKeys"]'
start_milters pin
trap 'stop_milters pin; kill $c_pid' EXIT
m_pid=$(cat "$WORK/pin/milters.pid")
ticks=$(getconf CLK_TCK)
"$LOADGEN" --socket "inet:$MILTERS_PORT@127.0.0.1" --connections 8 --count 20000 --quiet >/dev/null
"$LOADGEN" --socket "inet:$MILTERS_PORT@127.0.0.1" --connections 8 --count 20000 --per-connection 0 --quiet >/dev/null
"$LOADGEN" --socket "inet:18931@127.0.0.1" --connections 8 --count 5000 --quiet >/dev/null
one() { # label pid socket pinned mode
  local pre=""
  if [ "$4" = pinned ]; then taskset -a -p -c 1 "$2" >/dev/null; pre="taskset -c 0"; else taskset -a -p -c 0,1 "$2" >/dev/null; fi
  local c0=$(cpu_of "$2")
  local rate=$($pre "$LOADGEN" --socket "$3" --connections 8 --count 8000 --per-connection $5 --quiet --json - | grep '^{' | python3 -c 'import json,sys; print(json.load(sys.stdin)["okPerSecond"])')
  local c1=$(cpu_of "$2")
  python3 -c "print(f'$1 $4 per-connection=$5: {($c1-$c0)/$ticks*1000/8000:.3f} ms CPU/message, $rate msg/s')"
}
for round in 1 2; do
  for p in unpinned pinned; do
    for mode in 1 0; do
      one Milters $m_pid "inet:$MILTERS_PORT@127.0.0.1" $p $mode
      one C-signing $c_pid "inet:18931@127.0.0.1" $p $mode
    done
  done
done
