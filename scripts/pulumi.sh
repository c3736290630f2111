#!/usr/bin/env bash
# npm run pulumi -- ARGS: any pulumi command with the same local file backend and passphrase as
# `npm run up`, run by the CLI the npm package `pulumi` pins (node_modules/.bin comes first on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pulumiEnv.sh
# Not exec: the passphrase file scripts/pulumiEnv.sh writes is removed when this script exits.
pulumi "$@"
