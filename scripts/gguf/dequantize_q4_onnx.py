"""Recovers Hugging Face-named weights (model.safetensors) from a 4-bit ONNX decoder with fused operators (the
embedded default model, models/default/target/onnx/model_q4.onnx), for which no fp32 checkpoint is kept, so that
llama.cpp can run the same weights. The values are the dequantized 4-bit weights: a GGUF made from them holds the
same information as the ONNX file (Q4_0 re-quantizes them, so it is close to but not bit-identical with it).

Read from the graph, not from names (the exporter numbers weights `val_N`):
  MatMulNBits (bits 4, block_size from its attribute, B uint8 [N, K/block, block/2] low nibble first, scales
    [N, K/block] or flat, optional zero_points, default 8) -> W [N, K] = HF Linear [out, in].
  GatherBlockQuantized (INT4 [V, H] or uint8 [V, H/2] data, scales [V, H/block], quantize_axis 1) -> embedding.
  GroupQueryAttention inputs 0, 1, 2 are produced by the q, k, v MatMulNBits (or input 0 by one packed q|k|v
  MatMulNBits, as training/slim_onnx.py writes); its output feeds o_proj. The MLP is
  found from its shape: gate feeds a Sigmoid (SiLU = x * sigmoid(x)), up is the other MatMulNBits on the same
  input, down consumes the Mul of the two. lm_head is the MatMulNBits with N = vocab_size.
  RMSNorm gammas are the last input of (Skip)SimplifiedLayerNormalization; their initializer names keep the HF
  names (`m.model.layers.0.input_layernorm.weight`), which are checked against the order of the graph.
GroupQueryAttention with do_rotary=1, rotary_interleaved=0 applies rotate-half RoPE to q/k as HF Llama does, so the
q/k weights are already in HF layout (convert_hf_to_gguf.py permutes them for llama.cpp as usual).

    /usr/bin/python3 scripts/gguf/dequantize_q4_onnx.py models/default/target bench/models/locus-target
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
INT4, UINT4 = 22, 21  # TensorProto data types (onnx >= 1.16 names; this onnx may predate them)


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def raw_uint8(t):
    """Packed 4-bit or uint8 initializer as its raw bytes (numpy_helper cannot read INT4 in older onnx)."""
    if t.data_type in (INT4, UINT4):
        return np.frombuffer(t.raw_data, dtype=np.uint8)
    return numpy_helper.to_array(t).astype(np.uint8).reshape(-1)


def unpack_nibbles(packed, signed):
    lo = (packed & 0x0F).astype(np.int16)
    hi = (packed >> 4).astype(np.int16)
    out = np.stack([lo, hi], axis=-1).reshape(*packed.shape[:-1], packed.shape[-1] * 2)
    if signed:
        out = np.where(out >= 8, out - 16, out)
    return out


def dequant_matmulnbits(node, inits):
    a = attrs(node)
    assert a.get("bits", 4) == 4, f"{node.name}: bits {a.get('bits')}"
    K, N, block = a["K"], a["N"], a["block_size"]
    blocks = (K + block - 1) // block
    b = raw_uint8(inits[node.input[1]]).reshape(N, blocks, block // 2)
    scales = numpy_helper.to_array(inits[node.input[2]]).astype(np.float32).reshape(N, blocks)
    if len(node.input) > 3 and node.input[3]:
        zp_t = inits[node.input[3]]
        if zp_t.data_type == 1:  # float zero points
            zp = numpy_helper.to_array(zp_t).astype(np.float32).reshape(N, blocks)
        else:  # uint8, two 4-bit zero points per byte, per row padded to whole bytes
            zp = unpack_nibbles(raw_uint8(zp_t).reshape(N, -1), signed=False)[:, :blocks].astype(np.float32)
    else:
        zp = np.full((N, blocks), 8.0, dtype=np.float32)
    q = unpack_nibbles(b, signed=False).astype(np.float32)  # [N, blocks, block]
    w = (q - zp[:, :, None]) * scales[:, :, None]
    return w.reshape(N, blocks * block)[:, :K]  # [N, K] = [out, in]


def dequant_gather(node, inits, vocab, hidden):
    a = attrs(node)
    assert a.get("gather_axis", 0) == 0 and a.get("quantize_axis", 1) == 1, f"{node.name}: {a}"
    assert a.get("bits", 4) == 4
    block = a.get("block_size", 128)
    data_t = inits[node.input[0]]
    signed = data_t.data_type == INT4
    q = unpack_nibbles(raw_uint8(data_t).reshape(vocab, hidden // 2), signed=signed).astype(np.float32)
    scales = numpy_helper.to_array(inits[node.input[2]]).astype(np.float32).reshape(vocab, hidden // block)
    if len(node.input) > 3 and node.input[3]:
        zp_t = inits[node.input[3]]
        zp = unpack_nibbles(raw_uint8(zp_t).reshape(vocab, -1), signed=zp_t.data_type == INT4)[:, : hidden // block].astype(np.float32)
    else:
        zp = np.zeros((vocab, hidden // block), np.float32) if signed else np.full((vocab, hidden // block), 8.0, np.float32)
    w = (q.reshape(vocab, hidden // block, block) - zp[:, :, None]) * scales[:, :, None]
    return w.reshape(vocab, hidden)


def recover(src_dir, onnx_file="onnx/model_q4.onnx"):
    cfg = json.load(open(os.path.join(src_dir, "config.json")))
    L, H, V = cfg["num_hidden_layers"], cfg["hidden_size"], cfg["vocab_size"]
    hd = cfg.get("head_dim") or H // cfg["num_attention_heads"]
    q_out, kv_out, ff = cfg["num_attention_heads"] * hd, cfg["num_key_value_heads"] * hd, cfg["intermediate_size"]
    m = onnx.load(os.path.join(src_dir, onnx_file))
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    # A float16 KV cache (training/kv_cache_fp16.py) puts a Cast on each side of GroupQueryAttention; see through it.
    def made_by(name):
        node = producer[name]
        return made_by(node.input[0]) if node.op_type == "Cast" else node

    def used_by(name):
        return [u for n in consumers.get(name, []) for u in (used_by(n.output[0]) if n.op_type == "Cast" else [n])]

    mm = lambda n: dequant_matmulnbits(n, inits)  # noqa: E731
    only = lambda nodes, op: [n for n in nodes if n.op_type == op]  # noqa: E731

    out = {}
    gathers = only(g.node, "GatherBlockQuantized")
    assert len(gathers) == 1, f"{len(gathers)} GatherBlockQuantized nodes"
    out["model.embed_tokens.weight"] = dequant_gather(gathers[0], inits, V, H)

    gqas = only(g.node, "GroupQueryAttention")
    assert len(gqas) == L, f"{len(gqas)} GroupQueryAttention nodes for {L} layers"
    for i, gqa in enumerate(gqas):
        a = attrs(gqa)
        assert a.get("do_rotary", 0) == 1 and a.get("rotary_interleaved", 0) == 0, f"layer {i}: {a}"
        p = f"model.layers.{i}."
        if gqa.input[1] == "" and gqa.input[2] == "":
            # Packed QKV (training/slim_onnx.py): one MatMulNBits whose output rows are q, then k, then v.
            node = made_by(gqa.input[0])
            assert node.op_type == "MatMulNBits", f"layer {i} packed qkv: produced by {node.op_type}"
            w = mm(node)
            assert w.shape[0] == q_out + 2 * kv_out, f"layer {i}: packed qkv has {w.shape[0]} rows, want {q_out + 2 * kv_out}"
            out[p + "self_attn.q_proj.weight"] = w[:q_out]
            out[p + "self_attn.k_proj.weight"] = w[q_out:q_out + kv_out]
            out[p + "self_attn.v_proj.weight"] = w[q_out + kv_out:]
        else:
            for j, name in enumerate(("q_proj", "k_proj", "v_proj")):
                node = made_by(gqa.input[j])
                assert node.op_type == "MatMulNBits", f"layer {i} {name}: produced by {node.op_type}"
                out[p + f"self_attn.{name}.weight"] = mm(node)
        (o,) = only(used_by(gqa.output[0]), "MatMulNBits")
        out[p + "self_attn.o_proj.weight"] = mm(o)
        (skip,) = only(consumers[o.output[0]], "SkipSimplifiedLayerNormalization")
        ups = only(consumers[skip.output[0]], "MatMulNBits")
        gate = [n for n in ups if only(consumers[n.output[0]], "Sigmoid")]
        up = [n for n in ups if n not in gate]
        assert len(gate) == 1 and len(up) == 1, f"layer {i}: MLP not recognised"
        (mul,) = [n for n in consumers[up[0].output[0]] if n.op_type == "Mul"]
        (down,) = only(consumers[mul.output[0]], "MatMulNBits")
        out[p + "mlp.gate_proj.weight"] = mm(gate[0])
        out[p + "mlp.up_proj.weight"] = mm(up[0])
        out[p + "mlp.down_proj.weight"] = mm(down)

    norms = [n for n in g.node if n.op_type in ("SimplifiedLayerNormalization", "SkipSimplifiedLayerNormalization")]
    expected = [f"model.layers.{i}.{k}.weight" for i in range(L) for k in ("input_layernorm", "post_attention_layernorm")] + ["model.norm.weight"]
    assert len(norms) == len(expected), f"{len(norms)} norm nodes, want {len(expected)}"
    for node, name in zip(norms, expected):
        gamma = node.input[1] if node.op_type == "SimplifiedLayerNormalization" else node.input[2]
        assert gamma.endswith(name), f"norm order: {gamma} where {name} was expected"
        out[name] = numpy_helper.to_array(inits[gamma]).astype(np.float32)

    heads = [n for n in only(g.node, "MatMulNBits") if attrs(n)["N"] == V]
    assert len(heads) == 1, f"{len(heads)} MatMulNBits with N = vocab"
    out["lm_head.weight"] = mm(heads[0])

    shapes = {"q_proj": (q_out, H), "k_proj": (kv_out, H), "v_proj": (kv_out, H), "o_proj": (H, q_out),
              "gate_proj": (ff, H), "up_proj": (ff, H), "down_proj": (H, ff)}
    for name, w in out.items():
        key = name.split(".")[-2]
        if key in shapes:
            assert w.shape == shapes[key], f"{name}: {w.shape} != {shapes[key]}"
    assert out["lm_head.weight"].shape == (V, H) and out["model.embed_tokens.weight"].shape == (V, H)
    # Order as HF writes them, so the safetensors reads naturally.
    order = ["model.embed_tokens.weight"] + [f"model.layers.{i}.{k}" for i in range(L) for k in (
        "input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
        "self_attn.o_proj.weight", "post_attention_layernorm.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
        "mlp.down_proj.weight")] + ["model.norm.weight", "lm_head.weight"]
    assert set(order) == set(out), sorted(set(out) ^ set(order))
    return {k: np.ascontiguousarray(out[k], dtype=np.float32) for k in order}


def main():
    src, dst = sys.argv[1], sys.argv[2]
    onnx_file = sys.argv[3] if len(sys.argv) > 3 else "onnx/model_q4.onnx"
    os.makedirs(os.path.join(dst, "onnx"), exist_ok=True)
    for name in COPY:
        # A model pair may share one tokenizer in the parent folder.
        for d in (src, os.path.dirname(os.path.abspath(src))):
            if os.path.exists(os.path.join(d, name)):
                shutil.copy(os.path.join(d, name), dst)
                break
    shutil.copy(os.path.join(src, onnx_file), os.path.join(dst, onnx_file))
    tensors = recover(src, onnx_file)
    write_safetensors(tensors, os.path.join(dst, "model.safetensors"), {"source": f"dequantized from {onnx_file}"})
    n = sum(t.size for t in tensors.values())
    print(f"{dst}/model.safetensors: {len(tensors)} tensors, {n / 1e6:.1f}M parameters")


if __name__ == "__main__":
    main()
