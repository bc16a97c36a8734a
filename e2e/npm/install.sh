#!/usr/bin/env bash
# Installs the npm tools of the end-to-end tier (dynalite, the DynamoDB
# emulator, sqslite, the SQS emulator, and @cloud-copilot/iam-policy, the IAM
# policy validator) into e2e/npm/node_modules, exactly as package-lock.json
# pins them.
#
# npm ci removes node_modules and installs from the lock file only; it fails
# when package.json and package-lock.json disagree. Install scripts are not
# run: the one dependency that has one (classic-level, pulled in by dynalite's
# LevelDB store) ships prebuilt binaries, and dynalite runs in memory here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install.sh: $tool is not installed" >&2
    exit 1
  fi
done
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
npm ls --depth=0
