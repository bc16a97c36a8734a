#!/usr/bin/env bash
# Builds argocd-oracle, Argo CD's ApplicationSet code as pinned in
# tools/argocd-oracle/go.mod, once per version, into the same machine cache
# as tools/build.sh, and links it into the repository's git-ignored
# .tools/bin/. The end-to-end test e2e/argocd runs it.
#
# From an empty module and build cache: downloading Argo CD's module graph
# takes about 1 to 2 minutes, compiling 11 to 13 CPU-minutes (measured),
# about 6 to 10 minutes on 2 cores, far more when the machine is busy; a
# cached binary takes under a second.
#
# Usage: tools/argocd-oracle/build.sh [--rebuild]
#   --rebuild                  build even when a cached binary works
# Environment:
#   PRENV_TOOLS_CACHE          cache root (default: $HOME/.cache/prenv/tools)
#   PRENV_TOOLS_REBUILD=1      same as --rebuild
#
# Prints one line: argocd-oracle <Argo CD version> <path of the link in .tools/bin>.
set -euo pipefail
shopt -s inherit_errexit

rebuild=${PRENV_TOOLS_REBUILD:-0}
for arg in "$@"; do
  case "$arg" in
    --rebuild) rebuild=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "argocd-oracle/build.sh: unknown argument: $arg" >&2
      exit 2
      ;;
  esac
done

oracle_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$oracle_dir/../.." && pwd)
cache_root=${PRENV_TOOLS_CACHE:-${HOME:?HOME is not set; set PRENV_TOOLS_CACHE}/.cache/prenv/tools}
bin_dir="$repo_root/.tools/bin"
name=argocd-oracle

export GOWORK=off
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
export CGO_ENABLED=0
cd "$oracle_dir"

log() { echo "argocd-oracle/build.sh: $*" >&2; }

version=$(go list -m -f '{{.Version}}' github.com/argoproj/argo-cd/v3)
ldflags="-s -w"

# works BINARY succeeds when BINARY runs and reports the pinned Argo CD.
works() {
  local out
  [[ -x "$1" ]] || return 1
  out=$("$1" -version 2>/dev/null) || return 1
  [[ "$out" == "$name $version" ]]
}

# Keyed by version and by what else decides the binary: the Go toolchain,
# the module graph (go.sum), the oracle's source and the flags.
key=$( { go env GOVERSION; cat go.sum main.go; echo "$ldflags"; } | sha256sum | cut -c1-12)
dir="$cache_root/$name-$version-$key"
mkdir -p "$dir"
(
  # One build per key at a time on this machine; a second caller waits,
  # then finds the binary built.
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$dir/.lock"
    flock 9
  fi
  if [[ "$rebuild" != 1 ]] && works "$dir/$name"; then
    log "Argo CD $version: cached"
    exit 0
  fi
  log "Argo CD $version: downloading modules (from scratch: about 1 to 2 minutes)"
  start=$SECONDS
  go mod download
  log "Argo CD $version: modules ready in $((SECONDS - start))s; compiling (from scratch: about 6 to 10 minutes on 2 cores)"
  start=$SECONDS
  tmp="$dir/.$name.tmp.$$"
  trap 'rm -f "$tmp"' EXIT
  go build -trimpath -ldflags "$ldflags" -o "$tmp" .
  if ! works "$tmp"; then
    log "the built binary does not report Argo CD $version"
    exit 1
  fi
  mv -f "$tmp" "$dir/$name"
  log "Argo CD $version: built in $((SECONDS - start))s"
) >&2

mkdir -p "$bin_dir"
ln -sfn "$dir/$name" "$bin_dir/$name"
echo "$name $version $bin_dir/$name -> $dir/$name"
