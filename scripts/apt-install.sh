#!/usr/bin/env bash
# Installs Debian packages for the project's install scripts: apt-get as root or through sudo, quietly, without
# recommended extras. Fails with the packages named when apt-get is missing (another distribution).
#   scripts/apt-install.sh bubblewrap
set -euo pipefail
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get is unavailable: install $* with your package manager." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
