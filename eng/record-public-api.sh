#!/usr/bin/env bash
# Records every public symbol the PublicApiAnalyzers report as undeclared (RS0016) into the project's
# PublicAPI.Unshipped.txt, so a deliberate API change is one command and shows up in review as a diff of that file.
# Usage: eng/record-public-api.sh src/Engine
set -euo pipefail
project_dir=${1:?usage: eng/record-public-api.sh <project dir>}
unshipped="$project_dir/PublicAPI.Unshipped.txt"
project_path=$(cd "$project_dir" && pwd)
# Only this project's errors: a dependency that is itself out of date reports its own symbols, which belong in its file.
symbols=$(dotnet build "$project_dir" -c Release --no-incremental 2>&1 \
  | grep -F "[$project_path/" \
  | grep -o "error RS0016: Symbol '.*' is not part of the declared public API" \
  | sed -E "s/^error RS0016: Symbol '(.*)' is not part of the declared public API$/\1/" | sort -u || true)
if [ -z "$symbols" ]; then
  echo "no undeclared public symbols in $project_dir"
  exit 0
fi
{ grep -v '^#nullable enable$' "$unshipped" || true; printf '%s\n' "$symbols"; } | sort -u > "$unshipped.tmp"
{ echo '#nullable enable'; cat "$unshipped.tmp"; } > "$unshipped"
rm -f "$unshipped.tmp"
echo "recorded $(printf '%s\n' "$symbols" | wc -l) symbols in $unshipped"
