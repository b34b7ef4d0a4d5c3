#!/bin/bash
# Verification through a real MTA (MTA=postfix, the default, or sendmail): smtp-source sends one signed 4 KB message
# (signed once up front by Mail::DKIM, perl-dk.sh) MESSAGES times to the MTA port ({daemon_name}=MTA) → milter →
# Maildir; Milters (DomainKeys +
# AuthResults, key from BIND, DNS cache on) and OpenDKIM (the same message DKIM-signed) in turn, then no
# milter. Every delivered copy is checked for a passing Authentication-Results. Prints messages/s per filter.
# Milters runs in "sv" mode: a message that already carries a signature is verified even from an internal host, and
# the warm-up can prime (sign) its own verify traffic.
#   SESSIONS=10 MESSAGES=1000 bench/scripts/postfix-verify.sh     (= MTA=postfix bench/scripts/mta-verify.sh)
#   SESSIONS=10 MESSAGES=400 bench/scripts/sendmail-verify.sh     (= MTA=sendmail …)
. "$(dirname "$0")/lib.sh"
MTA=${MTA:-postfix}
SESSIONS=${SESSIONS:-10}
MESSAGES=${MESSAGES:-1000}
case "$MTA" in
  postfix) MTA_DIR=${MTA_DIR:-/tmp/peers-postfix-verify-bench}; MTA_PORT=${MTA_PORT:-3525}; MTA_MSA=${MTA_MSA:-3587} ;;
  sendmail) MTA_DIR=${MTA_DIR:-/tmp/peers-sendmail-verify-bench}; MTA_PORT=${MTA_PORT:-3625}; MTA_MSA=${MTA_MSA:-3687} ;;
  *) echo "MTA=$MTA: postfix or sendmail" >&2; exit 64 ;;
esac
prepare
start_opendkim od-verify tcp v "$OD_VERIFY_PORT"
write_milters_config milters-verify "inet:$MILTERS_PORT@127.0.0.1" '["DomainKeys", "AuthResults"]' true sv
start_milters milters-verify
trap 'stop_milters milters-verify; stop_opendkim od-verify; "$PEERS/$MTA.sh" stop --dir "$MTA_DIR" >&2 || true' EXIT

# The message: 4 KB of text from alice@example.com, signed as example.com with the bench key (DomainKeys for
# Milters, DKIM for OpenDKIM).
{
  printf 'From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: postfix verify load\r\n'
  printf 'Date: Mon, 30 Nov 2026 08:00:00 +0000\r\nMessage-ID: <verify-load@example.com>\r\n\r\n'
  for i in $(seq 1 56); do printf 'Line %02d of a message that is verified on the way in, %s.\r\n' "$i" "again and again"; done
} >"$WORK/verify-plain.eml"
for type in dk dkim; do
  "$PEERS/perl-dk.sh" sign --key "$WORK/$SELECTOR.key.pem" --selector "$SELECTOR" --domain example.com --type "$type" \
    <"$WORK/verify-plain.eml" >"$WORK/verify-$type.crlf.eml"
  # smtp-source -F ends every line of the file with CRLF itself: a file in CRLF would put a bare CR before each,
  # which Sendmail refuses (421 "Bare carriage return") and Postfix passes on.
  tr -d '\r' <"$WORK/verify-$type.crlf.eml" >"$WORK/verify-$type.eml"
done
warm "inet:$MILTERS_PORT@127.0.0.1" "${SELF_PRIMED_VERIFY[@]}"

run() { # LABEL MILTER MESSAGE_FILE PASS_TEXT
  "$PEERS/$MTA.sh" start --dir "$MTA_DIR" --port "$MTA_PORT" --submission-port "$MTA_MSA" --milter "$2" \
     --milter-default-action tempfail >&2
  "$PEERS/$MTA.sh" clear --dir "$MTA_DIR" >&2 || true
  local start end status passed delivered
  start=$(date +%s.%N)
  if timeout 300 smtp-source -s "$SESSIONS" -m "$MESSAGES" -F "$3" -f alice@example.com -t bob@example.org \
       "127.0.0.1:$MTA_PORT" >"$WORK/verify-source-$1.log" 2>&1; then status=ok; else status="FAILED ($(tail -1 "$WORK/verify-source-$1.log"))"; fi
  end=$(date +%s.%N)
  sleep 3 # delivery runs behind the SMTP dialogue
  delivered=$(find "$MTA_DIR/mail/Maildir/new" -type f 2>/dev/null | wc -l)
  passed=$(grep -l -F "$4" "$MTA_DIR"/mail/Maildir/new/* 2>/dev/null | wc -l || true)
  python3 -c "s=$end-$start; print(f'| $MTA | $1 | $SESSIONS | $MESSAGES | {s:.2f} s | {$MESSAGES/s:.1f} msg/s | $passed of $delivered delivered with \"$4\" | $status | $(cut -d' ' -f1-3 /proc/loadavg) |')"
  "$PEERS/$MTA.sh" stop --dir "$MTA_DIR" >&2
}
milter_at() { if [ "$MTA" = sendmail ]; then echo "inet:$1@127.0.0.1"; else echo "inet:127.0.0.1:$1"; fi; } # each MTA's spelling
run Milters "$(milter_at "$MILTERS_PORT")" "$WORK/verify-dk.eml" "domainkeys=pass"
run OpenDKIM "$(milter_at "$OD_VERIFY_PORT")" "$WORK/verify-dkim.eml" "dkim=pass"
run none none "$WORK/verify-dk.eml" "domainkeys=pass"
