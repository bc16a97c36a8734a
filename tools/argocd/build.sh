#!/usr/bin/env bash
# Builds tools/argocd, one multi-call binary of Argo CD's application
# controller, repo-server, ApplicationSet controller, cmp-server and
# notifications controller and of prenv's argocd-oracle (tools/argocd/main.go),
# as pinned in tools/argocd/go.mod, once per version and module graph, into the
# same machine cache as tools/build.sh, and links it into the repository's
# git-ignored .tools/bin/ under each command's name (the names of Argo CD's
# Procfile). The end-to-end tests e2e/argocd and e2e/live run them.
#
# From an empty module and build cache: downloading Argo CD's module graph
# takes about 1 to 2 minutes; compiling, see tools/argocd/README.md for the
# figures measured; a cached binary takes under a second.
#
# Usage: tools/argocd/build.sh [--rebuild]
#   --rebuild                  build even when a cached binary works
# Environment:
#   PRENV_TOOLS_CACHE          cache root (default: $HOME/.cache/prenv/tools)
#   PRENV_TOOLS_REBUILD=1      same as --rebuild
#
# Prints one line per name: <name> <Argo CD version> <path of the link in .tools/bin>.
set -euo pipefail
shopt -s inherit_errexit

module_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$module_dir/../.." && pwd)
# shellcheck source=tools/cache.sh
source "$repo_root/tools/cache.sh"
tools_args "${BASH_SOURCE[0]}" "$@"
bin_dir="$repo_root/.tools/bin"
name=argocd
# The names the binary answers to (main.go), Argo CD's Procfile's first.
names=(argocd-application-controller argocd-repo-server argocd-applicationset-controller argocd-cmp-server argocd-notifications argocd-oracle)

export GOWORK=off
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
export CGO_ENABLED=0
cd "$module_dir"

version=$(go list -m -f '{{.Version}}' github.com/argoproj/argo-cd/v3)
# The version Argo CD's commands report and log, as its Makefile stamps it
# (PACKAGE=github.com/argoproj/argo-cd/v3/common, version from its VERSION
# file); without it they call themselves v99.99.99.
ldflags="-s -w -X github.com/argoproj/argo-cd/v3/common.version=${version#v}"

# Keyed by version and by what else decides the binary: the Go toolchain,
# the module graph (go.sum), the Go files here and the flags.
key=$( { go env GOVERSION; cat go.sum ./*.go; echo "$ldflags"; } | sha256sum | cut -c1-12)
dir="$(tools_cache_root)/$name-$version-$key"

# works succeeds when the binary, called as argocd-oracle, reports the
# pinned Argo CD, and called as each of Argo CD's commands, prints its help.
works() {
  local out n
  [[ -x "$dir/$name" ]] || return 1
  out=$(ARGOCD_BINARY_NAME=argocd-oracle "$dir/$name" -version 2>/dev/null) || return 1
  [[ "$out" == "argocd-oracle $version" ]] || return 1
  for n in "${names[@]}"; do
    [[ "$n" == argocd-oracle ]] && continue
    ARGOCD_BINARY_NAME=$n "$dir/$name" --help >/dev/null 2>&1 || return 1
  done
}

build() {
  echo "argocd/build.sh: Argo CD $version: downloading modules (from scratch: about 1 to 2 minutes)" >&2
  go mod download
  echo "argocd/build.sh: Argo CD $version: compiling (see tools/argocd/README.md for how long)" >&2
  local tmp="$dir/.$name.tmp.$$"
  go build -trimpath -ldflags "$ldflags" -o "$tmp" .
  mv -f "$tmp" "$dir/$name"
}

tools_cached "$dir" "argocd/build.sh: Argo CD $version" works build

mkdir -p "$bin_dir"
for n in "${names[@]}"; do
  ln -sfn "$dir/$name" "$bin_dir/$n"
  echo "$n $version $bin_dir/$n -> $dir/$name"
done
