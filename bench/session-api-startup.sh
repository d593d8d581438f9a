#!/usr/bin/env bash
# How long samples/SessionApi takes to listen when its Redis accepts connections and never answers (a firewall that
# drops replies), and what /health/ready says then. Builds the service, opens a silent loopback port (python3), starts
# the service against it three times, and prints the time from the start of the process to the first answer of
# /health/live (polled every 20 ms) and the first /health/ready. With --redis URL, uses that Redis instead.
set -euo pipefail
cd "$(dirname "$0")/.."
redis_url=""
if [[ "${1:-}" == "--redis" ]]; then redis_url="$2"; fi
dotnet build -c Release samples/SessionApi -nologo -v quiet >/dev/null
silent_pid=""
if [[ -z "$redis_url" ]]; then
  silent_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  python3 -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$silent_port)); s.listen(64); time.sleep(3600)" &
  silent_pid=$!
  redis_url="redis://127.0.0.1:$silent_port"
  sleep 0.5
fi
trap '[[ -n "$silent_pid" ]] && kill $silent_pid 2>/dev/null || true' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cd samples/SessionApi/bin/Release/net10.0
for run in 1 2 3; do
  start=$(date +%s%N)
  REDIS_URL="$redis_url" Strata__Provider=Redis Auth__SigningKey=startup-measurement-key-of-32-bytes-or-more \
    Sessions__ConnectionString="Data Source=startup-$run;Mode=Memory;Cache=Shared" ASPNETCORE_URLS="http://127.0.0.1:$port" \
    dotnet Strata.SessionApi.dll >/dev/null 2>&1 &
  pid=$!
  until curl -s -o /dev/null "http://127.0.0.1:$port/health/live"; do sleep 0.02; done
  end=$(date +%s%N)
  ready=$(curl -s -w ' %{time_total}' "http://127.0.0.1:$port/health/ready" | tr -d ' \n')
  echo "run $run: listening after $(( (end - start) / 1000000 )) ms; /health/ready: $(grep -o '"state":"[A-Za-z]*"' <<<"$ready") in ${ready##*\}}s"
  kill $pid; wait $pid 2>/dev/null || true
done
