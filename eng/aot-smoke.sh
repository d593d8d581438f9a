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

if ! command -v clang >/dev/null 2>&1 || ! dpkg -s zlib1g-dev >/dev/null 2>&1; then
  echo "aot smoke: installing clang and zlib1g-dev"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang zlib1g-dev >/dev/null
fi

rid="linux-$(uname -m | sed -e 's/x86_64/x64/' -e 's/aarch64/arm64/')"
dotnet publish "$root/eng/aot-smoke/AotSmoke.csproj" -c Release -r "$rid" -o "$work/out" -nologo >"$work/publish.log" 2>&1 \
  || { grep -E 'warning|error' "$work/publish.log" | sort -u | tail -n 30; fail "dotnet publish -p:PublishAot=true"; }
# The only trim and AOT warnings allowed are MemoryPack's about its own members (see AotSmoke.csproj).
warnings=$(grep -E 'warning IL[0-9]+' "$work/publish.log" | sort -u || true)
others=$(grep -vE 'warning IL[0-9]+: MemoryPack\.' <<<"$warnings" || true)
[ -z "$others" ] || { echo "$others"; fail "trim or AOT warnings outside MemoryPack"; }
echo "aot smoke: no trim or AOT warning outside MemoryPack ($(grep -c . <<<"$warnings" || true) from MemoryPack)"
program="$work/out/Strata.AotSmoke"
[ -x "$program" ] || fail "no native program in the publish folder"
[ ! -e "$work/out/Strata.Tiering.dll" ] || fail "the publish folder holds managed assemblies: it is not a native build"
echo "aot smoke: published $rid, $(( $(stat -c %s "$program") / 1024 / 1024 )) MiB"

prefix="aot-$RANDOM$RANDOM:"
"$program" write "$redis" "$prefix" || fail "the write run"
"$program" read "$redis" "$prefix" || fail "the read run, in a new process"
echo "aot smoke: ok"
