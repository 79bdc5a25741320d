"""Builds test fixtures exported the way Optimum (and so onnx-community) exports a decoder: a tiny random-weight
Hugging Face Qwen2ForCausalLM traced by PyTorch's TorchScript exporter with its KV cache, once with
attn_implementation "sdpa" (Optimum's default: torch's scaled_dot_product_attention written out as ONNX ops) and
once "eager". runtime/attentionFusion.ts is tested against both (test/unit/attentionFusion.test.ts).

Needs torch >= 2.1 and transformers, which this machine's Debian packages do not have: it runs on the GPU machine
(the `device` tool), on its CPU. Output, per implementation (committed, ~300 KB each):

    test/fixtures/tiny-qwen2-<impl>/config.json, generation_config.json, tokenizer files (the tiny-llama fixture's)
    test/fixtures/tiny-qwen2-<impl>/onnx/model.onnx
    test/fixtures/tiny-qwen2-<impl>/reference.json     PyTorch's logits and greedy tokens for the Node tests

    python3 scripts/make_hf_export_fixture.py [--out-root test/fixtures]
"""
import argparse
import json
import os
import shutil
import sys
import traceback

import numpy as np
import torch
import transformers
from transformers import Qwen2Config, Qwen2ForCausalLM
from transformers.cache_utils import DynamicCache

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
PROMPT_IDS = [5, 17, 42, 8, 99, 3, 61, 250, 7, 12, 400, 33]


def config():
    return Qwen2Config(vocab_size=662, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                       num_key_value_heads=2, max_position_embeddings=512, rope_theta=10000.0, rms_norm_eps=1e-6,
                       tie_word_embeddings=False, use_sliding_window=False, bos_token_id=656, eos_token_id=656)


def presents_of(cache, layers):
    if hasattr(cache, "layers"):
        return [t for layer in cache.layers[:layers] for t in (layer.keys, layer.values)]
    if hasattr(cache, "to_legacy_cache"):
        return [t for kv in cache.to_legacy_cache() for t in kv]
    return [t for kv in cache for t in kv]


class Wrapper(torch.nn.Module):
    """Optimum's decoder signature: input_ids, attention_mask, position_ids, past_key_values.N.key/value."""

    def __init__(self, model, layers):
        super().__init__()
        self.model = model
        self.layers = layers

    def forward(self, input_ids, attention_mask, position_ids, *past):
        cache = DynamicCache()
        for i in range(self.layers):
            cache.update(past[2 * i], past[2 * i + 1], i)
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                         past_key_values=cache, use_cache=True)
        return (out.logits, *presents_of(out.past_key_values, self.layers))


def export(impl, out_dir):
    cfg = config()
    torch.manual_seed(0)
    model = Qwen2ForCausalLM._from_config(cfg, attn_implementation=impl).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.2)
    layers, kv, hd = cfg.num_hidden_layers, cfg.num_key_value_heads, cfg.hidden_size // cfg.num_attention_heads
    names_in = ["input_ids", "attention_mask", "position_ids"] + [f"past_key_values.{i}.{n}" for i in range(layers) for n in ("key", "value")]
    names_out = ["logits"] + [f"present.{i}.{n}" for i in range(layers) for n in ("key", "value")]
    b, s, p = 2, 5, 7
    args = (torch.randint(0, cfg.vocab_size, (b, s)), torch.ones(b, p + s, dtype=torch.int64),
            torch.arange(p, p + s)[None].expand(b, s).contiguous(),
            *[torch.randn(b, kv, p, hd) for _ in range(2 * layers)])
    dyn = {"input_ids": {0: "batch_size", 1: "sequence_length"},
           "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
           "position_ids": {0: "batch_size", 1: "sequence_length"},
           "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in names_in[3:]:
        dyn[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in names_out[1:]:
        dyn[n] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
    os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
    path = os.path.join(out_dir, "onnx", "model.onnx")
    with torch.no_grad():
        torch.onnx.export(Wrapper(model, layers), args, path, input_names=names_in, output_names=names_out,
                          dynamic_axes=dyn, opset_version=17, do_constant_folding=True, dynamo=False)
    hf = json.loads(cfg.to_json_string())
    hf["name"] = f"tiny-qwen2-{impl}"
    hf["locus_note"] = (f"random weights; Qwen2ForCausalLM (transformers {transformers.__version__}, attn_implementation "
                        f"{impl}) exported by torch {torch.__version__}'s TorchScript exporter, opset 17")
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(hf, f, indent=2)
    with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 656, "eos_token_id": 656, "do_sample": False}, f, indent=2)
    for name in TOKENIZER_FILES:
        shutil.copyfile(os.path.join(REPO, "test", "fixtures", "tiny-llama", name), os.path.join(out_dir, name))
    # PyTorch's reference: the last position's logits of the prompt, and 8 greedy tokens.
    with torch.no_grad():
        ids = torch.tensor([PROMPT_IDS])
        out = model(input_ids=ids, use_cache=True)
        last = out.logits[0, -1].tolist()
        greedy, cache, logits = [], out.past_key_values, out.logits[0, -1]
        for _ in range(8):
            token = int(torch.argmax(logits))
            greedy.append(token)
            out = model(input_ids=torch.tensor([[token]]), past_key_values=cache, use_cache=True)
            cache, logits = out.past_key_values, out.logits[0, -1]
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump({"promptIds": PROMPT_IDS, "lastLogits": last, "greedy": greedy}, f)
    check(path, PROMPT_IDS, last, layers, kv, hd)
    return path


def check(path, ids, last, layers, kv, hd):
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime missing: not checked")
        return
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feeds = {"input_ids": np.array([ids], np.int64), "attention_mask": np.ones((1, len(ids)), np.int64),
             "position_ids": np.arange(len(ids), dtype=np.int64)[None]}
    for i in range(layers):
        for n in ("key", "value"):
            feeds[f"past_key_values.{i}.{n}"] = np.zeros((1, kv, 0, hd), np.float32)
    logits = s.run(["logits"], feeds)[0][0, -1]
    print(f"{path}: max |ORT - PyTorch| {np.abs(logits - np.array(last)).max():.2e}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-root", default=os.path.join(REPO, "test", "fixtures"))
    args = ap.parse_args(argv)
    print(f"torch {torch.__version__}, transformers {transformers.__version__}")
    failed = 0
    for impl in ("sdpa", "eager"):
        try:
            export(impl, os.path.join(args.out_root, f"tiny-qwen2-{impl}"))
        except Exception:
            failed += 1
            traceback.print_exc()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
