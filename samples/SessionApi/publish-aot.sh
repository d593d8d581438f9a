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
source eng/lib.sh

aot_publish publish-aot samples/SessionApi "$out" -p:PublishAot=true || exit 1
[ -x "$out/Strata.SessionApi" ] && [ ! -e "$out/Strata.SessionApi.dll" ] || fail "no native program in $out"
echo "publish-aot: $out/Strata.SessionApi ($(( $(stat -c %s "$out/Strata.SessionApi") / 1024 / 1024 )) MiB)"

if [ "$check" -eq 1 ]; then
  STRATA_SERVICE="$out/Strata.SessionApi" bash bench/session-api-load.sh --seconds 3 --sessions 50
fi
