#!/usr/bin/env bash
# Converts a Hugging Face-layout model folder (config.json, model.safetensors or pytorch_model.bin, tokenizer.json)
# to GGUF for the llama.cpp side of the runtime benchmark, offline:
#   f16, q8_0  llama.cpp's convert_hf_to_gguf.py (from the source node-llama-cpp ships), run through
#              convert_hf_to_gguf_offline.py (no transformers/sentencepiece/tqdm, torch 1.13, pre-tokenizer
#              read from tokenizer.json instead of the hash table)
#   q4_0       llama-quantize on the f16 file, built once from the same source (build_llama_quantize.sh); as usual
#              it keeps output.weight at a higher type (Q6_K, or Q8_0 when the row length is not a multiple of 256)
#   q4_0-pure  the same with --pure: every matrix Q4_0, lm_head included (like training/quantize_onnx.py's q4)
# Outputs go to <model dir>/gguf/model-<type>.gguf (ignored by git when the model dir is).
#
#   scripts/gguf/convert.sh bench/models/qwen05-shaped            # f16 q8_0 q4_0
#   scripts/gguf/convert.sh bench/models/tiny-qwen f16 q8_0
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${PYTHON:-/usr/bin/python3}"
model="${1:?usage: convert.sh <model dir> [f16|q8_0|q4_0|q4_0-pure ...]}"
shift
types=("$@")
[ ${#types[@]} -eq 0 ] && types=(f16 q8_0 q4_0)

if [ ! -f "$repo/node_modules/node-llama-cpp/llama/gitRelease.bundle" ]; then
  echo "node-llama-cpp is not installed: npm install (it is a devDependency)" >&2
  exit 1
fi
"$python" "$here/llama_cpp_source.py" >/dev/null
mkdir -p "$model/gguf"

for t in "${types[@]}"; do
  out="$model/gguf/model-$t.gguf"
  start=$(date +%s.%N)
  case "$t" in
    f16|f32|bf16|q8_0)
      "$python" "$here/convert_hf_to_gguf_offline.py" "$model" --outtype "$t" --outfile "$out" 2>&1 | grep -E "^(INFO:hf-to-gguf:Model|ERROR|Traceback)|Error" || true
      ;;
    q4_0|q4_k_m|q5_0|q6_k|q4_0-pure)
      quantize="$("$here/build_llama_quantize.sh")"
      [ -f "$model/gguf/model-f16.gguf" ] || "$0" "$model" f16
      pure=()
      [[ "$t" == *-pure ]] && pure=(--pure)
      "$quantize" "${pure[@]}" "$model/gguf/model-f16.gguf" "$out" "$(echo "${t%-pure}" | tr a-z A-Z)" 2 >"$model/gguf/quantize-$t.log" 2>&1 \
        || { tail -20 "$model/gguf/quantize-$t.log" >&2; exit 1; }
      ;;
    *) echo "unknown type $t" >&2; exit 1 ;;
  esac
  [ -s "$out" ] || { echo "conversion to $t failed: $out missing" >&2; exit 1; }
  printf '%s\t%s bytes\t%.1f s\n' "$out" "$(stat -c %s "$out")" "$(echo "$(date +%s.%N) - $start" | bc)"
done
