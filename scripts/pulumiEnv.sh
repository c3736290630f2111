# Sourced by up.sh, destroy.sh and pulumi.sh: the state store and the secrets passphrase, set once.
# The local file backend (what `pulumi login --local` uses), no Pulumi Cloud account.
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://~}
# The CLI's version is pinned by the npm package `pulumi`: no update check against api.pulumi.com.
export PULUMI_SKIP_UPDATE_CHECK=${PULUMI_SKIP_UPDATE_CHECK:-true}
# The program reads its own stack's previous outputs (DNS zone serials), which Pulumi can only
# decrypt with the passphrase in the environment: ask once instead of letting two prompts race.
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  if [ -t 0 ]; then
    read -rsp "Passphrase for the stack's secrets (PULUMI_CONFIG_PASSPHRASE): " PULUMI_CONFIG_PASSPHRASE
    echo
    export PULUMI_CONFIG_PASSPHRASE
  else
    echo "okd-lab: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE (the stack's secrets are encrypted with it)" >&2
    exit 1
  fi
fi
