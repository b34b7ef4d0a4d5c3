#!/bin/bash
# Through real Postfix: smtp-source → Postfix MSA port ({daemon_name}=MSA) → milter → discard:, Milters and
# OpenDKIM in turn with the same key, same message size and session count, and the C signing milter (bench/NullMilter
# with the key, one process per core: the cheapest signing milter, so what Postfix's milter client itself costs).
# Prints messages/s per filter.
#   SESSIONS=10 MESSAGES=1000 SIZE=4096 bench/scripts/postfix-smtp-source.sh
. "$(dirname "$0")/lib.sh"
SESSIONS=${SESSIONS:-10}
MESSAGES=${MESSAGES:-1000}
SIZE=${SIZE:-4096}
PF_DIR=${PF_DIR:-/tmp/peers-postfix-bench}
PF_PORT=${PF_PORT:-3525}
PF_MSA=${PF_MSA:-3587}
prepare
start_opendkim od-tcp tcp s "$OD_PORT"
write_milters_config milters-tcp "inet:$MILTERS_PORT@127.0.0.1" '["DomainKeys"]'
start_milters milters-tcp
build_c_milter
C_SIGN_PORT=${C_SIGN_PORT:-18918}
"$WORK/null-milter" "$C_SIGN_PORT" "$WORK/$SELECTOR.key.pem" "$(nproc)" & c_sign=$!
trap 'kill $c_sign 2>/dev/null; stop_milters milters-tcp; stop_milters before-tcp; stop_opendkim od-tcp; "$PEERS/postfix.sh" stop --dir "$PF_DIR" >&2 || true' EXIT
targets=("Milters inet:127.0.0.1:$MILTERS_PORT" "C-signing-milter inet:127.0.0.1:$C_SIGN_PORT" "OpenDKIM inet:127.0.0.1:$OD_PORT" "none none")
if [ -n "$BASELINE" ]; then
  write_milters_config before-tcp "inet:$BASELINE_PORT@127.0.0.1" '["DomainKeys"]'
  start_milters before-tcp "$BASELINE"
  targets=("Milters-before inet:127.0.0.1:$BASELINE_PORT" "${targets[@]}")
fi
# Steady state first, as a mail server runs (warm, lib.sh): a cold process would be JIT-compiling beside Postfix.
warm "inet:$MILTERS_PORT@127.0.0.1"
[ -z "$BASELINE" ] || warm "inet:$BASELINE_PORT@127.0.0.1"
for target in "${targets[@]}"; do
  set -- $target
  "$PEERS/postfix.sh" start --dir "$PF_DIR" --port "$PF_PORT" --submission-port "$PF_MSA" --milter "$2" \
     --milter-default-action tempfail --set 'virtual_transport = discard:' >&2
  start=$(date +%s.%N)
  if timeout 300 smtp-source -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" -f alice@example.com -t bob@example.org \
       -S "postfix load" -c "127.0.0.1:$PF_MSA" >"$WORK/smtp-source-$1.log" 2>&1; then status=ok; else status="FAILED ($(tail -1 "$WORK/smtp-source-$1.log"))"; fi
  end=$(date +%s.%N)
  python3 -c "import sys; s=$end-$start; print(f'| $1 | $SESSIONS | $MESSAGES | {s:.2f} s | {$MESSAGES/s:.1f} msg/s | $status | $(cut -d' ' -f1-3 /proc/loadavg) |')"
  "$PEERS/postfix.sh" stop --dir "$PF_DIR" >&2
done
