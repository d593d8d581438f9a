# Shell helpers shared by ./test.sh, eng/aot-smoke.sh and samples/SessionApi/publish-aot.sh: source it.

# apt_install WHO PACKAGE...: installs Debian packages quietly, through sudo when not root.
apt_install() {
  local who=$1 sudo_cmd=""
  shift
  echo "$who: installing $*"
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# aot_publish WHO PROJECT OUT [ARGUMENT...]: publishes PROJECT as Native AOT for this machine into OUT, installing the
# toolchain it links with (clang, zlib1g-dev) when missing. The project reports each trim and AOT warning on its own
# (TrimmerSingleWarn=false) and leaves them to this check: any but MemoryPack's about its own members (its reflection
# fallback for generic types, which Strata does not use under Native AOT) fails it, naming the member. Returns 1, after
# saying why, when the publish or the check fails.
aot_publish() {
  local who=$1 project=$2 out=$3 log warnings others
  shift 3
  if ! command -v clang >/dev/null 2>&1 || ! dpkg -s zlib1g-dev >/dev/null 2>&1; then
    apt_install "$who" clang zlib1g-dev
  fi

  log=$(mktemp)
  if ! dotnet publish "$project" -c Release -r "linux-$(uname -m | sed -e 's/x86_64/x64/' -e 's/aarch64/arm64/')" -o "$out" -nologo "$@" >"$log" 2>&1; then
    grep -E 'warning|error' "$log" | sort -u | tail -n 30
    echo "$who: FAILED: dotnet publish of $project as Native AOT" >&2
    rm -f "$log"
    return 1
  fi

  warnings=$(grep -E 'warning IL[0-9]+' "$log" | sort -u || true)
  rm -f "$log"
  others=$(grep -vE 'warning IL[0-9]+: MemoryPack\.' <<<"$warnings" || true)
  if [ -n "$others" ]; then
    echo "$others"
    echo "$who: FAILED: trim or AOT warnings outside MemoryPack" >&2
    return 1
  fi

  echo "$who: no trim or AOT warning outside MemoryPack ($(grep -c . <<<"$warnings" || true) from MemoryPack)"
}
