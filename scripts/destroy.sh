#!/usr/bin/env bash
# npm run destroy [-- pulumi destroy flags]: removes every resource of the stack (OKD_LAB_STACK,
# default dev) with the same local file backend `npm run up` uses. The installer assets in
# okd-lab:okd.assetsDir stay: they hold the cluster's credentials (see the README).
set -euo pipefail
cd "$(dirname "$0")/.."
stack=${OKD_LAB_STACK:-dev}
. scripts/pulumiEnv.sh
# Not exec: the passphrase file is removed when this script exits.
pulumi destroy --stack "$stack" "$@"
