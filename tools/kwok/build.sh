#!/usr/bin/env bash
# Builds kwok (sigs.k8s.io/kwok), the fake kubelet of the end-to-end tier
# e2e/live, at the version pinned below, once per version and Go toolchain,
# into the same machine cache as tools/build.sh, and links it into the
# repository's git-ignored .tools/bin/. kwok keeps fake Nodes Ready and moves
# Pods through their life cycle (Running, and Succeeded for a Job's Pods)
# without running any container.
#
# `go install module/cmd@version` builds with kwok's own go.mod and go.sum,
# checked against the Go checksum database: the version pins the whole module
# graph, so no module of ours is needed. Measured from an empty module cache
# (most of the build cache warm from other Kubernetes builds): 5.5 minutes,
# 310 CPU-seconds, on 2 cores at a load average of about 5; a cached binary
# takes under a second.
#
# Usage: tools/kwok/build.sh [--rebuild]
#   --rebuild                  build even when a cached binary works
# Environment:
#   PRENV_TOOLS_CACHE          cache root (default: $HOME/.cache/prenv/tools)
#   PRENV_TOOLS_REBUILD=1      same as --rebuild
#
# Prints one line: kwok <version> <path of the link in .tools/bin>.
set -euo pipefail
shopt -s inherit_errexit

# The kwok release e2e/live runs (sigs.k8s.io/kwok's tag).
version=v0.7.0

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tools/cache.sh
source "$repo_root/tools/cache.sh"
tools_args "${BASH_SOURCE[0]}" "$@"
bin_dir="$repo_root/.tools/bin"
name=kwok

export GOWORK=off
export CGO_ENABLED=0
# Outside any module: go install pkg@version uses kwok's own go.mod.
cd "$(mktemp -d)"
trap 'rmdir "$PWD" 2>/dev/null || true' EXIT

ldflags="-s -w"
key=$( { go env GOVERSION; echo "$ldflags"; } | sha256sum | cut -c1-12)
dir="$(tools_cache_root)/$name-$version-$key"

# kwok's source names its own version (sigs.k8s.io/kwok/pkg/consts.Version,
# without the v), which `kwok --version` reports.
works() {
  local out
  [[ -x "$dir/$name" ]] || return 1
  out=$("$dir/$name" --version 2>/dev/null) || return 1
  [[ "$out" == *"${version#v}"* ]]
}

build() {
  echo "kwok $version: building (about 5 CPU-minutes from empty caches)" >&2
  local tmp="$dir/.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  GOBIN="$tmp" go install -trimpath -ldflags "$ldflags" "sigs.k8s.io/kwok/cmd/kwok@$version"
  mv -f "$tmp/$name" "$dir/$name"
  rm -rf "$tmp"
}

tools_cached "$dir" "kwok/build.sh: kwok $version" works build

mkdir -p "$bin_dir"
ln -sfn "$dir/$name" "$bin_dir/$name"
echo "$name $version $bin_dir/$name -> $dir/$name"
