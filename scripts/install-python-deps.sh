#!/usr/bin/env bash
# Installs Debian's Python packages for /usr/bin/python3 that the project's scripts import, when missing. Idempotent.
#   install-python-deps.sh         onnx, numpy: the test of training/quantize_onnx.py
#   install-python-deps.sh torch   also PyTorch 1.13 (CPU): the runtime bench's GGUF conversion and model variants,
#                                  scripts/make_qwen05_shaped.py
set -euo pipefail

modules="onnx, numpy"
packages=(python3-onnx python3-numpy)
if [ "${1:-}" = torch ]; then
  modules="$modules, torch"
  packages+=(python3-torch)
fi

if /usr/bin/python3 -c "import $modules" >/dev/null 2>&1; then
  echo "python3 has $modules"
  exit 0
fi

bash "$(dirname "$0")/apt-install.sh" "${packages[@]}"
echo "installed ${packages[*]} for /usr/bin/python3"
