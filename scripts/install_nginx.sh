#!/usr/bin/env bash
# Installs Debian's nginx for the production profile if it is missing.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; then
  exit 0
fi
echo "Installing nginx (Debian package) ..."
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null
# The package may start its own daemon on :80; the profile runs its own nginx.
$SUDO service nginx stop >/dev/null 2>&1 || true
