#!/bin/bash
# Soak: the Release host with DomainKeys signing + AuthResults under a bounded load from the load generator
# (a connection per message, as Postfix opens one per SMTP session), sampling the host's RSS, open file
# descriptors (/proc/PID/fd) and threads every SAMPLE seconds. They must stay flat.
#   COUNT=1000000 DURATION=15m CONCURRENCY=8 bench/scripts/soak.sh
# Writes bench/results/soak.samples.tsv (time, messages so far, rss kB, fds, threads) and bench/results/soak.json
# (the load generator's summary line), and prints start / end / peak of each figure.
. "$(dirname "$0")/lib.sh"
COUNT=${COUNT:-1000000}
DURATION=${DURATION:-15m}
CONCURRENCY=${CONCURRENCY:-8}
SIZES=${SIZES:-1k:40,4k:40,64k:15,1m:5}
SAMPLE=${SAMPLE:-5}
PORT=${SOAK_PORT:-18940}
SAMPLES=$RESULTS/soak.samples.tsv
SUMMARY=$RESULTS/soak.json
[ "${SKIP_BUILD:-}" = 1 ] || build
make_key 2048
write_milters_config soak "inet:$PORT@127.0.0.1" '["DomainKeys", "AuthResults"]' true s
# Metrics summary every minute: connections open must come back to 0, errors stay 0.
sed -i 's/"Logging": {/"Metrics": { "SummaryInterval": "00:01:00" },\n  "Logging": {/; s/"Default": "Warning"/"Default": "Warning", "Milters.Host.Metrics": "Information"/' "$WORK/soak/milters.json"
start_milters soak
PID=$(cat "$WORK/soak/milters.pid")
trap 'kill "$SAMPLER" 2>/dev/null || true; stop_milters soak' EXIT

sample() {
  printf '%s\t%s\t%s\t%s\n' "$(date +%s)" \
    "$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status")" \
    "$(ls "/proc/$PID/fd" | wc -l)" \
    "$(awk '/^Threads/ {print $2}' "/proc/$PID/status")"
}
printf 'epoch\trss_kb\tfds\tthreads\n' >"$SAMPLES"
sample >>"$SAMPLES"
( while sleep "$SAMPLE"; do sample >>"$SAMPLES" 2>/dev/null || exit 0; done ) &
SAMPLER=$!
log "soak: pid $PID, load average $(cut -d' ' -f1-3 /proc/loadavg), $COUNT messages or $DURATION, c=$CONCURRENCY, sizes $SIZES"
rm -f "$SUMMARY"
status=0
"$LOADGEN" --socket "inet:$PORT@127.0.0.1" --connections "$CONCURRENCY" --count "$COUNT" --duration "$DURATION" \
  --sizes "$SIZES" --traffic sign --expect-header DomainKey-Signature --timeout 120s --quiet \
  --label "soak" --note "load average at start $(cut -d' ' -f1-3 /proc/loadavg)" --json "$SUMMARY" || status=$?
sleep "$SAMPLE"; sample >>"$SAMPLES"
kill "$SAMPLER" 2>/dev/null || true
log "load average at end $(cut -d' ' -f1-3 /proc/loadavg); loadgen exit $status"
# start (first sample), end (last sample, after the load stopped), peak
awk -F'\t' 'NR==2 {s=$0} NR>1 {e=$0; for (i=2;i<=4;i++) if ($i>p[i]) p[i]=$i; n++}
  END {split(s,a,"\t"); split(e,b,"\t");
       printf "samples %d\nrss_kb start %s end %s peak %s\nfds start %s end %s peak %s\nthreads start %s end %s peak %s\n",
         n, a[2], b[2], p[2], a[3], b[3], p[3], a[4], b[4], p[4]}' "$SAMPLES" | tee "$RESULTS/soak.summary.txt"
stop_milters soak # its last summary line (after the load) must say "0 open"
grep 'metrics for the last' "$WORK/soak/milters.log" | tail -2 >>"$RESULTS/soak.summary.txt" || true
printf 'error/critical log lines: %s\n' "$(grep -cE ' (fail|crit): ' "$WORK/soak/milters.log")" >>"$RESULTS/soak.summary.txt" || true
cat "$SUMMARY"
exit $status
