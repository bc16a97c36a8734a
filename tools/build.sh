#!/usr/bin/env bash
# Builds the helm and helmfile pinned in tools/go.mod, once per version, into
# a cache kept on the machine, and links them into the repository's
# git-ignored .tools/bin/.
#
# Why a cache outside the repository: CI runs on a fresh clone every time, so
# a folder inside the clone would always start empty, and building helmfile
# from source takes long. The cache folder is keyed by tool and version, so
# a version bump in tools/go.mod builds anew and never reuses an old binary.
#
# How long a cold build takes (empty module cache and build cache, 2 cores):
#   - downloading modules: helm and helmfile need 359 modules, 410 MB of
#     module zips (measured: the zips in the module cache); the time depends
#     on the link to the module proxy (about 1 minute at 10 MB/s).
#   - compiling: 2,410 packages (13,349 Go files). Measured from empty
#     caches: 12 min 39 s on 2 quiet cores (60 s of it downloads), 21 min
#     under the load of other builds. helmfile is built first; helm then
#     reuses most of its compiled packages (13 to 17 s).
# Cached: under a second. Progress is printed as packages compile.
#
# Usage: tools/build.sh [--rebuild]
#   --rebuild                  build even when a cached binary works
# Environment:
#   PRENV_TOOLS_CACHE          cache root (default: $HOME/.cache/prenv/tools)
#   PRENV_TOOLS_REBUILD=1      same as --rebuild
#
# Prints one line per tool: <name> <version> <path of the link in .tools/bin>.
set -euo pipefail
# Fail inside $(...) too, so that a failed build never prints a path.
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
      echo "build.sh: unknown argument: $arg" >&2
      exit 2
      ;;
  esac
done

tools_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$tools_dir/.." && pwd)
cache_root=${PRENV_TOOLS_CACHE:-${HOME:?HOME is not set; set PRENV_TOOLS_CACHE}/.cache/prenv/tools}
bin_dir="$repo_root/.tools/bin"

# The tools module builds on its own: no workspace, go.sum as it is.
export GOWORK=off
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
# Static binaries, as the upstream releases are.
export CGO_ENABLED=0
# helmfile's version command would otherwise ask the network for a newer release.
export HELMFILE_UPGRADE_NOTICE_DISABLED=1
cd "$tools_dir"

log() { echo "build.sh: $*" >&2; }

# progress NAME TOTAL START reads `go build -v` output: a line every 200
# compiled packages or every minute, and any other line (an error) as it is.
progress() {
  local name=$1 total=$2 start=$3 n=0 last=$SECONDS line
  while IFS= read -r line; do
    if [[ "$line" =~ ^[A-Za-z0-9._~/-]+$ ]]; then
      n=$((n + 1))
      if ((n % 200 == 0 || SECONDS - last >= 60)); then
        log "$name: compiled $n packages of at most $total ($((SECONDS - start))s)"
        last=$SECONDS
      fi
    else
      echo "$line"
    fi
  done
  log "$name: compiled $n packages (the others came from Go's build cache)"
}

# module_version prints the version the tools module selects for a module,
# the replacement's version when go.mod replaces it.
module_version() {
  go list -m -f '{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' "$1"
}

# works NAME BINARY VERSION succeeds when BINARY runs and reports VERSION.
works() {
  local name=$1 binary=$2 version=$3 out
  [[ -x "$binary" ]] || return 1
  case "$name" in
    helm) out=$("$binary" version --template '{{.Version}}' 2>/dev/null) || return 1 ;;
    helmfile) out=$("$binary" --version 2>/dev/null) || return 1 ;;
    *) return 1 ;;
  esac
  [[ "$out" == *"$version"* ]]
}

# build NAME PACKAGE VERSION LDFLAGS ESTIMATE builds PACKAGE into the cache
# unless a working binary is there already, and prints the cached binary's
# path. ESTIMATE says how long a cold compile takes.
build() {
  local name=$1 pkg=$2 version=$3 ldflags=$4 estimate=$5
  # Keyed by version and by what else decides the binary: the module graph
  # (go.sum, which the replace directives shape) and the stamped flags.
  local key
  key=$( { cat go.sum; echo "$ldflags"; } | sha256sum | cut -c1-12)
  local dir="$cache_root/$name-$version-$key"
  local binary="$dir/$name"
  mkdir -p "$dir"
  (
    # One build per tool and version at a time on this machine; a second
    # caller waits, then finds the binary built.
    if command -v flock >/dev/null 2>&1; then
      exec 9>"$dir/.lock"
      flock 9
    fi
    if [[ "$rebuild" != 1 ]] && works "$name" "$binary" "$version"; then
      log "$name $version: cached"
      exit 0
    fi
    log "$name $version: building $pkg into $dir"
    local start=$SECONDS tmp="$dir/.$name.tmp.$$" total
    log "$name $version: listing its packages (with an empty module cache this downloads the modules first; see the top of this script)"
    total=$(go list -deps "$pkg" | wc -l)
    log "$name $version: $total packages, modules ready after $((SECONDS - start))s; compiling ($estimate)"
    trap 'rm -f "$tmp"' EXIT
    go build -v -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg" 2>&1 | progress "$name" "$total" "$start"
    mv -f "$tmp" "$binary"
    if ! works "$name" "$binary" "$version"; then
      log "$name $version: the built binary does not report version $version"
      exit 1
    fi
    log "$name $version: built in $((SECONDS - start))s"
  ) >&2
  echo "$binary"
}

helm_version=$(module_version helm.sh/helm/v3)
helmfile_version=$(module_version github.com/helmfile/helmfile)
# Helm's release build stamps the Kubernetes version of the client-go that
# helm's own go.mod requires as the default .Capabilities.KubeVersion (its
# Makefile). Stamp the same, so that `helm template` here sees what the
# released helm sees, although this module links helmfile's older k8s
# libraries (the replace directives above).
helm_gomod=$(go mod download -json "helm.sh/helm/v3@$helm_version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
client_go=$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$helm_gomod")
[[ -n "$client_go" ]] || { log "cannot read helm's client-go version from $helm_gomod"; exit 1; }
k8s_minor=$(echo "$client_go" | cut -d. -f2)

helm_ldflags="-s -w"
helm_ldflags+=" -X helm.sh/helm/v3/internal/version.version=$helm_version"
helm_ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  helm_ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
done

helmfile_ldflags="-s -w"
helmfile_ldflags+=" -X go.szostok.io/version.version=$helmfile_version"
helmfile_ldflags+=" -X go.szostok.io/version.dirtyBuild=false"

# helmfile first: it is the long one, and the one a reader waits for.
log "building helmfile $helmfile_version and helm $helm_version (pinned in tools/go.mod) into $cache_root"
helmfile_bin=$(build helmfile github.com/helmfile/helmfile "$helmfile_version" "$helmfile_ldflags" \
  "from scratch about 12 minutes on 2 quiet cores (measured), 20 or more under load")
helm_bin=$(build helm helm.sh/helm/v3/cmd/helm "$helm_version" "$helm_ldflags" \
  "mostly packages helmfile's build compiled already: a few minutes at most")

mkdir -p "$bin_dir"
ln -sfn "$helm_bin" "$bin_dir/helm"
ln -sfn "$helmfile_bin" "$bin_dir/helmfile"

echo "helm $helm_version $bin_dir/helm -> $helm_bin"
echo "helmfile $helmfile_version $bin_dir/helmfile -> $helmfile_bin"
