#!/usr/bin/env bash
# Builds the kube-apiserver and kube-controller-manager pinned in
# tools/kube/go.mod, once per version, into the same machine cache as
# tools/build.sh, and links them into the repository's git-ignored
# .tools/bin/. The end-to-end tests (e2e/) start them.
#
# Both binaries come from one `go build`, so the packages they share compile
# once: 2,216 packages (8,850 Go files). A cold build first downloads 147
# modules, 87 MB of module zips (measured in the module cache; the time
# depends on the link), then compiles for 13 to 19 minutes on 2 quiet cores,
# 49 minutes on a loaded 2-core machine (measured); reusing a cached build
# takes about a second.
#
# Usage: tools/kube/build.sh [--rebuild]
#   --rebuild                  build even when cached binaries work
# Environment:
#   PRENV_TOOLS_CACHE          cache root (default: $HOME/.cache/prenv/tools)
#   PRENV_TOOLS_REBUILD=1      same as --rebuild
#
# Prints one line per binary: <name> <version> <path of the link in .tools/bin>.
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
      echo "kube/build.sh: unknown argument: $arg" >&2
      exit 2
      ;;
  esac
done

kube_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$kube_dir/../.." && pwd)
cache_root=${PRENV_TOOLS_CACHE:-${HOME:?HOME is not set; set PRENV_TOOLS_CACHE}/.cache/prenv/tools}
bin_dir="$repo_root/.tools/bin"

export GOWORK=off
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
# Static binaries, as the upstream release builds are.
export CGO_ENABLED=0
cd "$kube_dir"

log() { echo "kube/build.sh: $*" >&2; }

version=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
minor=$(echo "$version" | cut -d. -f2)
names=(kube-apiserver kube-controller-manager)

# The version the binaries report (/version, --version) and derive their
# compatibility version from. Without it they call themselves
# v0.0.0-master. The variables are those Kubernetes' own build sets
# (hack/lib/version.sh in the kubernetes repository), less the commit and
# date, which a module build does not know.
ldflags="-s -w"
ldflags+=" -X k8s.io/component-base/version.gitVersion=$version"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
ldflags+=" -X k8s.io/component-base/version.gitMinor=$minor"
ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"

# works BINARY succeeds when BINARY runs and reports $version.
works() {
  local out
  [[ -x "$1" ]] || return 1
  out=$("$1" --version 2>/dev/null) || return 1
  [[ "$out" == "Kubernetes $version" ]]
}

# Keyed by version and by what else decides the binaries: the Go toolchain,
# the module graph (go.sum) and the stamped flags.
key=$( { go env GOVERSION; cat go.sum; echo "$ldflags"; } | sha256sum | cut -c1-12)
dir="$cache_root/kube-$version-$key"
mkdir -p "$dir"
(
  # One build per key at a time on this machine; a second caller waits,
  # then finds the binaries built.
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$dir/.lock"
    flock 9
  fi
  if [[ "$rebuild" != 1 ]]; then
    ok=1
    for n in "${names[@]}"; do works "$dir/$n" || ok=0; done
    if [[ $ok == 1 ]]; then
      log "kubernetes $version: cached"
      exit 0
    fi
  fi
  log "kubernetes $version: building ${names[*]} (from scratch: 87 MB of modules to download, then 13 to 19 minutes of compiling on 2 quiet cores, about 49 under load)"
  start=$SECONDS
  tmp="$dir/.tmp.$$"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp"
  pkgs=()
  for n in "${names[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$n"); done
  # With several packages and -o naming a folder, go build writes one
  # binary per package, named after it.
  go build -trimpath -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}"
  for n in "${names[@]}"; do
    if ! works "$tmp/$n"; then
      log "$n: the built binary does not report Kubernetes $version"
      exit 1
    fi
  done
  for n in "${names[@]}"; do mv -f "$tmp/$n" "$dir/$n"; done
  log "kubernetes $version: built in $((SECONDS - start))s"
) >&2

mkdir -p "$bin_dir"
for n in "${names[@]}"; do
  ln -sfn "$dir/$n" "$bin_dir/$n"
  echo "$n $version $bin_dir/$n -> $dir/$n"
done
