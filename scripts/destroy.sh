#!/usr/bin/env bash
# npm run destroy [-- pulumi destroy flags]: removes every resource of the stack (OKD_LAB_STACK,
# default dev) with the same local file backend `npm run up` uses. The installer assets in
# okd-lab:okd.assetsDir stay: they hold the cluster's credentials (see the README).
set -euo pipefail
cd "$(dirname "$0")/.."
stack=${OKD_LAB_STACK:-dev}
. scripts/pulumiEnv.sh
# Refresh first: the libvirt provider's Delete fails on a domain or network that is already gone
# (it looks it up and errors, resource_libvirt_domain.go / resource_libvirt_network.go), while
# its Read drops a missing one from the state. So objects removed by hand do not stop the destroy.
pulumi refresh --stack "$stack" --yes --skip-preview
# Not exec: the passphrase file is removed when this script exits.
pulumi destroy --stack "$stack" "$@"
