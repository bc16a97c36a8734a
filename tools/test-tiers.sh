#!/usr/bin/env bash
# Prints which tiers of tests `make test` runs on this machine, which skip,
# and why, by the conditions the tests themselves check: helm and helmfile
# in $PRENV_TOOLS_BIN or .tools/bin (internal/integration), the upstream
# CRDs in $PRENV_SHARED_CRDS or ../shared/crds next to the repository
# (internal/upstream: the comparisons with them in validate, argocd and
# cmd/render; golden comparisons run without them), PRENV_REQUIRE_TOOLS=1
# (CI: a missing tool or CRD folder fails instead of skipping), FUZZTIME
# (make fuzz).
#
# Usage: tools/test-tiers.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
require=${PRENV_REQUIRE_TOOLS:-0}
line() { printf 'tier %-28s %s\n' "$1:" "$2"; }

line "lint" "ran (gofmt, go vet, go mod tidy -diff)"
line "unit" "ran (go test -race -count=1 ./...)"

bin=${PRENV_TOOLS_BIN:-$root/.tools/bin}
missing=()
for t in helm helmfile; do
  [[ -e "$bin/$t" ]] || missing+=("$t")
done
if ((${#missing[@]} == 0)); then
  line "helm/helmfile integration" "ran (internal/integration, with helm and helmfile from $bin)"
elif [[ "$require" == 1 ]]; then
  line "helm/helmfile integration" "failed: ${missing[*]} not built in $bin, and PRENV_REQUIRE_TOOLS=1 (run bash tools/build.sh)"
else
  line "helm/helmfile integration" "skipped: ${missing[*]} not built in $bin (run bash tools/build.sh; PRENV_REQUIRE_TOOLS=1 makes this a failure)"
fi

crds=${PRENV_SHARED_CRDS:-$(cd "$root/.." && pwd)/shared/crds}
if [[ -d "$crds" ]]; then
  line "upstream CRD conformance" "ran (the upstream ACK and Argo CD CRDs in $crds)"
elif [[ "$require" == 1 ]]; then
  line "upstream CRD conformance" "failed: $crds not found, and PRENV_REQUIRE_TOOLS=1 (the upstream ACK and Argo CD CRDs, next to the repository or in \$PRENV_SHARED_CRDS)"
else
  line "upstream CRD conformance" "skipped: $crds not found (the upstream ACK and Argo CD CRDs, next to the repository or in \$PRENV_SHARED_CRDS; golden comparisons still ran; PRENV_REQUIRE_TOOLS=1 makes this a failure)"
fi

if [[ -n "${FUZZTIME:-}" ]]; then
  line "fuzz" "ran (make fuzz: FuzzRender, FuzzLoad, FuzzNames, FuzzGenerate, FuzzMarshalYAML, FuzzFastDocument, FuzzJSONString, FuzzTemplateValues, FuzzCRDHeader, FuzzPrunes, FuzzDecodeTyped, FuzzCanonical, FUZZTIME=$FUZZTIME each)"
else
  line "fuzz" "ran (make fuzz: FuzzRender, FuzzLoad, FuzzNames, FuzzGenerate, FuzzMarshalYAML, FuzzFastDocument, FuzzJSONString, FuzzTemplateValues, FuzzCRDHeader, FuzzPrunes, FuzzDecodeTyped, FuzzCanonical, a fixed number of executions each)"
fi
line "end-to-end" "not part of make test (make e2e: a real kube-apiserver, bash tools/kube/build.sh and etcd; e2e/live also Argo CD, kwok and redis-server: bash tools/argocd/build.sh, bash tools/kwok/build.sh)"
