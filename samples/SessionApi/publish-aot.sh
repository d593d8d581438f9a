#!/usr/bin/env bash
# Publishes the service as Native AOT: bash samples/SessionApi/publish-aot.sh [--check] [output folder]
# Installs the native toolchain (clang, zlib1g-dev, from the Debian packages) when missing, publishes with
# PublishAot=true into the folder (default samples/SessionApi/bin/aot) and fails on any trim or AOT warning but
# MemoryPack's about its own members. The program is <folder>/Strata.SessionApi, configured as the JIT build is.
# With --check it then runs a short tiered load through the native service (bench/session-api-load.sh: a private
# redis-server, 0 5xx, 0 failed requests and 0 lost writes required).
set -euo pipefail
cd "$(dirname "$0")/../.."
check=0
if [[ "${1:-}" == "--check" ]]; then check=1; shift; fi
out=$(realpath -m "${1:-samples/SessionApi/bin/aot}")
fail() { echo "publish-aot: FAILED: $*" >&2; exit 1; }

if ! command -v clang >/dev/null 2>&1 || ! dpkg -s zlib1g-dev >/dev/null 2>&1; then
  echo "publish-aot: installing clang and zlib1g-dev"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang zlib1g-dev >/dev/null
fi

rid="linux-$(uname -m | sed -e 's/x86_64/x64/' -e 's/aarch64/arm64/')"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet publish samples/SessionApi -c Release -r "$rid" -p:PublishAot=true -o "$out" -nologo >"$log" 2>&1 \
  || { grep -E 'warning|error' "$log" | sort -u | tail -n 30; fail "dotnet publish -p:PublishAot=true"; }
warnings=$(grep -E 'warning IL[0-9]+' "$log" | sort -u || true)
others=$(grep -vE 'warning IL[0-9]+: MemoryPack\.' <<<"$warnings" || true)
[ -z "$others" ] || { echo "$others"; fail "trim or AOT warnings outside MemoryPack"; }
[ -x "$out/Strata.SessionApi" ] && [ ! -e "$out/Strata.SessionApi.dll" ] || fail "no native program in $out"
echo "publish-aot: $out/Strata.SessionApi ($rid, $(( $(stat -c %s "$out/Strata.SessionApi") / 1024 / 1024 )) MiB)"

if [ "$check" -eq 1 ]; then
  STRATA_SERVICE="$out/Strata.SessionApi" bash bench/session-api-load.sh --seconds 3 --sessions 50
fi
