#!/usr/bin/env bash
# npm run destroy [-- pulumi destroy flags]: removes every resource of the stack (OKD_LAB_STACK,
# default dev) with the same local file backend `npm run up` uses. The installer assets in
# okd-lab:okd.assetsDir stay: they hold the cluster's credentials (see the README). The host DNS
# setup (the hostDnsSetup output) is not a Pulumi resource: its teardown is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
stack=${OKD_LAB_STACK:-dev}
. scripts/pulumiEnv.sh
# Read before the destroy: the stack's outputs go with it.
teardown=$(pulumi stack output hostDnsTeardown --stack "$stack" 2>/dev/null || true)
# Refresh first: the libvirt provider's Delete fails on a domain or network that is already gone
# (it looks it up and errors, resource_libvirt_domain.go / resource_libvirt_network.go), while
# its Read drops a missing one from the state. So objects removed by hand do not stop the destroy.
pulumi refresh --stack "$stack" --yes --skip-preview
# Not exec: the passphrase file is removed when this script exits.
pulumi destroy --stack "$stack" "$@"
if [ -n "$teardown" ]; then
  echo
  echo "okd-lab: if you ran hostDnsSetup on this host, undo it by running these lines (or pipe them to bash):"
  printf '%s\n' "$teardown"
fi
