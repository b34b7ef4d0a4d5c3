#!/bin/bash
# Through real Sendmail 8.17: smtp-source → Sendmail MSA port ({daemon_name}=MSA) → milter → delivery to a
# Maildir, Milters and OpenDKIM in turn with the same key, then no milter. Prints messages/s per filter.
#   SESSIONS=10 MESSAGES=400 SIZE=4096 bench/scripts/sendmail-smtp-source.sh
. "$(dirname "$0")/lib.sh"
SESSIONS=${SESSIONS:-10}
MESSAGES=${MESSAGES:-400}
SIZE=${SIZE:-4096}
SM_DIR=${SM_DIR:-/tmp/peers-sendmail-bench}
SM_PORT=${SM_PORT:-3625}
SM_MSA=${SM_MSA:-3687}
prepare
start_opendkim od-tcp tcp s "$OD_PORT"
write_milters_config milters-tcp "inet:$MILTERS_PORT@127.0.0.1" '["DomainKeys"]'
start_milters milters-tcp
trap 'stop_milters milters-tcp; stop_opendkim od-tcp; "$PEERS/sendmail.sh" stop --dir "$SM_DIR" >&2 || true' EXIT
# Steady state first, as a mail server runs (warm, lib.sh): a cold process would be JIT-compiling beside Sendmail.
warm "inet:$MILTERS_PORT@127.0.0.1"
TARGETS=${TARGETS:-Milters OpenDKIM none}
declare -A SPEC=([Milters]="inet:$MILTERS_PORT@127.0.0.1" [OpenDKIM]="inet:$OD_PORT@127.0.0.1" [none]=none)
for name in $TARGETS; do
  target="$name ${SPEC[$name]}"
  set -- $target
  "$PEERS/sendmail.sh" start --dir "$SM_DIR" --port "$SM_PORT" --submission-port "$SM_MSA" --milter "$2" \
     --milter-default-action tempfail --label sm-bench >&2
  "$PEERS/sendmail.sh" clear --dir "$SM_DIR" >&2 || true
  start=$(date +%s.%N)
  if timeout 600 smtp-source -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" -f alice@example.com -t bob@example.org \
       -S "sendmail load" -c "127.0.0.1:$SM_MSA" >"$WORK/sm-source-$1.log" 2>&1; then status=ok; else status="FAILED ($(tail -1 "$WORK/sm-source-$1.log"))"; fi
  end=$(date +%s.%N)
  sleep 3 # delivery runs behind the SMTP dialogue
  delivered=$(ls "$SM_DIR"/mail/Maildir/new/ 2>/dev/null | wc -l || true)
  signed=$(grep -l -E '^(DomainKey|DKIM)-Signature:' "$SM_DIR"/mail/Maildir/new/* 2>/dev/null | wc -l || true)
  python3 -c "s=$end-$start; print(f'| $1 | $SESSIONS | $MESSAGES | {s:.2f} s | {$MESSAGES/s:.1f} msg/s | $signed of $delivered delivered signed | $status | $(cut -d' ' -f1-3 /proc/loadavg) |')"
  "$PEERS/sendmail.sh" stop --dir "$SM_DIR" >&2
done
