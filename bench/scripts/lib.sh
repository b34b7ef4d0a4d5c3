#!/bin/bash
# Shared setup for the benchmark scripts: paths, a 2048-bit key with its DNS record, the peers, the Milters
# host. Everything listens on loopback only, on the ports below, with state under $WORK.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PEERS=${PEERS:-$ROOT/tests/peers}
[ -x "$PEERS/opendkim.sh" ] || { echo "bench: no peer scripts at $PEERS (tests/peers)" >&2; exit 1; }
WORK=${WORK:-/tmp/milters-bench}
RESULTS=${RESULTS:-$ROOT/bench/results}
CONFIG=${CONFIG:-Release}
LOADGEN="$ROOT/bench/LoadGen/bin/$CONFIG/net10.0/milters-loadgen"
MILTERS=${MILTERS:-$ROOT/src/Host/bin/$CONFIG/net10.0/milters}
DNS_PORT=${DNS_PORT:-15440}
OD_PORT=${OD_PORT:-18900}
OD_VERIFY_PORT=${OD_VERIFY_PORT:-18901}
MILTERS_PORT=${MILTERS_PORT:-18910}
# BASELINE=/path/to/an/older/build/milters: signing-comparison.sh and half-load.sh also run that build, in the
# same run, labelled "Milters (before)" (TCP port BASELINE_PORT, unix socket WORK/milters-before.sock).
BASELINE=${BASELINE:-}
BASELINE_PORT=${BASELINE_PORT:-18911}
SELECTOR=bench
mkdir -p "$WORK" "$RESULTS"

log() { printf '[bench] %s\n' "$*" >&2; }

build() {
  log "building ($CONFIG)"
  dotnet build "$ROOT/Milters.sln" -c "$CONFIG" -v q -nologo >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; exit 1; }
}

