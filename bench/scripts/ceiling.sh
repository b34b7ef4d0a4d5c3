#!/bin/bash
# CPU per signed message inside each filter process, against the RSA ceiling and against the floor of any
# milter on this machine (bench/NullMilter: C, no work, same negotiation) and the smallest signing milter there
# can be (the same C program making one RSA signature per message, single process). Steady state only: each filter gets
# WARMUP messages first (the JIT's tiering takes the first ~15,000 messages of a fresh .NET process), then
# ROUNDS rounds of COUNT messages with one connection per message and on persistent connections, c=8, 4 KB, TCP.
# CPU = utime+stime of the filter process (/proc), context switches summed over its threads.
# The filters take turns round by round (the C milter and Milters in alternating order), and every signing filter's
# measurement is bracketed by `openssl speed` just before and just after it, its ceiling the mean of the two: this
# machine's speed drifts by 10-25 % within minutes, and a ceiling measured once per run, or even once per round, put
# that drift into the percentages. Ends with each filter's median over the rounds.
#   bench/scripts/ceiling.sh                      # Milters, null milter, C signing milter, OpenDKIM
#   BASELINE=/path/to/old/milters bench/scripts/ceiling.sh
. "$(dirname "$0")/lib.sh"
COUNT=${COUNT:-8000}
WARMUP=${WARMUP:-20000}
ROUNDS=${ROUNDS:-3}
OUTFILE=${OUTFILE:-$RESULTS/ceiling.jsonl}
NULL_PORT=${NULL_PORT:-18919}
C_SIGN_PORT=${C_SIGN_PORT:-18918}
prepare
build_c_milter

ticks=$(getconf CLK_TCK)
RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
rsa_now() { openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048/ {print $6}'; }

switches_of() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s + 0}'; }

# warm_up SOCKET
warm_up() {
  "$LOADGEN" --socket "$1" --connections 8 --count "$WARMUP" --quiet >/dev/null
  "$LOADGEN" --socket "$1" --connections 8 --count "$WARMUP" --per-connection 0 --quiet >/dev/null
}

# measure LABEL PID SOCKET HEADER ROUND: both connection modes once; a signing filter's against the mean of the
# `openssl speed` readings just before ($rsa, the last one taken) and just after it.
measure() {
  local label=$1 pid=$2 socket=$3 header=$4 round=$5 mode c0 c1 s0 s1 out rate before after
  for mode in 1 0; do
    c0=$(cpu_of "$pid"); s0=$(switches_of "$pid")
    out=$("$LOADGEN" --socket "$socket" --connections 8 --count "$COUNT" --per-connection "$mode" --expect-header "$header" --quiet --json - | grep '^{')
    c1=$(cpu_of "$pid"); s1=$(switches_of "$pid")
    rate=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["okPerSecond"])')
    before=$rsa; after=$rsa
    if [ "$label" != "null milter" ]; then after=$(rsa_now); rsa=$after; fi
    python3 - "$label" "$mode" "$round" "$COUNT" "$c0" "$c1" "$s0" "$s1" "$ticks" "$before" "$after" "$rate" "$OUTFILE" "$RUN_ID" <<'PY'
import json, sys, os
label, mode, rnd, n, c0, c1, s0, s1, ticks, before, after, rate, outfile, run = sys.argv[1:]
rsa = (float(before) + float(after)) / 2
n = int(n); cpu = (float(c1) - float(c0)) / float(ticks)
ms = cpu * 1000 / n; per_cpu_s = n / cpu if cpu else 0
row = dict(run=run, label=label, connections="one per message" if mode == "1" else "persistent", round=int(rnd), messages=n,
           cpuMsPerMessage=round(ms, 4), messagesPerCpuSecond=round(per_cpu_s),
           fractionOfRsaCeiling=round(per_cpu_s / float(rsa), 3) if label != "null milter" else None,
           contextSwitchesPerMessage=round((int(s1) - int(s0)) / n, 2), rsaSignsPerCpuSecond=rsa,
           rsaBefore=float(before), rsaAfter=float(after),
           closedLoopMsgPerSecond=float(rate), loadAverage=open('/proc/loadavg').read().split()[:3])
print(f"[ceiling] {label:18} {row['connections']:16} round {rnd}: {ms:.3f} ms CPU/message = {per_cpu_s:,.0f}/CPU-s"
      + (f" = {row['fractionOfRsaCeiling']*100:.0f} % of the RSA ceiling" if row['fractionOfRsaCeiling'] else "")
      + f"; {row['contextSwitchesPerMessage']} context switches/message; {float(rate):,.0f} msg/s closed loop")
