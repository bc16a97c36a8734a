#!/usr/bin/env bash
# The peer benchmark of `render sync` (issue: 100 PR envs of a medium spec,
# rendered and validated, against `helm template` per env and one
# `kubeconform -strict` over the stream), side by side in one run.
#
#   prenv: render sync -f examples/web/prenv.yaml --prs 1,...,N --output-dir DIR
#          (render, final checks and validation of every env, the tree
#          written atomically), one process.
#   peer:  helm template <env> CHART --namespace <env> -f values/pr-<n>.json,
#          once per PR, into one stream; then kubeconform -strict over it.
#
# The peer's chart is prenv's own template kit (templates/) as a Helm chart,
# with each PR's values precomputed by prenv (tools/bench/peerprep; not
# timed): charts/preview-app renders the app, not the env, so no chart of
# the repository renders the same env. The peer's objects are compared with
# prenv's (peerprep compare) before anything is timed. kubeconform gets
# strict JSON schemas for every kind in the stream, generated offline: the
# built-in kinds from Kubernetes v1.37.2's OpenAPI document (the
# k8s.io/kubernetes module tools/kube builds from), the ACK kinds from the
# upstream CRDs (../shared/crds); no schema is missing and none is
# downloaded.
#
# Also render sync again into the tree just written (every file compared
# and unchanged; the peer has no such step, so its figure is the same), and
# the single-env figures: one `render env` against one `helm template`
# and one `kubeconform -strict` of its output. Every figure is the best of
# RUNS runs (wall clock; the machine's other load shows in the worst).
# Last, process start: programs that link render's libraries and do
# nothing, render's and helm's binaries printing their version, STARTS
# rounds, the median and the best of each (printed after the figures
# above, so a failure there loses nothing).
#
# Each timed command starts after sync(1): render sync makes its tree
# durable with one syncfs(2) of the file system, which also writes out
# whatever other commands left unwritten there (the peer's 13 MB stream is
# written back only after 30 s by default), so without it prenv's figure
# would carry the peer's writes. Each run of render sync writes a new tree
# (envs-1, envs-2, ...) and none is removed before the end: ext4 without a
# journal (as on the disks of many CI and cloud machines) does not reuse an
# inode within 60 s of its removal (300 s while its inode table block is
# unwritten; fs/ext4/ialloc.c, recently_deleted), and each file created
# then first steps over every such inode of its block group one by one.
# A run right after `rm -rf` of the previous tree was 0.1-0.3 s slower.
#
# Usage: tools/bench/peer.sh
# Environment:
#   PRENV_BENCH_PRS      number of PRs (default 100)
#   PRENV_BENCH_RUNS     runs per figure (default 3)
#   PRENV_BENCH_STARTS   rounds of process starts (default 31; 0 skips them)
#   PRENV_BENCH_SPEC     the spec (default examples/web/prenv.yaml)
#   PRENV_CRDS           the upstream CRDs (default ../shared/crds)
#   PRENV_TOOLS_CACHE    cache root of the built tools (default $HOME/.cache/prenv/tools)
set -euo pipefail
shopt -s inherit_errexit
[[ -n ${EPOCHREALTIME:-} ]] || { echo "peer.sh: needs bash 5 (EPOCHREALTIME)" >&2; exit 2; }

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$bench_dir/../.." && pwd)
cache_root=${PRENV_TOOLS_CACHE:-${HOME:?HOME is not set; set PRENV_TOOLS_CACHE}/.cache/prenv/tools}
n=${PRENV_BENCH_PRS:-100}
runs=${PRENV_BENCH_RUNS:-3}
spec=${PRENV_BENCH_SPEC:-$repo_root/examples/web/prenv.yaml}
crds=${PRENV_CRDS:-$repo_root/../shared/crds}
export GOWORK=off
export GOFLAGS="${GOFLAGS:-} -mod=readonly"

log() { echo "peer.sh: $*" >&2; }

