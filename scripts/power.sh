#!/usr/bin/env bash
# npm run stop|start [-- --stack NAME ...]: powers the stack's VMs off or on in order
# (scripts/power.ts). The stack's outputs are read with the same local file backend and
# passphrase `npm run up` uses; OKD_LAB_STACK picks the stack when --stack is not given.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pulumiEnv.sh
# No exec: pulumiEnv.sh removes its passphrase file when this shell exits.
ts-node --transpile-only scripts/power.ts "$@"
