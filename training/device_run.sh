#!/usr/bin/env bash
# The whole model release on the GPU box: train, export, quantize, pack. Usage (through the device tool):
#   bash training/device_run.sh <data dir> [--smoke]
# Outputs in $OUT: release.tar.part-* (joined with `cat`), train.log, metrics.json.
set -euo pipefail
export PYTHONUNBUFFERED=1
data=$1; shift
work=/tmp/locus-work
rm -rf "$work"; mkdir -p "$work"
python3 - <<'PY' | tee "$OUT/env.txt"
import torch, onnx, onnxruntime, tokenizers, sys
print(sys.version.split()[0], "torch", torch.__version__, "onnx", onnx.__version__, "ort", onnxruntime.__version__,
      "tokenizers", tokenizers.__version__, torch.cuda.get_device_name(0))
PY
python3 training/train_models.py --data "$data" --out "$work" "$@" 2>&1 | tee "$OUT/train.log"
python3 training/export_release.py --work "$work" --release "$work/release" 2>&1 | tee -a "$OUT/train.log"
cp "$work/release/metrics.json" "$OUT/metrics.json"
tar -C "$work" -cf "$work/release.tar" release
split -b 15m "$work/release.tar" "$OUT/release.tar.part-"
ls -la "$OUT"
