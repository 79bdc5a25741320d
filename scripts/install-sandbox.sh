#!/usr/bin/env bash
# Installs the OS sandbox the efficiency checks need (bubblewrap) when it is missing. Idempotent: does
# nothing when `bwrap` is already on PATH. Called from CI before the security tests; without bwrap the
# feature stays off (fail closed) and the security tests assert exactly that.
set -euo pipefail

if command -v bwrap >/dev/null 2>&1; then
  echo "bubblewrap present: $(bwrap --version)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "bubblewrap missing and apt-get unavailable: install it with your package manager (package 'bubblewrap')." >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends bubblewrap
echo "bubblewrap installed: $(bwrap --version)"