# One RSA key for every filter: OpenDKIM (DKIM, rsa-sha256) and Milters (DomainKeys, rsa-sha1) sign with
# the same 2048-bit key, so the RSA work per message is the same.
make_key() {
  local bits=${1:-2048}
  if [ ! -s "$WORK/$SELECTOR.key.pem" ] || [ "$(cat "$WORK/$SELECTOR.bits" 2>/dev/null)" != "$bits" ]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"$bits" -out "$WORK/$SELECTOR.key.pem" 2>/dev/null
    echo "$bits" >"$WORK/$SELECTOR.bits"
  fi
  chmod 600 "$WORK/$SELECTOR.key.pem"
  # "k=rsa; p=…" without v=/h= is a valid key record for DomainKeys (RFC 4870 §3.2.3) and DKIM alike.
  local p
  p=$(openssl pkey -in "$WORK/$SELECTOR.key.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
  {
    printf '%s._domainkey.example.com. IN TXT (' "$SELECTOR"
    local rdata="k=rsa; p=$p" i
    for ((i = 0; i < ${#rdata}; i += 250)); do printf ' "%s"' "${rdata:i:250}"; done
    printf ' )\n'
    printf 'example.com. IN TXT "v=spf1 ip4:127.0.0.0/8 -all"\n'
  } >"$WORK/bench.zone"
}

# Verify traffic against a Milters process that also signs (DomainKeys "sv", with AuthResults): it signs the
# primed message of each size (MSA macros) and verifies the traffic (MTA macros, a client outside the internal hosts).
SELF_PRIMED_VERIFY=(--traffic verify --prime-header DomainKey-Signature --expect-header Authentication-Results
                    --expect-contains domainkeys=pass --client-addr 192.0.2.1)

# prepare: what every comparison does first — build (unless SKIP_BUILD=1), the 2048-bit key and its
# record, BIND serving them.
prepare() {
  [ "${SKIP_BUILD:-}" = 1 ] || build
  make_key 2048
  start_dns
}

# warm SOCKET [LOADGEN ARGS…]: WARMUP messages (default 20,000; WARMUP=0 measures from a cold start) before a
# measurement. A fresh .NET process JIT-compiles its hot paths again (tiering) for about its first 15,000 messages,
# on a background thread that competes for the two cores; a mail server runs far longer than that.
warm() { [ "${WARMUP:-20000}" = 0 ] || "$LOADGEN" --socket "$1" --connections 8 --count "${WARMUP:-20000}" "${@:2}" --quiet >/dev/null 2>&1 || true; }

start_dns() {
  "$PEERS/dns.sh" start --port "$DNS_PORT" --dir "$WORK/dns" --zone "$WORK/bench.zone" >&2
}

# start_opendkim NAME tcp|unix [mode]
start_opendkim() {
  local name=$1 transport=$2 mode=${3:-s} args=()
  if [ "$transport" = unix ]; then args=(--socket "$WORK/$name.sock"); else args=(--port "$4"); fi
  "$PEERS/opendkim.sh" start --dir "$WORK/$name" "${args[@]}" --mode "$mode" --key "$WORK/$SELECTOR.key.pem" \
    --selector "$SELECTOR" --dns-port "$DNS_PORT" >&2
}

stop_opendkim() { "$PEERS/opendkim.sh" stop --dir "$WORK/$1" >&2 || true; }

# write_milters_config NAME SOCKET PLUGINS_JSON_ARRAY [DNS_USE_CACHE] [DOMAINKEYS_MODE]
write_milters_config() {
  local name=$1 socket=$2 plugins=$3 cache=${4:-true} mode=${5:-sv}
  mkdir -p "$WORK/$name"
  cat >"$WORK/$name/milters.json" <<JSON
{
  "Listen":  { "Socket": "$socket", "UnixSocketMode": "0666", "AllowedClients": ["127.0.0.0/8", "::1"] },
  "Plugins": { "Order": $plugins },
  "Dns":     { "Servers": ["127.0.0.1:$DNS_PORT"], "Timeout": "00:00:05", "Retries": 2, "UseCache": $cache },
  "Keys":    { "Strict": false, "Table": [ { "Domain": "example.com", "Selector": "$SELECTOR",
               "KeyFile": "$WORK/$SELECTOR.key.pem", "Senders": ["*@example.com"] } ] },
  "Logging": { "Syslog": false, "LogLevel": { "Default": "Warning" } },
  "DomainKeys": { "Mode": "$mode", "Canonicalization": "nofws", "SigningDaemons": ["MSA"] }
}
JSON
}

# start_milters NAME [BINARY]: runs the host (default $MILTERS) in the background with WORK/NAME/milters.json;
# pid in WORK/NAME/milters.pid
start_milters() {
  local name=$1 bin=${2:-$MILTERS}
  stop_milters "$name"
  "$bin" --config "$WORK/$name/milters.json" >"$WORK/$name/milters.log" 2>&1 &
  echo $! >"$WORK/$name/milters.pid"
  local socket
  socket=$(milters_socket "$name")
  for _ in $(seq 1 100); do
    if "$LOADGEN" --socket "$socket" --count 1 --warmup 0 --quiet >/dev/null 2>&1; then return 0; fi
    kill -0 "$(cat "$WORK/$name/milters.pid")" 2>/dev/null || { cat "$WORK/$name/milters.log" >&2; return 1; }
    sleep 0.1
  done
  log "milters $name did not answer on $socket"; cat "$WORK/$name/milters.log" >&2; return 1
}

# milters_socket NAME: the Listen:Socket of WORK/NAME/milters.json
milters_socket() { sed -n 's/.*"Socket": "\([^"]*\)".*/\1/p' "$WORK/$1/milters.json"; }

# cpu_of PID: user + system CPU of a process so far, in clock ticks (/proc/PID/stat)
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }

stop_milters() {
  local pidf="$WORK/$1/milters.pid"
  [ -s "$pidf" ] || return 0
  local pid; pid=$(cat "$pidf")
  if kill -0 "$pid" 2>/dev/null; then kill "$pid"; for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; fi
  rm -f "$pidf"
}

# build_c_milter: the C reference milter (bench/NullMilter: no work, or one RSA signature per message with a
# key) as $WORK/null-milter; needs a C compiler and the OpenSSL headers (gcc, libssl-dev).
build_c_milter() {
  cc -O2 -Wall -o "$WORK/null-milter" "$ROOT/bench/NullMilter/null-milter.c" -lcrypto
}

# peak_rss PID: VmHWM (peak resident set) in kB
peak_rss() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