[[ -d "$crds" ]] || { log "the upstream CRDs are not in $crds (set PRENV_CRDS)"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Tools: helm (tools/build.sh, cached), kubeconform (pinned in this module,
# built once into the cache), render and peerprep from this checkout.
log "helm: bash tools/build.sh (cached after the first build)"
bash "$repo_root/tools/build.sh" >/dev/null
helm="$repo_root/.tools/bin/helm"

cd "$bench_dir"
kc_version=$(go list -m -f '{{.Version}}' github.com/yannh/kubeconform)
kc_key=$( { go env GOVERSION; cat go.sum; } | sha256sum | cut -c1-12)
kc_dir="$cache_root/kubeconform-$kc_version-$kc_key"
kubeconform="$kc_dir/kubeconform"
if [[ ! -x "$kubeconform" ]]; then
  log "kubeconform $kc_version: building (from scratch: about a minute)"
  mkdir -p "$kc_dir"
  start=$SECONDS
  # Static, as kubeconform's release builds are.
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$kc_dir/.kubeconform.tmp.$$" github.com/yannh/kubeconform/cmd/kubeconform
  mv -f "$kc_dir/.kubeconform.tmp.$$" "$kubeconform"
  log "kubeconform $kc_version: built in $((SECONDS - start))s"
fi
mkdir -p "$repo_root/.tools/bin"
ln -sfn "$kubeconform" "$repo_root/.tools/bin/kubeconform"

log "building render and peerprep"
go build -o "$work/peerprep" ./peerprep
(cd "$repo_root" && go build -o "$work/render" ./cmd/render)

swagger=$(cd "$repo_root/tools/kube" && go mod download -json k8s.io/kubernetes | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')/api/openapi-spec/swagger.json
[[ -f "$swagger" ]] || { log "no OpenAPI document at $swagger"; exit 1; }

log "preparing the peer: chart, values and schemas for $n PRs"
"$work/peerprep" -f "$spec" -n "$n" -out "$work/peer" -crds "$crds" -swagger "$swagger"
chart="$work/peer/chart"
schema_location="$work/peer/schemas/{{ .ResourceKind }}_{{ .Group }}_{{ .ResourceAPIVersion }}.json"
prs=$(seq -s, 1 "$n")

# Intervals in microseconds from bash's own clock, ${EPOCHREALTIME//[!0-9]/}
# (seconds and six digits of microseconds, the separator removed whatever
# the locale makes it): spawning date(1) for each reading would add its
# process start (several milliseconds) to every interval, once to render's
# and twice to the peer's helm-then-kubeconform.
ms() { echo $(( ($2 - $1) / 1000 )); }

# peer_stream FILE renders every PR with helm template into FILE.
peer_stream() {
  : >"$1"
  while read -r pr name ns; do
    "$helm" template "$name" "$chart" --namespace "$ns" -f "$work/peer/values/pr-$pr.json" >>"$1"
  done <"$work/peer/releases.txt"
}
kubeconform_run() {
  "$kubeconform" -strict -summary -schema-location "$schema_location" "$1" >"$work/kc.out" 2>&1 ||
    { cat "$work/kc.out" >&2; log "kubeconform refused the stream"; exit 1; }
}

# Both sides produce the same objects, and kubeconform accepts them.
peer_stream "$work/stream.yaml"
"$work/peerprep" compare "$work/peer/want.yaml" "$work/stream.yaml" >&2
kubeconform_run "$work/stream.yaml"
log "kubeconform: $(cat "$work/kc.out")"
"$work/render" sync -f "$spec" --prs "$prs" --output-dir "$work/envs" >/dev/null
files=$(find "$work/envs" -name '*.yaml' | wc -l)
log "render sync wrote $files files for $n PRs"

best() { sort -n | head -1; }
declare -a t_sync t_resync t_helm t_kc t_env t_helm1 t_kc1
for ((i = 1; i <= runs; i++)); do
  sync
  a=${EPOCHREALTIME//[!0-9]/}; "$work/render" sync -f "$spec" --prs "$prs" --output-dir "$work/envs-$i" >/dev/null; b=${EPOCHREALTIME//[!0-9]/}
  t_sync+=("$(ms "$a" "$b")")
  # Again into the tree just written: every file compared and unchanged.
  sync
  a=${EPOCHREALTIME//[!0-9]/}; "$work/render" sync -f "$spec" --prs "$prs" --output-dir "$work/envs-$i" >/dev/null; b=${EPOCHREALTIME//[!0-9]/}
  t_resync+=("$(ms "$a" "$b")")
  sync
  a=${EPOCHREALTIME//[!0-9]/}; peer_stream "$work/stream.yaml"; b=${EPOCHREALTIME//[!0-9]/}; kubeconform_run "$work/stream.yaml"; c=${EPOCHREALTIME//[!0-9]/}
  t_helm+=("$(ms "$a" "$b")"); t_kc+=("$(ms "$b" "$c")")
  sync
  a=${EPOCHREALTIME//[!0-9]/}; "$work/render" env -f "$spec" --pr 1 >"$work/one.yaml"; b=${EPOCHREALTIME//[!0-9]/}
  t_env+=("$(ms "$a" "$b")")
  read -r pr name ns <"$work/peer/releases.txt"
  sync
  a=${EPOCHREALTIME//[!0-9]/}; "$helm" template "$name" "$chart" --namespace "$ns" -f "$work/peer/values/pr-$pr.json" >"$work/one-peer.yaml"; b=${EPOCHREALTIME//[!0-9]/}
  kubeconform_run "$work/one-peer.yaml"; c=${EPOCHREALTIME//[!0-9]/}
  t_helm1+=("$(ms "$a" "$b")"); t_kc1+=("$(ms "$b" "$c")")
  log "run $i: sync ${t_sync[-1]} ms (again, unchanged: ${t_resync[-1]} ms); helm ${t_helm[-1]} ms + kubeconform ${t_kc[-1]} ms; env ${t_env[-1]} ms; helm ${t_helm1[-1]} ms + kubeconform ${t_kc1[-1]} ms"
done

sync_ms=$(printf '%s\n' "${t_sync[@]}" | best)
resync_ms=$(printf '%s\n' "${t_resync[@]}" | best)
env_ms=$(printf '%s\n' "${t_env[@]}" | best)
# The peer's best total of one run (helm and kubeconform of the same run).
peer_ms=$(for ((i = 0; i < runs; i++)); do echo $((t_helm[i] + t_kc[i])) "${t_helm[i]}" "${t_kc[i]}"; done | sort -n | head -1)
peer1_ms=$(for ((i = 0; i < runs; i++)); do echo $((t_helm1[i] + t_kc1[i])) "${t_helm1[i]}" "${t_kc1[i]}"; done | sort -n | head -1)
read -r peer_total peer_helm peer_kc <<<"$peer_ms"
read -r peer1_total peer1_helm peer1_kc <<<"$peer1_ms"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) b = 1; printf "%.1f", a / b }'; }
echo "spec: ${spec#"$repo_root/"}; $n PRs; best of $runs runs; $(nproc) cores"
echo "$n envs:  render sync ${sync_ms} ms | helm template x$n ${peer_helm} ms + kubeconform -strict ${peer_kc} ms = ${peer_total} ms | ratio $(ratio "$peer_total" "$sync_ms")x"
echo "$n envs again, into the unchanged tree: render sync ${resync_ms} ms | ratio $(ratio "$peer_total" "$resync_ms")x"
echo "1 env:    render env ${env_ms} ms | helm template ${peer1_helm} ms + kubeconform -strict ${peer1_kc} ms = ${peer1_total} ms | ratio $(ratio "$peer1_total" "$env_ms")x"

# Process start: what a process takes before any work, the floor under a
# one-env ratio. empty: Go's runtime alone; helmonly: Helm's template engine
# and chart loader; noengine: the libraries render env's features link,
# without Helm's engine; startfloor: all of them, none of prenv's code; then
# render's and helm's whole binaries printing their version. Each round
# starts every program once, in an order rotated by one each round; the
# median and the best of STARTS rounds (the best is the statistic of the
# figures above). The programs are built as render is, by go build.
starts=${PRENV_BENCH_STARTS:-31}
[[ $starts =~ ^[0-9]+$ ]] || { log "PRENV_BENCH_STARTS must be a number, not $starts"; exit 2; }
if ((starts == 0)); then
  log "process start: skipped (PRENV_BENCH_STARTS=0)"
  exit 0
fi
log "process start: building the floor programs"
for p in empty helmonly noengine; do go build -o "$work/$p" "./startfloor/$p"; done
go build -o "$work/startfloor" ./startfloor
start_labels=(empty helmonly noengine startfloor "render version" "helm version")
start_cmd() {
  case $1 in
  "render version") "$work/render" version ;;
  "helm version") "$helm" version ;;
  *) "$work/$1" ;;
  esac
}
k=${#start_labels[@]}
for ((i = 0; i < starts; i++)); do
  for ((j = 0; j < k; j++)); do
    label=${start_labels[(i + j) % k]}
    a=${EPOCHREALTIME//[!0-9]/}; start_cmd "$label" >/dev/null; b=${EPOCHREALTIME//[!0-9]/}
    echo $((b - a)) >>"$work/start-${label// /-}.us"
  done
done
# median_ms FILE and best_ms FILE: microseconds in, milliseconds out.
median_ms() { sort -n "$1" | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m / 1000 }'; }
best_ms() { sort -n "$1" | awk 'NR == 1 { printf "%.1f", $1 / 1000 }'; }
line="process start, ms (median / best of $starts):"
for label in "${start_labels[@]}"; do
  f="$work/start-${label// /-}.us"
  line+=" $label $(median_ms "$f") / $(best_ms "$f");"
done
echo "${line%;}"
floor_ms=$(best_ms "$work/start-startfloor.us")
awk -v p="$peer1_total" -v f="$floor_ms" -v q="$peer_total" -v n="$n" 'BEGIN {
  printf "budgets at the goals (best of runs): 1 env at 5 times the peer %.1f ms; %d envs at 50 times %.1f ms; the floor (startfloor, best) %.1f ms\n", p / 5, n, q / 50, f }'
