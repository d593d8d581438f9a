#!/usr/bin/env bash
# Records the public surface the PublicApiAnalyzers report as changed into the project's PublicAPI.Unshipped.txt:
# undeclared symbols (RS0016) are added, declared ones that no longer exist (RS0017) are removed. A deliberate API
# change is one command and shows up in review as a diff of that file. Runs until the build reports neither.
# Usage: eng/record-public-api.sh src/Engine
set -euo pipefail
project_dir=${1:?usage: eng/record-public-api.sh <project dir>}
unshipped="$project_dir/PublicAPI.Unshipped.txt"
project_path=$(cd "$project_dir" && pwd)
for _ in 1 2 3 4 5; do
  # Only this project's errors: a dependency that is itself out of date reports its own symbols, which belong in its file.
  output=$(dotnet build "$project_dir" -c Release --no-incremental 2>&1 | grep -F "[$project_path/" || true)
  added=$(printf '%s\n' "$output" | grep -o "error RS0016: Symbol '.*' is not part of the declared public API" \
    | sed -E "s/^error RS0016: Symbol '(.*)' is not part of the declared public API$/\1/" | sort -u || true)
  removed=$(printf '%s\n' "$output" | grep -o "error RS0017: Symbol '.*' is part of the declared API, but is either not public or could not be found" \
    | sed -E "s/^error RS0017: Symbol '(.*)' is part of the declared API.*$/\1/" | sort -u || true)
  if [ -z "$added" ] && [ -z "$removed" ]; then
    echo "the public API of $project_dir is recorded"
    exit 0
  fi
  { grep -v '^#nullable enable$' "$unshipped" | grep -vxF -f <(printf '%s\n' "$removed" | sed '/^$/d') || true; printf '%s\n' "$added" | sed '/^$/d'; } \
    | sort -u > "$unshipped.tmp"
  { echo '#nullable enable'; cat "$unshipped.tmp"; } > "$unshipped"
  rm -f "$unshipped.tmp"
done
echo "the public API of $project_dir still changes after five rounds" >&2
exit 1
