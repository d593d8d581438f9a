#!/usr/bin/env bash
# Native AOT and trimming, checked end to end: bash eng/aot-smoke.sh <redis host:port>
# 1. Installs the native toolchain Native AOT links with (clang, zlib1g-dev, from the Debian packages) when missing.
# 2. Publishes eng/aot-smoke with PublishAot=true. Every trim and AOT warning is reported on its own
#    (TrimmerSingleWarn=false) and any not about MemoryPack's own members fails the check, naming the member.
# 3. Runs the native program twice against the given Redis: "write" stores a source-generated JSON value, a MemoryPack
#    value and a list and reads them through L1; "read", a new process with an empty L1, reads them back from Redis.
# Prints "aot smoke: ok" and exits 0, or names what failed.
set -euo pipefail
redis=${1:?usage: eng/aot-smoke.sh <redis host:port>}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "aot smoke: FAILED: $*" >&2; exit 1; }
source "$root/eng/lib.sh"

aot_publish "aot smoke" "$root/eng/aot-smoke/AotSmoke.csproj" "$work/out" || exit 1
program="$work/out/Strata.AotSmoke"
[ -x "$program" ] || fail "no native program in the publish folder"
[ ! -e "$work/out/Strata.Tiering.dll" ] || fail "the publish folder holds managed assemblies: it is not a native build"
echo "aot smoke: published, $(( $(stat -c %s "$program") / 1024 / 1024 )) MiB"

prefix="aot-$RANDOM$RANDOM:"
"$program" write "$redis" "$prefix" || fail "the write run"
"$program" read "$redis" "$prefix" || fail "the read run, in a new process"
echo "aot smoke: ok"
