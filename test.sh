#!/usr/bin/env bash
# Strata's test command: builds the solution once in Release, runs every test project under tests/, and ends with
# one line "N passed, N failed, N skipped" summed over all projects. Exits non-zero on a build error, on any failed
# test, on a test host that produced no results, or when no test ran at all.
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

results_dir="$PWD/.test-results"
rm -rf "$results_dir"
mkdir -p "$results_dir"

if ! dotnet build Engine.sln -c Release -nologo -clp:ErrorsOnly; then
  echo "test.sh: the build failed; no test ran"
  echo "0 passed, 0 failed, 0 skipped"
  exit 1
fi

passed=0 failed=0 skipped=0 status=0
for project in tests/*/*.csproj; do
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

if [ $((passed + failed)) -eq 0 ]; then
  echo "test.sh: no test ran"
  status=1
fi
[ "$failed" -gt 0 ] && status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
