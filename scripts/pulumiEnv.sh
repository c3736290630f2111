# Sourced by up.sh, destroy.sh and pulumi.sh: the state store and the secrets passphrase, set once.
# The local file backend (what `pulumi login --local` uses), no Pulumi Cloud account.
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://~}
# The CLI's version is pinned by the npm package `pulumi`: no update check against api.pulumi.com.
export PULUMI_SKIP_UPDATE_CHECK=${PULUMI_SKIP_UPDATE_CHECK:-true}
# The program reads its own stack's previous outputs (DNS zone serials), which Pulumi can only
# decrypt with the passphrase: ask once instead of letting two prompts race. It reaches Pulumi as
# a file (PULUMI_CONFIG_PASSPHRASE_FILE), never in the environment that every local command of the
# program inherits; an empty passphrase would protect the secrets with nothing and is refused.
if [ -n "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  if [ ! -s "$PULUMI_CONFIG_PASSPHRASE_FILE" ]; then
    echo "okd-lab: PULUMI_CONFIG_PASSPHRASE_FILE=$PULUMI_CONFIG_PASSPHRASE_FILE is missing or empty. Fix: write the stack's passphrase into it (umask 077)" >&2
    exit 1
  fi
  unset PULUMI_CONFIG_PASSPHRASE
else
  if [ -n "${PULUMI_CONFIG_PASSPHRASE+set}" ]; then
    okd_lab_passphrase=$PULUMI_CONFIG_PASSPHRASE
  elif [ -t 0 ]; then
    read -rsp "Passphrase for the stack's secrets: " okd_lab_passphrase
    echo
  else
    echo "okd-lab: set PULUMI_CONFIG_PASSPHRASE_FILE (preferred) or PULUMI_CONFIG_PASSPHRASE: the stack's secrets are encrypted with it" >&2
    exit 1
  fi
  unset PULUMI_CONFIG_PASSPHRASE
  if [ -z "$okd_lab_passphrase" ]; then
    echo "okd-lab: the passphrase is empty, which would leave the stack's secrets unprotected. Fix: use a non-empty passphrase" >&2
    exit 1
  fi
  okd_lab_passphrase_file=$(umask 077 && mktemp "${TMPDIR:-/tmp}/okd-lab-passphrase.XXXXXX")
  trap 'rm -f "$okd_lab_passphrase_file"' EXIT
  printf '%s' "$okd_lab_passphrase" >"$okd_lab_passphrase_file"
  unset okd_lab_passphrase
  export PULUMI_CONFIG_PASSPHRASE_FILE=$okd_lab_passphrase_file
fi
