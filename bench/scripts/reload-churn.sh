#!/bin/bash
# SIGHUP churn: N reloads (default 300) of a running host with DomainKeys signing, a few messages after every
# tenth, sampling RSS, open descriptors and threads every hundred. Each reload builds a new generation
# (configuration, key table, resolver, plugin services) and the old one is left to the connections that still
# use it and then to the GC; this checks that nothing of it stays behind (descriptors, threads, memory).
#   N=300 bench/scripts/reload-churn.sh
. "$(dirname "$0")/lib.sh"
N=${N:-300}
PORT=${CHURN_PORT:-18924}
prepare
write_milters_config churn "inet:$PORT@127.0.0.1" '["DomainKeys"]'
# Information level: each reload logs one "reloaded" line, counted at the end.
sed -i 's/"Default": "Warning"/"Default": "Information"/' "$WORK/churn/milters.json"
start_milters churn
trap 'stop_milters churn' EXIT
pid=$(cat "$WORK/churn/milters.pid")
sample() { printf '[churn] %-18s rss %s kB, descriptors %s, threads %s\n' "$1" "$(awk '/VmRSS/ {print $2}' /proc/$pid/status)" "$(ls /proc/$pid/fd | wc -l)" "$(ls /proc/$pid/task | wc -l)"; }
"$LOADGEN" --socket "inet:$PORT@127.0.0.1" --connections 4 --count 2000 --expect-header DomainKey-Signature --quiet >/dev/null
sample "before"
for i in $(seq 1 "$N"); do
  kill -HUP "$pid"; sleep 0.05
  if [ $((i % 10)) = 0 ]; then
    "$LOADGEN" --socket "inet:$PORT@127.0.0.1" --connections 2 --count 20 --warmup 0 --expect-header DomainKey-Signature --quiet >/dev/null \
      || { log "messages failed after reload $i"; exit 1; }
  fi
  [ $((i % 100)) = 0 ] && sample "after $i reloads"
done
sleep 2; sample "end"
printf '[churn] %s reloads logged, %s error lines\n' "$(grep -c 'reloaded' "$WORK/churn/milters.log")" "$(grep -cE '^[^ ]+ (fail|crit):' "$WORK/churn/milters.log" || true)"
