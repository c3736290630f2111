#!/usr/bin/env bash
# Unpacks Debian's systemd-resolved package into .cache/systemd-resolved for the e2e suite, which
# runs the daemon inside its own network namespace. The package is never installed: installing it
# would take over this machine's /etc/resolv.conf. Needs apt-get and dpkg-deb (Debian, Ubuntu).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.cache/systemd-resolved
if [ -x "$dest/root/lib/systemd/systemd-resolved" ] || [ -x "$dest/root/usr/lib/systemd/systemd-resolved" ]; then exit 0; fi
rm -rf "$dest" && mkdir -p "$dest"
(cd "$dest" && apt-get download systemd-resolved >/dev/null 2>&1)
dpkg-deb -x "$dest"/systemd-resolved_*.deb "$dest/root"
echo "systemd-resolved unpacked into $dest/root"
