#!/usr/bin/env bash
# A mixed load on samples/SessionApi, and with --drill a Redis outage in the middle of it, in one command:
#   bash bench/session-api-load.sh [--embedded | --drill] [Strata.Throughput --load options]
# Builds the service and the load client, starts a private redis-server on a free loopback port (not with --embedded),
# starts the service on a SQLite file in a temporary folder, and runs `Strata.Throughput --load` (default: 30 s,
# 32 connections, 70 % session reads, 10 % message reads, 20 % appends, 1000 sessions). With --drill, 8 s into the load
# Redis is frozen (SIGSTOP) for 5 s, then killed (SIGKILL) and started again on the same port 1 s later. Prints the
# load's table and its requests per second. Then:
#   stale reads: acknowledged appends that reading the session back through the service did not show (its cache);
#   lost writes: acknowledged appends missing from the database itself, looked up after the service has stopped.
# Exits non-zero on any 5xx, failed request or lost write. Also prints the service's peak memory (VmHWM).
# STRATA_SERVICE names another build of the service to load: a native one (samples/SessionApi/publish-aot.sh), or
# any path to Strata.SessionApi.dll; the default is the Release build's dll, run by dotnet.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=tiered
if [[ "${1:-}" == "--embedded" || "${1:-}" == "--drill" ]]; then mode="${1#--}"; shift; fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
dotnet build -c Release samples/SessionApi -nologo -v quiet >/dev/null
dotnet build -c Release bench/Strata.Throughput -nologo -v quiet >/dev/null
work=$(mktemp -d)
redis_pid="" service_pid=""
cleanup() {
  [[ -n "$service_pid" ]] && kill "$service_pid" 2>/dev/null || true
  [[ -n "$redis_pid" ]] && kill -CONT "$redis_pid" 2>/dev/null && kill "$redis_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
start_redis() {
  redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --logfile "$work/redis.log" &
  redis_pid=$!
  until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.05; done
}
redis_url=""
if [[ "$mode" != embedded ]]; then
  redis_port=$(free_port)
  start_redis
  redis_url="redis://127.0.0.1:$redis_port"
fi
port=$(free_port)
key=load-measurement-signing-key-of-32-bytes-or-more
service=${STRATA_SERVICE:-samples/SessionApi/bin/Release/net10.0/Strata.SessionApi.dll}
run_service() { if [[ "$service" == *.dll ]]; then exec dotnet "$service" "$@"; else exec "$service" "$@"; fi; } # exec: $! is the service
token=$(Auth__SigningKey=$key run_service token load-admin admin | tail -n 1)
REDIS_URL="$redis_url" Auth__SigningKey=$key RateLimit__PermitLimit=100000000 Sessions__MaxMessages=1000000 \
  Sessions__ConnectionString="Data Source=$work/sessions.db" ASPNETCORE_URLS="http://127.0.0.1:$port" \
  ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning run_service >"$work/service.log" 2>&1 &
service_pid=$!
until curl -s -o /dev/null "http://127.0.0.1:$port/health/live"; do sleep 0.05; done
echo "service $mode on 127.0.0.1:$port${redis_url:+, Redis $redis_url}"
STRATA_BENCH_TOKEN=$token dotnet bench/Strata.Throughput/bin/Release/net10.0/Strata.Throughput.dll --load "http://127.0.0.1:$port" --acknowledged "$work/acknowledged.tsv" "$@" | tee "$work/load.log" &
load_pid=$!
if [[ "$mode" == drill ]]; then
  until grep -q "load started" "$work/load.log" 2>/dev/null; do sleep 0.05; done
  sleep 8;  kill -STOP "$redis_pid"; echo "drill: Redis frozen (SIGSTOP) at 8 s"
  sleep 5;  kill -KILL "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; echo "drill: Redis killed (SIGKILL) at 13 s"
  sleep 1;  start_redis; echo "drill: Redis started again at 14 s"
fi
status=0
wait $load_pid || status=$?
if grep -q "fail: " "$work/service.log"; then echo "service errors logged:"; grep -m 5 -A3 "fail: " "$work/service.log" | cut -c1-2000 || true; fi # -m, not head: a closed pipe would fail the script under pipefail
echo "service peak memory $(awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$service_pid/status") ($service)"
kill "$service_pid"; wait "$service_pid" 2>/dev/null || true; service_pid=""
lost=$(python3 - "$work/sessions.db" "$work/acknowledged.tsv" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
stored = set(db.execute("SELECT session_id, content FROM messages"))
acknowledged = [tuple(line.rstrip("\n").split("\t", 1)) for line in open(sys.argv[2], encoding="utf-8") if line.strip()]
print(sum(1 for pair in acknowledged if pair not in stored))
PY
)
echo "lost writes $lost (acknowledged appends missing from the database)"
[ "$lost" = 0 ] || status=1
exit $status
