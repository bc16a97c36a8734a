# shellcheck shell=bash
# Sourced by the build scripts of tools/argocd and tools/kwok: the options
# they share and the machine cache they build into (the cache of
# tools/build.sh, $PRENV_TOOLS_CACHE or $HOME/.cache/prenv/tools).
#
# tools_args SCRIPT "$@" reads --rebuild and -h/--help (which prints the
# comment at the top of SCRIPT) and sets rebuild (PRENV_TOOLS_REBUILD=1 is
# the same as --rebuild); any other argument exits 2.
#
# tools_cached DIR LABEL WORKS BUILD runs, in the cache folder DIR and under
# a lock of it (one build per folder at a time on this machine; a second
# caller waits, then finds the build done), the function BUILD unless
# rebuild is off and the function WORKS succeeds; WORKS must succeed after
# BUILD. Messages go to standard error, prefixed with LABEL.

tools_args() {
  local script=$1 arg
  shift
  rebuild=${PRENV_TOOLS_REBUILD:-0}
  for arg in "$@"; do
    case "$arg" in
      --rebuild) rebuild=1 ;;
      -h | --help)
        sed -n '2,/^set -euo/p' "$script" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
      *)
        echo "$(basename "$(dirname "$script")")/$(basename "$script"): unknown argument: $arg" >&2
        exit 2
        ;;
    esac
  done
}

tools_cache_root() {
  echo "${PRENV_TOOLS_CACHE:-${HOME:?HOME is not set; set PRENV_TOOLS_CACHE}/.cache/prenv/tools}"
}

tools_cached() {
  local dir=$1 label=$2 works=$3 build=$4
  mkdir -p "$dir"
  (
    if command -v flock >/dev/null 2>&1; then
      exec 9>"$dir/.lock"
      flock 9
    fi
    if [[ "$rebuild" != 1 ]] && "$works"; then
      echo "$label: cached" >&2
      exit 0
    fi
    local start=$SECONDS
    "$build"
    if ! "$works"; then
      echo "$label: the built binary does not work (see above)" >&2
      exit 1
    fi
    echo "$label: built in $((SECONDS - start))s" >&2
  ) >&2
}
