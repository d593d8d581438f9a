#!/usr/bin/env bash
# Packs the four libraries and uses them as a user would: bash eng/package-check.sh <redis host:port>
# 1. Clones the repository's committed HEAD into a temporary folder and points its origin at a GitHub-style test URL
#    (https://github.com/strata-example/strata), so that SourceLink has a remote to link to, as in a real clone.
# 2. `dotnet pack` of src/Engine, src/Tiering, src/Extensions and src/Sessions into a local folder feed.
# 3. Checks each package: one version (Directory.Build.props), the MIT license, its README, repository information
#    with the commit, a .snupkg whose PDB carries the source link to that commit. Then that a package dropping a public
#    member of the 0.1.0 baseline (eng/api-baseline) does not pack, and that rebuilding Strata.Engine gives the same bytes.
# 4. Copies eng/package-consumer outside the repository (no Directory.Build.props applies), restores it from the feed
#    into a fresh packages folder, builds it and runs it against the given Redis: a tiered get and set, LocalCache,
#    the rate limiter and the session store. Prints "package check: ok" and exits 0, or names what failed.
set -euo pipefail
redis=${1:?usage: eng/package-check.sh <redis host:port>}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "package check: FAILED: $*" >&2; exit 1; }

git clone -q --no-hardlinks "$root" "$work/repo"
git -C "$work/repo" remote set-url origin https://github.com/strata-example/strata.git
commit=$(git -C "$work/repo" rev-parse HEAD)
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$work/repo/Directory.Build.props" | head -n 1)
[ -n "$version" ] || fail "no <Version> in Directory.Build.props"
for project in Engine Tiering Extensions Sessions; do
  dotnet pack "$work/repo/src/$project" -c Release -o "$work/feed" -nologo -v quiet -p:ContinuousIntegrationBuild=true >"$work/pack-$project.log" 2>&1 \
    || { tail -n 20 "$work/pack-$project.log"; fail "dotnet pack src/$project"; }
done

for id in Strata.Engine Strata.Tiering Strata.Extensions Strata.Sessions; do
  nupkg="$work/feed/$id.$version.nupkg"
  [ -f "$nupkg" ] || fail "$id: no $id.$version.nupkg"
  [ -f "$work/feed/$id.$version.snupkg" ] || fail "$id: no symbols package (.snupkg)"
  nuspec=$(unzip -p "$nupkg" "$id.nuspec")
  files=$(unzip -l "$nupkg") # captured, not piped: grep -q closing a pipe early would fail it under pipefail
  grep -q '<license type="expression">MIT</license>' <<<"$nuspec" || fail "$id: no MIT license expression"
  grep -q '<readme>README.md</readme>' <<<"$nuspec" || fail "$id: no readme in the nuspec"
  grep -q ' README.md$' <<<"$files" || fail "$id: README.md is not in the package"
  grep -q "<repository type=\"git\" url=\"https://github.com/strata-example/strata.git\"[^>]*commit=\"$commit\"" <<<"$nuspec" \
    || fail "$id: the nuspec's repository does not name the remote and commit $commit"
  grep -q "lib/net10.0/$id.xml" <<<"$files" || fail "$id: no XML documentation"
  unzip -p "$work/feed/$id.$version.snupkg" "lib/net10.0/$id.pdb" > "$work/$id.pdb" || fail "$id: no PDB in the symbols package"
  grep -aq "raw.githubusercontent.com/strata-example/strata/$commit/" "$work/$id.pdb" || fail "$id: the PDB has no source link to $commit"
  echo "package check: $id $version: license, README, repository, symbols, source link"
done

# The API baseline: a package that drops a public member of 0.1.0 must not pack (ApiCompat's CP0002). The analyzers,
# which would refuse the change first (RS0017), are off for this one pack so the package validation is what is tested.
sed -i 's/public bool ContainsKey(ReadOnlySpan<char> key)/internal bool ContainsKey(ReadOnlySpan<char> key)/' "$work/repo/src/Engine/Store/LocalCache.cs"
grep -q 'internal bool ContainsKey(ReadOnlySpan<char> key)' "$work/repo/src/Engine/Store/LocalCache.cs" || fail "the breaking change to test the baseline with was not made"
if dotnet pack "$work/repo/src/Engine" -c Release -o "$work/broken" -nologo -p:RunAnalyzers=false >"$work/broken.log" 2>&1; then
  fail "a package without LocalCache.ContainsKey(ReadOnlySpan<char>) packed: the API baseline is not checked"
fi
grep -q "CP0002" "$work/broken.log" || { tail -n 20 "$work/broken.log"; fail "the broken pack failed, but not on the API baseline"; }
git -C "$work/repo" checkout -q -- src/Engine/Store/LocalCache.cs
echo "package check: a public member removed since 0.1.0 fails the pack (CP0002)"

# Deterministic: building Strata.Engine again from scratch gives the same bytes as the packed assembly.
unzip -p "$work/feed/Strata.Engine.$version.nupkg" lib/net10.0/Strata.Engine.dll > "$work/packed.dll"
dotnet build "$work/repo/src/Engine" -c Release --no-incremental -nologo -v quiet -p:ContinuousIntegrationBuild=true -o "$work/rebuilt" >"$work/rebuild.log" 2>&1 \
  || { tail -n 20 "$work/rebuild.log"; fail "rebuilding src/Engine"; }
cmp -s "$work/packed.dll" "$work/rebuilt/Strata.Engine.dll" || fail "Strata.Engine.dll differs between two builds of one commit"
echo "package check: Strata.Engine.dll is the same in two builds"

cp -r "$root/eng/package-consumer" "$work/consumer"
rm -rf "$work/consumer/bin" "$work/consumer/obj"
cat > "$work/consumer/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="strata-local" value="$work/feed" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="strata-local"><package pattern="Strata.*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
CONFIG
dotnet build "$work/consumer" -c Release -nologo -v quiet -p:StrataVersion="$version" -p:RestorePackagesPath="$work/packages" >"$work/consumer.log" 2>&1 \
  || { tail -n 30 "$work/consumer.log"; fail "the consumer does not build from the packages"; }
dotnet "$work/consumer/bin/Release/net10.0/PackageConsumer.dll" "$redis" || fail "the consumer's run"
echo "package check: ok"
