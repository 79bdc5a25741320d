"""Builds a random-weight model with the shape of Qwen2.5-Coder-0.5B for speed work (issue #9). Quality is
meaningless; size, shapes, tokenizer and file formats are real.

Shape: 24 layers, hidden 896, 14 heads / 2 KV heads (head_dim 64), intermediate 4864, vocab 151,936, q/k/v biases,
rope_theta 1e6, RMSNorm eps 1e-6. Qwen2.5-0.5B ties its embeddings; this model is exported *untied* so that the
lm_head is a constant MatMul the quantizers can reach (a tied one stays fp32 in ONNX), which also makes it ~136M
parameters larger than the real model (630M vs 494M): bytes read per decoded token are reported from the files.

The tokenizer is Qwen2's real byte-level BPE (151,643 tokens + 151,387 merges), rebuilt from llama.cpp's
models/ggml-vocab-qwen2.gguf (in the llama.cpp source that node-llama-cpp ships), plus Qwen2.5-Coder's 22 special
tokens (<|endoftext|> 151643 ... <|fim_prefix|> 151659, <|file_sep|> 151664).

Output (git-ignored), in the Hugging Face / Optimum layout:
    config.json generation_config.json tokenizer.json tokenizer_config.json
    model.safetensors                      HF names, F32 (input of scripts/gguf/convert.sh)
    onnx/model.onnx + model.onnx_data      fp32, Optimum decoder signature, fused graph
                                           (GroupQueryAttention etc.: training/build_fused_decoder.py)
    onnx/model_int8.onnx  onnx/model_q4.onnx   (training/quantize_onnx.py; float16 KV cache, as the shipped files)

The ONNX graph is the fused one the default model ships, not the TorchScript export's plain attention (~4,000
nodes): on this model's 4-bit file a one-token step at ~420 positions took 20.5 ms fused against 29.2 ms plain
on one thread, with the same greedy tokens (bench/results/qwen05-fused-graph-2026-12-05.md).

    /usr/bin/python3 scripts/make_qwen05_shaped.py                     # -> bench/models/qwen05-shaped
    /usr/bin/python3 scripts/make_qwen05_shaped.py --preset tiny --out bench/models/tiny-qwen   # 2-layer check model
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "training"))
sys.path.insert(0, os.path.join(REPO, "scripts", "gguf"))
from build_fused_decoder import write_fused  # noqa: E402
from llama import Llama, LlamaConfig  # noqa: E402
from llama_cpp_source import ensure_source  # noqa: E402
from safetensors_file import write_safetensors  # noqa: E402

T0 = time.time()

# Qwen2.5(-Coder) added tokens, ids 151643..151664.
QWEN25_SPECIALS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>",
    "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
    "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>",
    "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
]
# Qwen2's pre-tokenizer split (llama.cpp LLAMA_VOCAB_PRE_TYPE_QWEN2).
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
               r"|\s+(?!\S)|\s+")

PRESETS = {
    # Qwen2.5-Coder-0.5B's config.json values.
    "qwen05": dict(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                   num_attention_heads=14, num_key_value_heads=2, head_dim=64, max_position_embeddings=32768,
                   rms_norm_eps=1e-6, rope_theta=1000000.0),
    # Same tokenizer and layout, small enough for quantizer checks in seconds.
    "tiny": dict(vocab_size=151936, hidden_size=256, intermediate_size=768, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, head_dim=64, max_position_embeddings=4096,
                 rms_norm_eps=1e-6, rope_theta=1000000.0),
}


def log(msg):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"[make {time.time() - T0:7.1f}s peak {peak / 1024:5.1f} GiB] {msg}", flush=True)


def build_tokenizer(out_dir, llama_cpp_dir):
    """tokenizer.json + tokenizer_config.json from llama.cpp's Qwen2 vocab GGUF (tokens, merges)."""
    sys.path.insert(0, os.path.join(llama_cpp_dir, "gguf-py"))
    from gguf import GGUFReader

    reader = GGUFReader(os.path.join(llama_cpp_dir, "models", "ggml-vocab-qwen2.gguf"))
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    types = reader.fields["tokenizer.ggml.token_type"].contents()
    merges = reader.fields["tokenizer.ggml.merges"].contents()
    normal = [t for t, ty in zip(tokens, types) if ty == 1]
    first_special = len(normal)
    assert first_special == 151643 and all(ty == 1 for ty in types[:first_special]), "unexpected Qwen2 vocab layout"
    added = [{"id": first_special + i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, s in enumerate(QWEN25_SPECIALS)]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT}, "behavior": "Isolated", "invert": False},
            byte_level]},
        "post_processor": byte_level,
        "decoder": byte_level,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": {t: i for i, t in enumerate(normal)}, "merges": list(merges)},
    }
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    tok_config = {
        "add_bos_token": False, "add_prefix_space": False, "bos_token": None, "eos_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>", "unk_token": None, "errors": "replace", "clean_up_tokenization_spaces": False,
        "model_max_length": 32768, "split_special_tokens": False, "tokenizer_class": "Qwen2Tokenizer",
        "added_tokens_decoder": {str(a["id"]): {k: v for k, v in a.items() if k != "id"} for a in added},
    }
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tok_config, f, ensure_ascii=False, indent=1)
    log(f"tokenizer: {len(normal)} BPE tokens, {len(merges)} merges, {len(added)} specials")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="qwen05")
    ap.add_argument("--out", help="default: bench/models/qwen05-shaped (or bench/models/tiny-qwen for --preset tiny)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init-std", type=float, default=0.02,
                    help="std of the normal init of every weight matrix (HF's initializer_range; small keeps activations finite)")
    ap.add_argument("--skip", nargs="*", default=[], choices=["onnx", "safetensors", "int8", "q4"])
    args = ap.parse_args(argv)
    out = os.path.abspath(args.out or os.path.join(REPO, "bench", "models",
                                                     "qwen05-shaped" if args.preset == "qwen05" else "tiny-qwen"))
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    timings = {}

    t = time.time()
    build_tokenizer(out, ensure_source())
    timings["tokenizer_s"] = time.time() - t

    cfg = LlamaConfig(**PRESETS[args.preset], tie_word_embeddings=False, bos_token_id=151643, eos_token_id=151643,
                      attention_bias=True)
    hf = cfg.to_hf_dict()
    hf.update({"use_sliding_window": False, "sliding_window": cfg.max_position_embeddings, "max_window_layers": 0,
               "initializer_range": args.init_std, "transformers_version": "4.44.0",
               "locus_note": f"random weights (seed {args.seed}, init std {args.init_std}) in the shape of "
                             f"Qwen2.5-Coder ({args.preset}); untied embeddings; for speed work only"})
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(hf, f, indent=2)
    with open(os.path.join(out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 151643, "eos_token_id": 151643, "pad_token_id": 151643, "do_sample": False}, f,
                  indent=2)

    t = time.time()
    torch.manual_seed(args.seed)
    with torch.no_grad():
        model = Llama(cfg)
        for name, p in model.named_parameters():
            if p.dim() == 2:
                p.normal_(0.0, args.init_std)
            elif name.endswith(".bias"):
                p.normal_(0.0, args.init_std)
    model.eval()
    n_params = sum(p.numel() for p in model.parameters())
    timings["init_s"] = time.time() - t
    log(f"model: {n_params / 1e6:.1f}M parameters ({args.preset}, untied)")

    if "safetensors" not in args.skip:
        t = time.time()
        write_safetensors({k: v.numpy() for k, v in model.state_dict().items()}, os.path.join(out, "model.safetensors"))
        timings["safetensors_s"] = time.time() - t
        log(f"wrote model.safetensors ({os.path.getsize(os.path.join(out, 'model.safetensors')) / 1e9:.2f} GB)")

    del model
    if "onnx" not in args.skip:
        if not os.path.exists(os.path.join(out, "model.safetensors")):
            raise SystemExit("the ONNX files are built from model.safetensors: do not skip it on a first run")
        t = time.time()
        formats = [fmt for fmt in ("q4", "int8") if fmt not in args.skip]
        write_fused(out, out, formats, log=log)
        timings["onnx_s"] = time.time() - t
    sizes = {}
    for root, _, files in os.walk(out):
        for name in files:
            sizes[os.path.relpath(os.path.join(root, name), out)] = os.path.getsize(os.path.join(root, name))
    report = {"preset": args.preset, "parameters": n_params, "timings_s": {k: round(v, 1) for k, v in timings.items()},
              "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024, 2),
              "sizes_bytes": dict(sorted(sizes.items()))}
    with open(os.path.join(out, "make_report.json"), "w") as f:
        json.dump(report, f, indent=2)
    log(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
