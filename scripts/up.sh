#!/usr/bin/env bash
# npm run up [-- pulumi up flags]: checks the host, then brings the lab up with the local file
# backend (no Pulumi Cloud account) and a passphrase for the stack's secrets. OKD_LAB_STACK picks the stack (default dev).
set -euo pipefail
cd "$(dirname "$0")/.."
stack=${OKD_LAB_STACK:-dev}
. scripts/pulumiEnv.sh
if ! command -v pulumi >/dev/null; then
  echo "okd-lab: the Pulumi CLI is not installed: see https://www.pulumi.com/docs/install/" >&2
  exit 1
fi
# OKD_LAB_SKIP_PREFLIGHT=1 skips the host checks (e.g. when one of them is wrong for your host).
if [ -z "${OKD_LAB_SKIP_PREFLIGHT:-}" ]; then
  npm run -s preflight -- --stack "$stack"
fi
if ! pulumi stack select "$stack" >/dev/null 2>&1; then
  pulumi stack init "$stack" --secrets-provider passphrase
fi
# Not exec: the passphrase file is removed when this script exits.
pulumi up --stack "$stack" "$@"
