"""Builds the 4-bit file a tied-embedding model gets from ORT's quantizers, from the 0.5B-shaped model: every layer
4-bit, the output layer left in fp32. Qwen2.5-Coder-0.5B ties its embeddings; exported tied, its lm_head is
MatMul(h, Transpose(E)) with no constant weight, which the quantizers skip (../shared/research/runtime.md, 3.2), so
such a model_q4.onnx reads a 545 MB fp32 table for every token and decodes slower than the folder's model_int8.onnx.
`npm run bench -- fileChoice --model bench/models/qwen05-float-head` measures both and what `auto` picks.

Output (git-ignored): <out>/onnx/model_q4.onnx (fp32 output layer, float16 KV cache as the shipped files); the
source's config, tokenizer and onnx/model_int8.onnx linked, not copied.

    /usr/bin/python3 scripts/make_qwen05_shaped.py                 # first: bench/models/qwen05-shaped
    /usr/bin/python3 scripts/make_float_head_variant.py            # -> bench/models/qwen05-float-head (~1 min)
"""
import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "training"))

import onnx  # noqa: E402

import kv_cache_fp16  # noqa: E402
import quantize_onnx  # noqa: E402

LINKED = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model_int8.onnx")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", default=os.path.join(REPO, "bench", "models", "qwen05-shaped"))
    ap.add_argument("--out", default=os.path.join(REPO, "bench", "models", "qwen05-float-head"))
    args = ap.parse_args(argv)
    src, out = os.path.abspath(args.src), os.path.abspath(args.out)
    fp32 = os.path.join(src, "onnx", "model.onnx")
    if not os.path.exists(fp32):
        sys.exit(f"{fp32} is missing: run scripts/make_qwen05_shaped.py first")
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    for name in LINKED:
        target, link = os.path.join(src, name), os.path.join(out, name)
        if os.path.exists(target) and not os.path.lexists(link):
            os.symlink(target, link)
    model = quantize_onnx.to_q4(onnx.load(fp32), float_head=True)
    if kv_cache_fp16.half_kv_cache(model) == 0:
        sys.exit("the KV cache was not converted to float16")
    quantize_onnx.save(model, os.path.join(out, "onnx", "model_q4.onnx"))


if __name__ == "__main__":
    main()
