#!/usr/bin/env bash
# The whole model release on the GPU box: harvest the box's Python, train, export, quantize, pack.
#   bash training/device_run.sh <data dir> <result dir> [train_models.py options]
# The result dir gets release.tar.part-* (joined with `cat`), train.log, metrics.json, site-packages.tsv, env.txt,
# and DONE (or FAILED) when the run ends. training/device_job.sh runs it in the background across tool calls.
set -euo pipefail
export PYTHONUNBUFFERED=1
data=$1; result=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
work=/tmp/locus-work
rm -rf "$work" "$result"; mkdir -p "$work" "$result"
# Any way out but the last line (an error, a signal) leaves FAILED for device_job.sh to see.
trap '[ -e "$result/DONE" ] || touch "$result/FAILED"' EXIT
python3 - <<'PY' | tee "$result/env.txt"
import torch, onnx, onnxruntime, tokenizers, sys
print(sys.version.split()[0], "torch", torch.__version__, "onnx", onnx.__version__, "ort", onnxruntime.__version__,
      "tokenizers", tokenizers.__version__, torch.cuda.get_device_name(0))
PY
python3 "$here/corpus/harvest_site_packages.py" --data "$data" --out "$work/extra" 2>&1 | tee "$result/train.log"
cp "$work/extra/site-packages.tsv" "$result/"
python3 "$here/train_models.py" --data "$data" --extra "$work/extra/train-extra.jsonl" --out "$work" "$@" 2>&1 \
  | tee -a "$result/train.log"
python3 "$here/export_release.py" --work "$work" --release "$work/release" 2>&1 | tee -a "$result/train.log"
cp "$work/release/metrics.json" "$result/metrics.json"
tar -C "$work" -cf "$work/release.tar" release
split -b 15m "$work/release.tar" "$result/release.tar.part-"
ls -la "$result"
touch "$result/DONE"
