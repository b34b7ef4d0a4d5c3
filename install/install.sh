#!/bin/bash
# install/install.sh - build Milters and lay it out on this machine (or under --root for packaging and tests).
#   <root><prefix>/lib/milters/           the program (dotnet publish) + plugins/<Name>/ + docs/
#   <root><prefix>/bin/milters            symbolic link to it
#   <root>/etc/milters/milters.json       configuration template (kept when it exists)
#   <root>/var/db/domainkeys/             private keys, 0700 milters:milters
#   <root>/lib/systemd/system/milters.service
#   system user and group "milters"       (only when installing into /)
set -euo pipefail

usage() {
  cat <<USAGE
usage: install/install.sh [--root DIR] [--prefix PREFIX] [--framework-dependent] [--from DIR] [--configuration C]
  --root DIR              install below DIR instead of / (no user is created, ownership is not changed)
  --prefix PREFIX         program under PREFIX/lib/milters, link in PREFIX/bin   [default /usr]
  --framework-dependent   publish for an installed .NET 10 runtime instead of self-contained
  --from DIR              install an existing publish folder (DIR/milters, DIR/plugins/<Name>/) instead of building
  --configuration C       build configuration                                   [default Release]
  --runtime RID           runtime identifier                                     [default linux-x64]
Self-contained by default: the milter keeps working whatever happens to the machine's .NET runtime.
USAGE
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=/
PREFIX=/usr
SELF_CONTAINED=true
FROM=""
CONFIGURATION=Release
RID=linux-x64
PLUGINS=(DomainKeys SenderId AuthResults)
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$2; shift 2 ;;
    --prefix) PREFIX=$2; shift 2 ;;
    --framework-dependent) SELF_CONTAINED=false; shift ;;
    --from) FROM=$2; shift 2 ;;
    --configuration) CONFIGURATION=$2; shift 2 ;;
    --runtime) RID=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; echo "install.sh: unknown option $1" >&2; exit 64 ;;
  esac
done

say() { echo "install.sh: $*"; }
die() { echo "install.sh: $*" >&2; exit 1; }

ROOT=$(mkdir -p "$ROOT" && cd "$ROOT" && pwd)
case "$PREFIX" in /*) ;; *) die "--prefix must be absolute, not $PREFIX" ;; esac
SYSTEM=false
[ "$ROOT" = / ] && SYSTEM=true
R=${ROOT%/}
LIBDIR=$PREFIX/lib/milters
DEST=$R$LIBDIR

if $SYSTEM && [ "$(id -u)" != 0 ]; then die "installing into / needs root (or give --root DIR)"; fi

# 1. Build: the host and each plugin into a staging folder.
if [ -z "$FROM" ]; then
  command -v dotnet >/dev/null || die "dotnet (the .NET 10 SDK) is needed to build; or give --from DIR"
  STAGE=$(mktemp -d "${TMPDIR:-/tmp}/milters-publish.XXXXXX")
  trap 'rm -rf "$STAGE"' EXIT
  say "publishing the host ($CONFIGURATION, $RID, self-contained=$SELF_CONTAINED) ..."
  # --artifacts-path: every intermediate file under the staging folder, so an install never touches (or
  # races with) the bin/ and obj/ folders of a development build in the same checkout.
  dotnet publish "$REPO/src/Host/Milters.Host.csproj" -c "$CONFIGURATION" -r "$RID" --self-contained "$SELF_CONTAINED" \
    --artifacts-path "$STAGE/artifacts" -p:MiltersPluginLayoutDir=none -o "$STAGE/milters" -nologo -v q
  for p in "${PLUGINS[@]}"; do
    say "publishing plugin $p ..."
    # Plugins are never self-contained: they run inside the host's runtime and share Milters.Abstractions with it.
    dotnet publish "$REPO/plugins/$p/$p.csproj" -c "$CONFIGURATION" --artifacts-path "$STAGE/artifacts" \
      -p:MiltersPluginLayoutDir=none -o "$STAGE/milters/plugins/$p" -nologo -v q
  done
  FROM=$STAGE/milters
fi
[ -x "$FROM/milters" ] || die "$FROM/milters is not there (not a publish folder of the host)"
for p in "${PLUGINS[@]}"; do
  [ -f "$FROM/plugins/$p/$p.dll" ] || die "$FROM/plugins/$p/$p.dll is missing"
done

# 2. The system user (real installs only).
if $SYSTEM; then
  if ! getent group milters >/dev/null; then groupadd --system milters; say "created group milters"; fi
  if ! getent passwd milters >/dev/null; then
    useradd --system --gid milters --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin \
      --comment "Milters mail filter" milters
    say "created system user milters"
  fi
else
  say "(--root) would create the system user and group milters; ownership below is reported, not set"
fi
own() { # own USER:GROUP MODE PATH
  chmod "$2" "$3"
  if $SYSTEM; then chown "$1" "$3"; else say "(--root) would chown $1 $3 (mode $2)"; fi
}

# 3. The program: replaced as a whole, so no file of an older version stays behind.
mkdir -p "$(dirname "$DEST")"
rm -rf "$DEST.new"
cp -a "$FROM" "$DEST.new"
mkdir -p "$DEST.new/docs"
cp "$REPO"/docs/*.md "$DEST.new/docs/" 2>/dev/null || true
mkdir -p "$DEST.new/mta-snippets"
cp "$REPO"/tests/peers/mta-snippets/* "$DEST.new/mta-snippets/" 2>/dev/null || true
rm -f "$DEST.new/milters.json"   # the configuration lives in /etc/milters
# The contract must come from the host only (two copies = two different IMilterPlugin types). Taken out of
# the copy: a --from folder is the caller's and stays as it was.
for p in "${PLUGINS[@]}"; do rm -f "$DEST.new/plugins/$p"/Milters.Abstractions.*; done
chmod -R u=rwX,go=rX "$DEST.new"
rm -rf "$DEST.old"
[ -d "$DEST" ] && mv "$DEST" "$DEST.old"
mv "$DEST.new" "$DEST"
rm -rf "$DEST.old"
mkdir -p "$R$PREFIX/bin"
ln -sfn "$LIBDIR/milters" "$R$PREFIX/bin/milters"
say "installed $DEST (plugins: ${PLUGINS[*]})"

# 4. Configuration: the template only when there is none (an upgrade keeps the administrator's file).
mkdir -p "$R/etc/milters"
if [ -e "$R/etc/milters/milters.json" ]; then
  say "kept $R/etc/milters/milters.json"
else
  cp "$REPO/install/milters.json" "$R/etc/milters/milters.json"
  own root:milters 0640 "$R/etc/milters/milters.json"
  say "wrote $R/etc/milters/milters.json"
fi
own root:milters 0750 "$R/etc/milters"

# 5. The key directory: readable by the milter only.
mkdir -p "$R/var/db/domainkeys"
own milters:milters 0700 "$R/var/db/domainkeys"

# 6. The systemd unit, with this prefix's path.
mkdir -p "$R/lib/systemd/system"
sed "s|@LIBDIR@|$LIBDIR|g" "$REPO/install/milters.service" >"$R/lib/systemd/system/milters.service"
chmod 0644 "$R/lib/systemd/system/milters.service"
say "wrote $R/lib/systemd/system/milters.service"
if $SYSTEM && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  say "next: edit /etc/milters/milters.json, then systemctl enable --now milters"
fi
