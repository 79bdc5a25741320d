#!/usr/bin/env bash
# Installs the OS sandbox the efficiency checks need (bubblewrap) when it is missing. Idempotent: does
# nothing when `bwrap` is already on PATH. Called from CI before the security tests; without bwrap the
# feature stays off (fail closed) and the security tests assert exactly that.
set -euo pipefail

if command -v bwrap >/dev/null 2>&1; then
  echo "bubblewrap present: $(bwrap --version)"
  exit 0
fi

bash "$(dirname "$0")/apt-install.sh" bubblewrap
echo "bubblewrap installed: $(bwrap --version)"
