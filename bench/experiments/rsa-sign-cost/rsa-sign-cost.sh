#!/bin/bash
# Is .NET's RSA signing dearer than OpenSSL called from C? Alternating rounds of the same 2048-bit key:
# C (EVP_PKEY_sign with a fresh context per signature, as bench/NullMilter does), .NET on one thread, .NET with each
# signature on a pool thread.   bench/experiments/rsa-sign-cost/rsa-sign-cost.sh [KEY.pem] [COUNT] [ROUNDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
key=${1:-/tmp/milters-bench/bench.key.pem}
count=${2:-4000}
rounds=${3:-3}
[ -s "$key" ] || openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$key" 2>/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -Wall -o "$work/rsa-sign-cost" "$here/rsa-sign-cost.c" -lcrypto
cp "$here/rsa-sign-cost.cs" "$work/"
dotnet build "$work/rsa-sign-cost.cs" -c Release -o "$work/net" -v q -nologo >/dev/null
for _ in $(seq 1 "$rounds"); do
  "$work/rsa-sign-cost" "$key" "$count"
  "$work/net/rsa-sign-cost" "$key" "$count" one
  "$work/net/rsa-sign-cost" "$key" "$count" pool
done
