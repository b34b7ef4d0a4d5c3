#!/bin/bash
# syslog.sh - tiny syslog sink on /dev/log (only if no syslog daemon owns it) writing DIR/syslog,
# so syslog-only daemons (sendmail, opendkim) can be debugged in a sandbox; sendmail.sh/opendkim.sh start it.
set -euo pipefail
PEERS_NAME=syslog
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

CMD=${1:-}; [ $# -gt 0 ] && shift
DIR=${PEERS_SYSLOG_DIR:-/tmp/peers-syslog}
SOCK=${PEERS_SYSLOG_SOCKET:-/dev/log}
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --socket) SOCK=$2; shift 2 ;;
    *) echo "usage: syslog.sh start|stop|status|tail [--dir DIR] [--socket /dev/log]" >&2; exit 2 ;;
  esac
done
DIR=$(peers_abs "$DIR")
PIDF=$DIR/syslog.pid

case "$CMD" in
  start)
    mkdir -p "$DIR"
    # sendmail.sh/opendkim.sh of several test projects may call this at once: one binds /dev/log
    exec 8>"/tmp/peers-syslog.lock"; flock -w 30 8 || peers_die "timeout waiting for /tmp/peers-syslog.lock"
    if peers_pidfile_alive "$PIDF" '^(perl|peers-syslog)'; then
      [ -S "$SOCK" ] && { peers_log "already running (pid $(peers_read_pid "$PIDF")), log $DIR/syslog"; exit 0; }
      peers_stop_pidfile "$PIDF" '^(perl|peers-syslog)' 5
    fi
    if [ -S "$SOCK" ]; then
      # a socket exists: is anybody reading it?
      if perl -MIO::Socket::UNIX -MSocket -e 'exit(IO::Socket::UNIX->new(Type=>SOCK_DGRAM,Peer=>$ARGV[0]) ? 0 : 1)' "$SOCK"; then
        peers_log "$SOCK is served by another syslog daemon; not starting (messages go to the system log)"
        exit 0
      fi
      rm -f "$SOCK"
    fi
    nohup perl "$PEERS_HOME/bin/peers-syslog.pl" "$SOCK" "$DIR/syslog" >"$DIR/syslog.err" 2>&1 </dev/null 8>&- &
    echo $! >"$PIDF"
    for ((i = 0; i < 50; i++)); do [ -S "$SOCK" ] && break; sleep 0.1; done
    [ -S "$SOCK" ] || peers_die "syslog sink did not bind $SOCK: $(cat "$DIR/syslog.err")"
    peers_log "syslog sink pid $(peers_read_pid "$PIDF") on $SOCK -> $DIR/syslog"
    ;;
  stop) peers_stop_pidfile "$PIDF" '^(perl|peers-syslog)' 5; peers_log "stopped" ;;
  status) if peers_pidfile_alive "$PIDF" '^(perl|peers-syslog)'; then echo "running pid $(peers_read_pid "$PIDF") log $DIR/syslog"; else echo "not running"; exit 3; fi ;;
  tail) tail -n 50 "$DIR/syslog" ;;
  *) echo "usage: syslog.sh start|stop|status|tail [--dir DIR] [--socket /dev/log]" >&2; exit 2 ;;
esac
