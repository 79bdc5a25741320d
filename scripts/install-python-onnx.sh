#!/usr/bin/env bash
# Installs Debian's onnx and numpy for /usr/bin/python3 when missing: the test of training/quantize_onnx.py runs the
# script on the tiny-llama fixture and checks the result in onnxruntime-node. Idempotent.
set -euo pipefail

if /usr/bin/python3 -c 'import onnx, numpy' >/dev/null 2>&1; then
  echo "python3 onnx present: $(/usr/bin/python3 -c 'import onnx; print(onnx.__version__)')"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "python3 onnx missing and apt-get unavailable: install onnx and numpy for /usr/bin/python3 with your package manager." >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends python3-onnx python3-numpy
echo "python3 onnx installed: $(/usr/bin/python3 -c 'import onnx; print(onnx.__version__)')"
