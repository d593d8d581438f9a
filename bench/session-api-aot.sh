#!/usr/bin/env bash
# The JIT build of samples/SessionApi against its Native AOT build: bash bench/session-api-aot.sh [runs]
# Start-up: each build is started [runs] times (default 5) on a new SQLite file, embedded (no Redis); the time from
# exec to the first 200 of /health/live and the resident memory (VmRSS) at that moment are taken, and the median of
# each printed. Then each build takes the same 15 s embedded load (bench/session-api-load.sh), which prints its
# requests per second, latencies and peak memory (VmHWM).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dotnet build -c Release samples/SessionApi -nologo -v quiet >/dev/null
bash samples/SessionApi/publish-aot.sh >/dev/null
jit=samples/SessionApi/bin/Release/net10.0/Strata.SessionApi.dll
aot=samples/SessionApi/bin/aot/Strata.SessionApi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

start_once() { # build -> "milliseconds rss_kib"
  local service=$1 port pid start ms rss
  port=$(free_port)
  rm -f "$work"/sessions.db*
  start=$(date +%s%N)
  if [[ "$service" == *.dll ]]; then set -- dotnet "$service"; else set -- "$service"; fi
  Auth__SigningKey=startup-measurement-signing-key-of-32-bytes Sessions__ConnectionString="Data Source=$work/sessions.db" \
    ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    "$@" >"$work/service.log" 2>&1 &
  pid=$!
  until curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/live" 2>/dev/null | grep -q 200; do sleep 0.005; done
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$ms $rss"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
for build in jit aot; do
  service=${!build}
  : >"$work/$build.txt"
  for _ in $(seq 1 "$runs"); do start_once "$service" >>"$work/$build.txt"; done
  echo "$build start-up: median $(cut -d' ' -f1 "$work/$build.txt" | median) ms to the first /health/live 200," \
    "memory then $(( $(cut -d' ' -f2 "$work/$build.txt" | median) / 1024 )) MiB (of $runs runs: $(cut -d' ' -f1 "$work/$build.txt" | tr '\n' ' ')ms)"
done
echo "binary: jit $(du -sh samples/SessionApi/bin/Release/net10.0 | cut -f1) folder (plus the shared framework), aot $(( $(stat -c %s "$aot") / 1024 / 1024 )) MiB"
for build in jit aot; do
  echo "== $build: 15 s embedded load"
  STRATA_SERVICE=${!build} bash bench/session-api-load.sh --embedded --seconds 15 | grep -E "^\| |^5xx|peak memory"
done
