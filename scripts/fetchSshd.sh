#!/usr/bin/env bash
# Unpacks Debian's openssh-server package into .cache/openssh-server for the e2e suite, which runs
# its sshd inside the test's infra namespace as the infra node's sshd (the stats page's tunnel).
# The package is never installed: installing it would start an sshd on this machine. Its one
# library this machine may lack, libwrap0, is installed by .ci/run. Needs apt-get and dpkg-deb.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.cache/openssh-server
if [ -x "$dest/root/usr/sbin/sshd" ]; then exit 0; fi
rm -rf "$dest" && mkdir -p "$dest"
(cd "$dest" && apt-get download openssh-server >/dev/null 2>&1)
dpkg-deb -x "$dest"/openssh-server_*.deb "$dest/root"
echo "sshd unpacked into $dest/root"
