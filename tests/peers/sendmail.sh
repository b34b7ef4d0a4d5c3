#!/bin/bash
# sendmail.sh - private Sendmail 8.17 (Debian sendmail-bin, unpacked beside an installed Postfix) on 127.0.0.1:2525 (MTA)
# and :2587 (MSA) with INPUT_MAIL_FILTER(`milters', `S=inet:PORT@127.0.0.1') (mta-snippets/), delivering every recipient to DIR/mail/Maildir.
set -euo pipefail
PEERS_NAME=sendmail
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

usage() {
  cat <<EOF
usage: sendmail.sh start|restart|stop|status|messages|last|clear|log|cf|fetch [options]
  --dir DIR                  state dir                        [PEERS_SENDMAIL_DIR, default /tmp/peers-sendmail]
  --port N                   MTA listener, {daemon_name}=MTA  [PEERS_SENDMAIL_PORT, default 2525]
  --submission-port N        MSA listener, {daemon_name}=MSA  [PEERS_SENDMAIL_SUBMISSION_PORT, default 2587]
  --milter SPEC              socket of the milter "milters": inet:PORT@127.0.0.1 | unix:/path | none
                                                              [PEERS_SENDMAIL_MILTER, default inet:8891@127.0.0.1]
  --milter-default-action A  accept|tempfail|reject (what sendmail does when the milter is unreachable)
                                                              [PEERS_SENDMAIL_MILTER_DEFAULT_ACTION, default tempfail]
  --milter-timeouts T        INPUT_MAIL_FILTER T= equate      [PEERS_SENDMAIL_MILTER_TIMEOUTS, default C:10s;S:30s;R:30s;E:60s]
  --mc-extra FILE            m4 lines appended to the generated .mc (before MAILER lines) [PEERS_SENDMAIL_MC_EXTRA]
  --label NAME               syslog ident of this instance (sendmail -L)  [PEERS_SENDMAIL_LABEL, default sm-peers]
messages: list delivered files (DIR/mail/Maildir/new/*, one per recipient, see Delivered-To:); last: print newest;
clear: delete delivered mail; log: sendmail lines of the syslog sink; cf: print the generated sendmail.mc
Same ports as postfix.sh on purpose (one MTA at a time); pass --port/--submission-port to run both.
EOF
}

CMD=${1:-}; [ $# -gt 0 ] && shift
DIR=${PEERS_SENDMAIL_DIR:-/tmp/peers-sendmail}
PORT=${PEERS_SENDMAIL_PORT:-2525}
SUBPORT=${PEERS_SENDMAIL_SUBMISSION_PORT:-2587}
MILTER=${PEERS_SENDMAIL_MILTER:-inet:8891@127.0.0.1}
MDA=${PEERS_SENDMAIL_MILTER_DEFAULT_ACTION:-tempfail}
MTIMEOUTS=${PEERS_SENDMAIL_MILTER_TIMEOUTS:-C:10s;S:30s;R:30s;E:60s}
MCEXTRA=${PEERS_SENDMAIL_MC_EXTRA:-}
LABEL=${PEERS_SENDMAIL_LABEL:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --submission-port) SUBPORT=$2; shift 2 ;;
    --milter) MILTER=$2; shift 2 ;;
    --milter-default-action) MDA=$2; shift 2 ;;
    --milter-timeouts) MTIMEOUTS=$2; shift 2 ;;
    --mc-extra) MCEXTRA=$2; shift 2 ;;
    --label) LABEL=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; peers_die "unknown option $1" ;;
  esac
done
DIR=$(peers_abs "$DIR")
PIDF=$DIR/run/sendmail.pid
SYSLOG_DIR=${PEERS_SYSLOG_DIR:-/tmp/peers-syslog}
# the label is remembered in DIR so that "log" finds this instance's lines without --label
if [ -z "$LABEL" ] && [ -r "$DIR/label" ]; then LABEL=$(cat "$DIR/label"); fi
LABEL=${LABEL:-sm-peers}
[[ "$LABEL" =~ ^[A-Za-z0-9_.-]+$ ]] || peers_die "bad label $LABEL"
case "$MDA" in accept) MFLAGS="" ;; tempfail) MFLAGS="F=T, " ;; reject) MFLAGS="F=R, " ;; *) peers_die "bad milter default action $MDA" ;; esac
[ "$MILTER" = none ] && MILTER=""

# sendmail-bin conflicts with postfix (both provide mail-transport-agent), so unless sendmail-bin is
# already the installed MTA, its .deb is unpacked (not installed) into a cache dir and run from there.
SM_CACHE=${PEERS_SENDMAIL_CACHE:-/var/cache/peers/sendmail-bin}
sm_binary() {
  if dpkg-query -W -f='${Status}' sendmail-bin 2>/dev/null | grep -q ' installed$' && [ -x /usr/libexec/sendmail/sendmail ]; then
    echo /usr/libexec/sendmail/sendmail; return
  fi
  local ver
  ver=$(apt-cache policy sendmail-bin 2>/dev/null | sed -n 's/^ *Candidate: //p')
  if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then apt-get update -q >/dev/null 2>&1 || true
    ver=$(apt-cache policy sendmail-bin | sed -n 's/^ *Candidate: //p'); fi
  [ -n "$ver" ] && [ "$ver" != "(none)" ] || peers_die "no sendmail-bin package available from apt"
  local root=$SM_CACHE/$ver
  mkdir -p "$SM_CACHE"
  # several test projects may start a Sendmail at once: one download/unpack at a time
  exec 8>"$SM_CACHE/.lock"; flock -w 300 8 || peers_die "timeout waiting for $SM_CACHE/.lock"
  if [ ! -x "$root/usr/libexec/sendmail/sendmail" ]; then
    peers_log "unpacking sendmail-bin $ver into $root (not installed: it would remove postfix)"
    local tmp; tmp=$(mktemp -d); chmod 755 "$tmp"
    ( cd "$tmp" && apt-get download -q "sendmail-bin=$ver" >/dev/null 2>&1 ) \
      || { rm -rf "$tmp"; peers_die "apt-get download sendmail-bin=$ver failed"; }
    mkdir -p "$root"
    dpkg-deb -x "$tmp"/sendmail-bin_*.deb "$root" || { rm -rf "$tmp"; peers_die "dpkg-deb -x failed"; }
    rm -rf "$tmp"
  fi
  exec 8>&-
  echo "$root/usr/libexec/sendmail/sendmail"
}

sm_running() { peers_pidfile_alive "$PIDF" '^sendmail'; }

sm_stop() { peers_stop_pidfile "$PIDF" '^sendmail' 15; }

sm_write_config() {
  local sm=$1 d
  for d in etc run mqueue mail/Maildir/tmp mail/Maildir/new mail/Maildir/cur bin; do mkdir -p "$DIR/$d"; done
  chmod 700 "$DIR/mqueue"; chmod 755 "$DIR" "$DIR/etc" "$DIR/run" "$DIR/bin"
  chown -R nobody:nogroup "$DIR/mail"
  # delivery agent: one Maildir file per recipient, with Delivered-To like Postfix's virtual(8)
  cat >"$DIR/bin/deliver" <<EOF
#!/bin/sh
# peers/sendmail.sh delivery agent: \$1 = recipient; message on stdin
umask 022
md=$DIR/mail/Maildir
f=\$(date +%s).\$\$_\$(od -An -N4 -tx4 /dev/urandom | tr -d ' ').peers
{ printf 'Delivered-To: %s\n' "\$1"; cat; } >"\$md/tmp/\$f" && mv "\$md/tmp/\$f" "\$md/new/\$f"
EOF
  chmod 755 "$DIR/bin/deliver"
  printf 'hosts\tfiles\naliases\tfiles\n' >"$DIR/etc/service.switch"
  # private /etc/hosts + /etc/resolv.conf (bind-mounted in sendmail's own mount namespace, see sm_start):
  # sendmail insists on a dotted name for the local host before it reads sendmail.cf, else it
  # sleeps 60 s and asks DNS; all other lookups must stay on files / loopback.
  printf '127.0.0.1\tlocalhost\n127.0.1.1\tmta.peers.test %s\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
    "$(hostname)" >"$DIR/etc/hosts"
  printf '# peers sandbox: any stray DNS query goes to loopback (nothing listens on 53)\nnameserver 127.0.0.1\noptions attempts:1 timeout:1\n' \
    >"$DIR/etc/resolv.conf"
  : >"$DIR/etc/local-host-names"; : >"$DIR/etc/statistics"; : >"$DIR/etc/helpfile"
  local milter_m4="" extra=""
  if [ -n "$MILTER" ]; then
    milter_m4=$(peers_snippet sendmail-milter.mc "MILTER=$MILTER" "FLAGS=$MFLAGS" "TIMEOUTS=$MTIMEOUTS")
  fi
  if [ -n "$MCEXTRA" ]; then extra=$(cat "$MCEXTRA"); fi
  cat >"$DIR/etc/sendmail.mc" <<EOF
divert(-1)
# generated by peers/sendmail.sh - do not edit
divert(0)dnl
include(\`/usr/share/sendmail/cf/m4/cf.m4')dnl
VERSIONID(\`peers sandbox')dnl
OSTYPE(\`linux')dnl
define(\`confCF_VERSION', \`peers')dnl
define(\`confDOMAIN_NAME', \`mta.peers.test')dnl
define(\`confDONT_PROBE_INTERFACES', \`true')dnl
define(\`confSERVICE_SWITCH_FILE', \`$DIR/etc/service.switch')dnl
define(\`confHOSTS_FILE', \`$DIR/etc/hosts')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confPID_FILE', \`$PIDF')dnl
define(\`QUEUE_DIR', \`$DIR/mqueue')dnl
define(\`STATUS_FILE', \`$DIR/etc/statistics')dnl
define(\`HELP_FILE', \`$DIR/etc/helpfile')dnl
define(\`ALIAS_FILE', \`')dnl
define(\`confCW_FILE', \`-o $DIR/etc/local-host-names')dnl
define(\`confCR_FILE', \`-o $DIR/etc/relay-domains')dnl
define(\`confCT_FILE', \`-o $DIR/etc/trusted-users')dnl
define(\`confHOST_STATUS_DIRECTORY', \`')dnl
define(\`confDEAD_LETTER_DROP', \`$DIR/dead.letter')dnl
define(\`confDEF_USER_ID', \`nobody:nogroup')dnl
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
define(\`confLOG_LEVEL', \`12')dnl
define(\`confDELIVERY_MODE', \`background')dnl
define(\`confQUEUE_LA', \`200')dnl
define(\`confREFUSE_LA', \`400')dnl
define(\`confDELAY_LA', \`0')dnl
define(\`confMAX_DAEMON_CHILDREN', \`0')dnl
define(\`confCONNECTION_RATE_THROTTLE', \`0')dnl
define(\`confMIN_FREE_BLOCKS', \`100')dnl
define(\`confPRIVACY_FLAGS', \`authwarnings')dnl
define(\`confAUTH_MECHANISMS', \`EXTERNAL')dnl
define(\`confSMTP_LOGIN_MSG', \`\$j Sendmail \$v/\$Z (peers sandbox); \$b')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`accept_unqualified_senders')dnl
FEATURE(\`promiscuous_relay')dnl
$(peers_snippet sendmail-daemons.mc "MTA_PORT=$PORT" "MSA_PORT=$SUBPORT")
$milter_m4
$extra
MAILER(\`local')dnl
MAILER(\`smtp')dnl
MAILER_DEFINITIONS
Mpeersfile,	P=$DIR/bin/deliver, F=lsnDFMPhu, S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP, T=DNS/RFC822/X-Unix, A=deliver \$u
LOCAL_RULE_0
# every recipient, local or remote, goes to the Maildir of this sandbox
R\$* < @ \$* > \$*	\$#peersfile \$@ \$2 \$: \$1 < @ \$2 > \$3
R\$+	\$#peersfile \$@ localhost \$: \$1
EOF
  m4 "$DIR/etc/sendmail.mc" >"$DIR/etc/sendmail.cf" 2>"$DIR/etc/m4.err" \
    || { cat "$DIR/etc/m4.err" >&2; peers_die "m4 failed on $DIR/etc/sendmail.mc"; }
  if grep -qi 'error' "$DIR/etc/m4.err"; then cat "$DIR/etc/m4.err" >&2; peers_die "m4 errors in sendmail.mc"; fi
  chmod 644 "$DIR/etc/sendmail.cf"
  printf 'PEERS_SENDMAIL_DIR=%q\nPEERS_SENDMAIL_PORT=%q\nPEERS_SENDMAIL_SUBMISSION_PORT=%q\nPEERS_SENDMAIL_BIN=%q\n' \
    "$DIR" "$PORT" "$SUBPORT" "$sm" >"$DIR/sendmail.env"
}

sm_start() {
  peers_need_pkgs m4 sendmail-cf swaks libdb5.3 libldap-2.5-0 liblockfile1 libnsl2 libsasl2-2 libssl3 libwrap0 procps iproute2
  mkdir -p "$DIR"
  local sm; sm=$(sm_binary)
  sm_stop
  peers_require_free "$PORT"; peers_require_free "$SUBPORT"
  PEERS_SYSLOG_DIR=$SYSLOG_DIR "$PEERS_HOME/syslog.sh" start >/dev/null 2>&1 || peers_log "WARNING: no syslog sink (logs lost)"
  sm_write_config "$sm"
  echo "$LABEL" >"$DIR/label"
  local run=("$sm" -C "$DIR/etc/sendmail.cf" -bd -q1m -L "$LABEL")
  if unshare -m true 2>/dev/null; then
    # own mount namespace: only this sendmail sees DIR/etc/hosts and DIR/etc/resolv.conf
    unshare -m /bin/sh -c 'mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/resolv.conf && shift 2 && exec "$@"' \
      sh "$DIR/etc/hosts" "$DIR/etc/resolv.conf" "${run[@]}" >"$DIR/run/start.out" 2>&1 \
      || { cat "$DIR/run/start.out" >&2; peers_die "sendmail -bd failed"; }
  else
    peers_log "WARNING: unshare -m not permitted: sendmail uses the system /etc/hosts and resolv.conf" \
      "(if '$(hostname)' has no dotted name there, startup sleeps 60 s and queries DNS)"
    "${run[@]}" >"$DIR/run/start.out" 2>&1 || { cat "$DIR/run/start.out" >&2; peers_die "sendmail -bd failed"; }
  fi
  if ! peers_wait_listen "$PORT" tcp 30 || ! peers_wait_listen "$SUBPORT" tcp 10; then
    cat "$DIR/run/start.out" >&2; grep -a "$LABEL" "$SYSLOG_DIR/syslog" 2>/dev/null | tail -20 >&2 || true
    peers_die "sendmail is not listening on 127.0.0.1:$PORT/$SUBPORT"
  fi
  peers_log "sendmail pid $(peers_read_pid "$PIDF") on 127.0.0.1:$PORT (MTA) 127.0.0.1:$SUBPORT (MSA), milter '${MILTER:-none}' default=$MDA, mail in $DIR/mail/Maildir"
}

sm_messages() { find "$DIR/mail" -path '*/new/*' -type f -printf '%T@ %p\n' 2>/dev/null | sort -n | cut -d' ' -f2-; }

case "$CMD" in
  start|restart) sm_start ;;
  stop) sm_stop; peers_log "stopped (state kept in $DIR)" ;;
  status) if sm_running; then echo "running pid $(peers_read_pid "$PIDF") dir $DIR"; else echo "not running"; exit 3; fi ;;
  messages) sm_messages ;;
  last) f=$(sm_messages | tail -1); [ -n "$f" ] || peers_die "no delivered message in $DIR/mail"; cat "$f" ;;
  clear) find "$DIR/mail/Maildir" -type f -delete 2>/dev/null || true ;;
  log) grep -a "$LABEL\[" "$SYSLOG_DIR/syslog" 2>/dev/null | tail -n 50 ;;
  cf) cat "$DIR/etc/sendmail.mc" ;;
  fetch) peers_need_pkgs m4 sendmail-cf; sm_binary ;;   # install/unpack only (test command warms the cache)
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
