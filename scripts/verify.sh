#!/usr/bin/env bash
# npm run verify [-- --stack NAME --stats-url URL]: checks the live lab from this host
# (scripts/verify.ts). The stack's outputs (the stats password, and the SSH key and pinned host key
# of the tunnel to the stats page) are read with the same local file backend and passphrase
# `npm run up` uses; with OKD_LAB_STATS_PASSWORD and --stats-url (your own tunnel) verify reads
# nothing from the stack, and asks no passphrase.
set -euo pipefail
cd "$(dirname "$0")/.."
verify() { ts-node --transpile-only scripts/verify.ts "$@"; }
case " $* " in
  *" --help "* | *" -h "*) verify "$@"; exit ;;
  *" --stats-url "*) if [ -n "${OKD_LAB_STATS_PASSWORD:-}" ]; then verify "$@"; exit; fi ;;
esac
. scripts/pulumiEnv.sh
# No exec: pulumiEnv.sh removes its passphrase file when this shell exits.
verify "$@"
