"""Recovers Hugging Face-named weights (model.safetensors) from an fp32 ONNX decoder written by
training/export_onnx.py, for models whose checkpoint is not at hand (the tiny test fixtures, models/default).
The TorchScript exporter renames Linear weights to `onnx::MatMul_N` (transposed) and merges identical
initializers (behind Identity nodes), so tensors are matched by graph order and checked against config.json's shapes:
per layer q, k, v, o, gate, up, down MatMuls (and q/k/v bias Adds when attention_bias), the RMSNorm Muls
(input, post-attention), then the final norm and lm_head.

    /usr/bin/python3 scripts/gguf/onnx_to_hf_weights.py test/fixtures/tiny-llama bench/models/tiny-llama
"""
import json
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_file import write_safetensors  # noqa: E402

COPY = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json")


def recover(src_dir):
    cfg = json.load(open(os.path.join(src_dir, "config.json")))
    L, H = cfg["num_hidden_layers"], cfg["hidden_size"]
    hd = cfg.get("head_dim") or H // cfg["num_attention_heads"]
    q_out, kv_out, ff = cfg["num_attention_heads"] * hd, cfg["num_key_value_heads"] * hd, cfg["intermediate_size"]
    qkv_bias = cfg.get("model_type") == "qwen2" or cfg.get("attention_bias", False)
    m = onnx.load(os.path.join(src_dir, "onnx", "model.onnx"))
    inits = {t.name: t for t in m.graph.initializer}
    # Identical initializers (e.g. all-ones norm weights) are merged and re-exposed through Identity nodes.
    for n in m.graph.node:
        if n.op_type == "Identity" and n.input[0] in inits:
            inits[n.output[0]] = inits[n.input[0]]
    arr = lambda name: numpy_helper.to_array(inits[name]).astype(np.float32)  # noqa: E731
    matmuls, norms, biases, embed = [], [], [], None
    for n in m.graph.node:
        consts = [i for i in n.input if i in inits]
        if n.op_type == "Gather" and n.input[0] in inits:
            embed = arr(n.input[0])
        elif n.op_type == "MatMul" and n.input[1] in inits and len(inits[n.input[1]].dims) == 2:
            matmuls.append(arr(n.input[1]).T)  # ONNX holds W^T [in, out]; HF Linear holds [out, in]
        elif n.op_type == "Mul" and consts and list(inits[consts[0]].dims) == [H]:
            norms.append(arr(consts[0]))
        elif n.op_type == "Add" and consts and len(inits[consts[0]].dims) == 1 and qkv_bias:
            biases.append(arr(consts[0]))
    if len(matmuls) != 7 * L + 1 or len(norms) != 2 * L + 1 or embed is None:
        raise SystemExit(f"unexpected graph: {len(matmuls)} MatMuls, {len(norms)} norm Muls (want {7 * L + 1}, {2 * L + 1})")
    out = {"model.embed_tokens.weight": embed}
    shapes = [("self_attn.q_proj", q_out, H), ("self_attn.k_proj", kv_out, H), ("self_attn.v_proj", kv_out, H),
              ("self_attn.o_proj", H, q_out), ("mlp.gate_proj", ff, H), ("mlp.up_proj", ff, H), ("mlp.down_proj", H, ff)]
    for i in range(L):
        for j, (name, rows, cols) in enumerate(shapes):
            w = matmuls[7 * i + j]
            assert w.shape == (rows, cols), f"layer {i} {name}: {w.shape} != {(rows, cols)}"
            out[f"model.layers.{i}.{name}.weight"] = w
            if qkv_bias and j < 3:
                out[f"model.layers.{i}.{name}.bias"] = biases[3 * i + j]
        out[f"model.layers.{i}.input_layernorm.weight"] = norms[2 * i]
        out[f"model.layers.{i}.post_attention_layernorm.weight"] = norms[2 * i + 1]
    out["model.norm.weight"] = norms[2 * L]
    out["lm_head.weight"] = matmuls[7 * L]
    assert out["lm_head.weight"].shape == (cfg["vocab_size"], H)
    return out


def main():
    src, dst = sys.argv[1], sys.argv[2]
    os.makedirs(os.path.join(dst, "onnx"), exist_ok=True)
    for name in COPY:
        if os.path.exists(os.path.join(src, name)):
            shutil.copy(os.path.join(src, name), dst)
    for name in os.listdir(os.path.join(src, "onnx")):
        shutil.copy(os.path.join(src, "onnx", name), os.path.join(dst, "onnx", name))
    tensors = recover(src)
    write_safetensors(tensors, os.path.join(dst, "model.safetensors"))
    print(f"{dst}/model.safetensors: {len(tensors)} tensors")


if __name__ == "__main__":
    main()
