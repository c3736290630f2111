#!/usr/bin/env bash
# npm run up [-- flags]: from a bare libvirt host to a running OKD cluster, in named phases, resumable
# (scripts/up.ts; `npm run up -- --help` lists the flags). The local file backend (no Pulumi Cloud
# account) and the passphrase of the stack's secrets are set here, once, for every pulumi command it
# runs. OKD_LAB_STACK picks the stack (default dev).
set -euo pipefail
cd "$(dirname "$0")/.."
case " $* " in *" --help "* | *" -h "*) exec node_modules/.bin/ts-node --transpile-only scripts/up.ts --help ;; esac
. scripts/pulumiEnv.sh
# Not exec: the passphrase file scripts/pulumiEnv.sh writes is removed when this script exits.
node_modules/.bin/ts-node --transpile-only scripts/up.ts "$@"
