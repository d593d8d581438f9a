#!/usr/bin/env bash
# Strata's test command: builds the solution once in Release, starts a private redis-server and a Redis Cluster of
# three primaries with a replica each on loopback ports, runs every test project under tests/, a short smoke run of each benchmark project and the
# fuzz replay (each counted as one test), and ends with one line "N passed, N failed, N skipped" summed over all of them. Exits non-zero
# on a build error, on any failed test or smoke run, on a
# test host that produced no results, or when no test ran at all. Every Redis process it starts is stopped on exit.
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

results_dir="$PWD/.test-results"
rm -rf "$results_dir"
mkdir -p "$results_dir"

# --- Redis: installed when missing, private instances on free loopback ports, no persistence -----------------------
redis_dir=$(mktemp -d)
redis_pids=()
stop_redis() {
  for pid in "${redis_pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${redis_pids[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$redis_dir"
}
trap stop_redis EXIT

source eng/lib.sh
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  apt_install test.sh redis-server
fi
if ! command -v xz >/dev/null 2>&1; then # the recorded traces' readers (Strata.Throughput --traces-selftest) use it
  apt_install test.sh xz-utils
fi

free_port() {
  # A random loopback port nobody listens on, whose cluster bus port (port + 10000) is free too. Each port is taken
  # by start_redis before the next is picked, so two picks cannot collide.
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    if ! (: < "/dev/tcp/127.0.0.1/$port") 2>/dev/null && ! (: < "/dev/tcp/127.0.0.1/$((port + 10000))") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

start_redis() { # port, extra args...
  local port=$1; shift
  mkdir -p "$redis_dir/$port"
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$redis_dir/$port" \
    --daemonize no --loglevel warning "$@" > "$redis_dir/$port.log" 2>&1 &
  redis_pids+=($!)
  for _ in $(seq 1 100); do
    redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "test.sh: redis-server on port $port did not start:"; cat "$redis_dir/$port.log"
  return 1
}

redis_ok=1
single_port=$(free_port)
start_redis "$single_port" || redis_ok=0
cluster_nodes=()
for _ in 1 2 3 4 5 6; do # three primaries, each with a replica
  port=$(free_port)
  start_redis "$port" --cluster-enabled yes --cluster-config-file "$redis_dir/nodes-$port.conf" --cluster-node-timeout 5000 || redis_ok=0
  cluster_nodes+=("127.0.0.1:$port")
done
if [ "$redis_ok" -eq 1 ]; then
  redis-cli --cluster create "${cluster_nodes[@]}" --cluster-replicas 1 --cluster-yes >/dev/null || redis_ok=0
  # Every node must report the cluster ok, not only the first: a node still converging answers CLUSTERDOWN.
  for _ in $(seq 1 200); do
    ok=0
    for node in "${cluster_nodes[@]}"; do
      [ "$(redis-cli -h 127.0.0.1 -p "${node#*:}" cluster info 2>/dev/null | tr -d '\r' | grep cluster_state)" = "cluster_state:ok" ] && ok=$((ok + 1))
    done
    [ "$ok" -eq "${#cluster_nodes[@]}" ] && break
    sleep 0.1
  done
fi
if [ "$redis_ok" -ne 1 ]; then
  echo "test.sh: could not start Redis; no test ran"
  echo "0 passed, 0 failed, 0 skipped"
  exit 1
fi
export STRATA_TEST_REDIS="127.0.0.1:$single_port"
export STRATA_TEST_REDIS_CLUSTER
STRATA_TEST_REDIS_CLUSTER=$(IFS=,; echo "${cluster_nodes[*]}")
echo "test.sh: redis-server at $STRATA_TEST_REDIS, cluster at $STRATA_TEST_REDIS_CLUSTER"

if ! dotnet build Engine.sln -c Release -nologo -clp:ErrorsOnly; then
  echo "test.sh: the build failed; no test ran"
  echo "0 passed, 0 failed, 0 skipped"
  exit 1
fi

passed=0 failed=0 skipped=0 status=0
for project in tests/*.Tests/*.csproj; do
  name=$(basename "$project" .csproj)
  echo "== $name"
  if ! dotnet test "$project" -c Release --no-build -nologo \
      --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
      --results-directory "$results_dir"; then
    status=1
  fi
  trx="$results_dir/$name.trx"
  counters=$(grep -o '<Counters [^>]*>' "$trx" 2>/dev/null | head -n 1)
  if [ -z "$counters" ]; then
    echo "test.sh: $name produced no results (did the test host crash?)"
    status=1
    continue
  fi
  count() { printf '%s' "$counters" | sed -E "s/.* $1=\"([0-9]+)\".*/\1/"; }
  p=$(count passed) f=$(count failed) s=$(count notExecuted)
  f=$((f + $(count error) + $(count timeout) + $(count aborted)))
  echo "   $name: $p passed, $f failed, $s skipped"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done

# --- Smoke runs: each benchmark project runs for a moment so it never rots (nothing about speed is checked), and the ---
# --- fuzz targets replay their corpus plus seeded random and mutated inputs; the LocalCache soak runs 30M operations and ---
# --- the two-instance tiered soak 200,000 against the test Redis ---------------------------------------------------------
smoke() { # name, command...
  local name=$1; shift
  echo "== $name (smoke run)"
  if "$@" > "$results_dir/$name.smoke.log" 2>&1; then
    echo "   $name: smoke run passed"
    passed=$((passed + 1))
  else
    echo "   $name: smoke run FAILED; the end of $results_dir/$name.smoke.log:"
    tail -n 30 "$results_dir/$name.smoke.log"
    failed=$((failed + 1))
    status=1
  fi
}
smoke Strata.Benchmarks env STRATA_BENCH_REDIS="$STRATA_TEST_REDIS" dotnet run -c Release --no-build --project bench/Strata.Benchmarks -- \
  --filter '*' --job dry --inProcess --artifacts "$results_dir/benchmarks"
smoke Strata.Throughput dotnet run -c Release --no-build --project bench/Strata.Throughput -- --smoke
smoke TraceReaders dotnet run -c Release --no-build --project bench/Strata.Throughput -- --traces-selftest   # the recorded-trace readers, on traces it writes
smoke SessionLoad bash bench/session-api-load.sh --seconds 3 --sessions 50   # fails on any 5xx, failed request or lost write
smoke Packages bash eng/package-check.sh "$STRATA_TEST_REDIS"   # pack, check the packages, build and run a consumer from them
smoke AotSmoke bash eng/aot-smoke.sh "$STRATA_TEST_REDIS"   # publish a Native AOT program on the libraries, run it on Redis
smoke SessionApiAot bash samples/SessionApi/publish-aot.sh --check   # the service as Native AOT, under a short tiered load
smoke Strata.Fuzz dotnet run -c Release --no-build --project fuzz/Strata.Fuzz -- --replay --random 20000
smoke Strata.Soak dotnet run -c Release --no-build --project fuzz/Strata.Fuzz -- --soak --operations 5000000
smoke Strata.TieredSoak dotnet run -c Release --no-build --project fuzz/Strata.Fuzz -- --tiered-soak --redis "$STRATA_TEST_REDIS" --operations 200000

if [ $((passed + failed)) -eq 0 ]; then
  echo "test.sh: no test ran"
  status=1
fi
[ "$failed" -gt 0 ] && status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
