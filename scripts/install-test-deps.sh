#!/usr/bin/env bash
# What the test suite needs beyond npm, installed by the project itself (idempotent; each step does nothing when
# its tool is present): Debian's chromium (dashboard test, e2e), bubblewrap (the efficiency sandbox and its
# security tests), code-server with its native modules (the e2e suite in a real VS Code) and Debian's onnx for
# /usr/bin/python3 (the quantization script's test).
set -euo pipefail
cd "$(dirname "$0")"
bash ./install-chromium.sh
bash ./install-sandbox.sh
bash ./install-code-server.sh
bash ./install-python-deps.sh
