#!/bin/bash
# Per-message cost inside a running filter process: CPU seconds (user+system) and bytes allocated
# (dotnet-counters, .NET processes only; CPU alone from /proc for others) over one load generator run.
#   bench/scripts/measure-cost.sh PID LOADGEN-ARGS...      (the run's --count is the divisor)
# The counters session lasts COUNTERS_SECONDS (default 30): keep the run (warm-up included) shorter.
# dotnet-counters is stopped by its own --duration: a killed session stays registered in the target
# process and blocks every later one.
. "$(dirname "$0")/lib.sh"
pid=$1; shift
count=$(printf '%s\n' "$@" | awk 'p {print; exit} /^--count$/ {p=1}')
COUNTERS=${COUNTERS:-$(command -v dotnet-counters || echo /tmp/dotnet-tools/dotnet-counters)}
capture=""
exe=$(basename "$(readlink "/proc/$pid/exe")")
if [ -x "$COUNTERS" ] && { [ "$exe" = dotnet ] || [ "$exe" = milters ]; }; then
  capture=$WORK/counters-$$.json; rm -f "$capture"
  "$COUNTERS" collect -p "$pid" --counters System.Runtime --format json -o "$capture" --refresh-interval 1 \
    --duration "00:00:00:${COUNTERS_SECONDS:-30}" >/dev/null 2>&1 &
  cpid=$!; sleep 3
fi
before=$(cpu_of "$pid")
"$LOADGEN" "$@" --quiet
after=$(cpu_of "$pid")
ticks=$(getconf CLK_TCK)
awk -v b="$before" -v a="$after" -v t="$ticks" -v n="$count" \
  'BEGIN { s=(a-b)/t; printf "[cost] process CPU %.2f s for %d messages = %.3f ms/message = %.0f messages per CPU-second\n", s, n, s*1000/n, (s>0? n/s : 0) }'
if [ -n "$capture" ]; then
  wait "$cpid" 2>/dev/null || true
  printf '[cost] '; python3 "$(dirname "$0")/cpu-alloc.py" "$capture" "$count"
fi
