#!/bin/bash
# Two Milters processes side by side, the default transport (A) and one started with B_ENV (default
# MILTERS_THREADS=connection, what thread-per-connection.patch reads), alternating rounds:
#   1. CPU per message inside the filter, c=64 and c=8, one connection per message and persistent (4 KB signing,
#      8,000 messages, after 20,000 warm-up messages), as in bench/scripts/ceiling.sh;
#   2. end-of-message latency at a fixed open-loop rate over 16 connections, one connection per message,
#      TCP (RATE_TCP, default 2000 msg/s) and unix socket (RATE_UNIX, default 2200), as in half-load.sh.
# A build without the patch runs both as the default transport (an A/A run: the instrument's noise).
#   git apply bench/experiments/thread-per-connection.patch && dotnet build Milters.sln -c Release
#   bench/experiments/compare-transports.sh
. "$(dirname "$0")/../scripts/lib.sh"
B_ENV=${B_ENV:-MILTERS_THREADS=connection}
ROUNDS=${ROUNDS:-2}
RATE_TCP=${RATE_TCP:-2000}
RATE_UNIX=${RATE_UNIX:-2200}
make_key 2048
start_dns
write_milters_config a-tcp "inet:$MILTERS_PORT@127.0.0.1" '["DomainKeys"]'
write_milters_config b-tcp "inet:$BASELINE_PORT@127.0.0.1" '["DomainKeys"]'
write_milters_config a-unix "unix:$WORK/a.sock" '["DomainKeys"]'
write_milters_config b-unix "unix:$WORK/b.sock" '["DomainKeys"]'
start_milters a-tcp; start_milters a-unix
env $B_ENV bash -c ". '$ROOT/bench/scripts/lib.sh'; start_milters b-tcp; start_milters b-unix"
trap 'for n in a-tcp b-tcp a-unix b-unix; do stop_milters $n; done' EXIT

for name in a-tcp b-tcp a-unix b-unix; do "$LOADGEN" --socket "$(milters_socket $name)" --connections 8 --count 20000 --quiet >/dev/null; done

for round in $(seq 1 "$ROUNDS"); do
  for name in a-tcp b-tcp; do
    pid=$(cat "$WORK/$name/milters.pid")
    for c in 64 8; do for mode in 1 0; do
      c0=$(cpu_of "$pid")
      rate=$("$LOADGEN" --socket "$(milters_socket $name)" --connections $c --count 8000 --per-connection $mode --expect-header DomainKey-Signature \
             --quiet --json - | grep '^{' | python3 -c 'import json,sys; print(json.load(sys.stdin)["okPerSecond"])')
      c1=$(cpu_of "$pid")
      python3 -c "print(f'[cpu] round $round ${name%-tcp} c=$c per-connection=$mode: {($c1-$c0)/$(getconf CLK_TCK)*1000/8000:.3f} ms CPU/message, $rate msg/s closed loop')"
    done; done
  done
  for name in a-tcp b-tcp a-unix b-unix; do
    rate=$RATE_TCP; [ "${name#*-}" = unix ] && rate=$RATE_UNIX
    "$LOADGEN" --socket "$(milters_socket $name)" --connections 16 --rate "$rate" --count 10000 --expect-header DomainKey-Signature \
      --quiet --json - | grep '^{' | python3 -c "import json,sys; r=json.load(sys.stdin); l=r['eomLatencyMs']; print(f\"[latency] round $round $name at {r['okPerSecond']:,.0f} msg/s: p50 {l['p50']} ms, p99 {l['p99']} ms, max {l['max']} ms, errors {r['errors']}\")"
  done
done