with open(outfile, 'a') as f: f.write(json.dumps(row) + "\n")
PY
  done
}

"$WORK/null-milter" "$NULL_PORT" & null_pid=$!
"$WORK/null-milter" "$C_SIGN_PORT" "$WORK/$SELECTOR.key.pem" & c_sign_pid=$!
write_milters_config ceiling "inet:$MILTERS_PORT@127.0.0.1" '["DomainKeys"]'
start_milters ceiling
start_opendkim od-tcp tcp s "$OD_PORT"
trap 'kill $null_pid $c_sign_pid 2>/dev/null; stop_milters ceiling; stop_milters ceiling-before; stop_opendkim od-tcp' EXIT
if [ -n "$BASELINE" ]; then
  write_milters_config ceiling-before "inet:$BASELINE_PORT@127.0.0.1" '["DomainKeys"]'
  start_milters ceiling-before "$BASELINE"
fi
warm_up "inet:$NULL_PORT@127.0.0.1"
warm_up "inet:$C_SIGN_PORT@127.0.0.1"
warm_up "inet:$MILTERS_PORT@127.0.0.1"
[ -z "$BASELINE" ] || warm_up "inet:$BASELINE_PORT@127.0.0.1"
rsa=0
for round in $(seq 1 "$ROUNDS"); do
  measure "null milter" "$null_pid" "inet:$NULL_PORT@127.0.0.1" X-Null "$round"
  rsa=$(rsa_now)
  log "round $round: RSA-2048 signatures per CPU-second (openssl speed) at its start: $rsa"
  if [ $((round % 2)) = 1 ]; then
    measure "C signing milter" "$c_sign_pid" "inet:$C_SIGN_PORT@127.0.0.1" X-Null "$round"
    measure Milters "$(cat "$WORK/ceiling/milters.pid")" "inet:$MILTERS_PORT@127.0.0.1" DomainKey-Signature "$round"
  else
    measure Milters "$(cat "$WORK/ceiling/milters.pid")" "inet:$MILTERS_PORT@127.0.0.1" DomainKey-Signature "$round"
    measure "C signing milter" "$c_sign_pid" "inet:$C_SIGN_PORT@127.0.0.1" X-Null "$round"
  fi
  [ -z "$BASELINE" ] || measure "Milters (before)" "$(cat "$WORK/ceiling-before/milters.pid")" "inet:$BASELINE_PORT@127.0.0.1" DomainKey-Signature "$round"
done
COUNT=1000 WARMUP=300 warm_up "inet:$OD_PORT@127.0.0.1"
rsa=$(rsa_now)
COUNT=1000 measure OpenDKIM "$(cat "$WORK/od-tcp/opendkim.pid")" "inet:$OD_PORT@127.0.0.1" DKIM-Signature 1

# Per round, Milters against the C signing milter of the same round (the ratio this machine's drift leaves alone),
# then each signing filter's median fraction of the ceiling over the rounds.
python3 - "$OUTFILE" "$RUN_ID" <<'PY'
import json, sys, statistics
rows = [r for r in map(json.loads, open(sys.argv[1])) if r.get("run") == sys.argv[2]]
for label in ("C signing milter", "Milters", "Milters (before)"):
    for mode in ("one per message", "persistent"):
        f = sorted(r["fractionOfRsaCeiling"] for r in rows if r["label"] == label and r["connections"] == mode)
        if f:
            print(f"[ceiling] {label}, {mode}: median {statistics.median(f) * 100:.0f} % of the RSA ceiling over {len(f)} rounds "
                  f"({', '.join(f'{x * 100:.0f}' for x in f)})")
for label in ("Milters", "Milters (before)"):
    for mode in ("one per message", "persistent"):
        pairs = [(m, c) for m in rows for c in rows if m["label"] == label and c["label"] == "C signing milter"
                 and m["connections"] == c["connections"] == mode and m["round"] == c["round"]]
        if pairs:
            print(f"[ceiling] {label} / C signing milter, {mode}: "
                  + ", ".join(f"{c['cpuMsPerMessage'] / m['cpuMsPerMessage']:.2f} (round {m['round']}: "
                              f"{m['fractionOfRsaCeiling'] * 100:.0f} % against {c['fractionOfRsaCeiling'] * 100:.0f} %)" for m, c in pairs))
PY
