"""Writes a Llama / Qwen2 decoder (Hugging Face safetensors, float32) straight into the fused ONNX graph that
onnxruntime's CPU kernels run fastest, in the runtime's signature (the Optimum names: input_ids, attention_mask,
position_ids, num_logits_to_keep, past_key_values.N.key/value -> logits, present.N.key/value):

- SimplifiedLayerNormalization / SkipSimplifiedLayerNormalization for the RMS norms and residual adds;
- one MatMul for the packed query/key/value projection (plus one Add for Qwen2's biases) feeding
  GroupQueryAttention with rotary embedding inside (constant cos/sin tables of max_position_embeddings rows);
- SiLU as Sigmoid * x; the lm_head on the last `num_logits_to_keep` positions only.

This is the graph export_fused.py gets from the dynamo exporter and onnxscript's fusions, after slim_onnx.py (packed
QKV, constant rotary tables), built by hand because those tools need torch >= 2.9, which this machine's Debian
torch is not. Batch rows must be unpadded (GroupQueryAttention's seqlens come from position_ids), as the runtime
sends them. Configs and weights it does not reproduce (rope_scaling, output-projection or MLP biases, a missing
untied lm_head) are refused rather than dropped. test/unit/buildFusedDecoder.test.ts checks it against PyTorch.

    /usr/bin/python3 training/build_fused_decoder.py <model dir with model.safetensors> <out.onnx> [--q4] [--int8]
"""
import argparse
import json
import os
import struct

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import kv_cache_fp16
import quantize_onnx

MS = "com.microsoft"
DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16}


def read_safetensors(path):
    """name -> float32 array (a view of the memory-mapped file where it stores float32)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = DTYPES.get(meta["dtype"])
        if dtype is None:
            raise ValueError(f"{name}: {meta['dtype']} tensors are not supported here")
        start, end = meta["data_offsets"]
        raw = np.frombuffer(data[start:end], dtype=dtype).reshape(meta["shape"])
        # bfloat16 is the top half of a float32.
        out[name] = (raw.astype(np.uint32) << 16).view(np.float32) if meta["dtype"] == "BF16" else raw.astype(np.float32, copy=False)
    return out


def rotary_tables(cfg):
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    inv_freq = 1.0 / (cfg.get("rope_theta", 10000.0) ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim))
    angles = np.outer(np.arange(cfg["max_position_embeddings"], dtype=np.float64), inv_freq)
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


class _ReadWeights(dict):
    """The weights, remembering which names the graph read: any left unread would be silently dropped."""

    def __init__(self, weights):
        super().__init__(weights)
        self.read = set()

    def __getitem__(self, name):
        self.read.add(name)
        return super().__getitem__(name)

    def get(self, name, default=None):
        if name in self:
            self.read.add(name)
        return super().get(name, default)


def check_supported(cfg, w):
    if cfg.get("rope_scaling"):
        raise ValueError(f"rope_scaling {cfg['rope_scaling']} is not reproduced by the constant rotary tables")
    if "lm_head.weight" not in w and not cfg.get("tie_word_embeddings", False):
        raise ValueError("no lm_head.weight, and the config does not tie the embeddings")


def build(cfg, weights):
    check_supported(cfg, weights)
    w = _ReadWeights(weights)
    layers = cfg["num_hidden_layers"]
    heads, kv_heads = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // heads
    eps = float(cfg["rms_norm_eps"])
    vocab = cfg["vocab_size"]
    inits, nodes = [], []

    def init(name, array, dtype=None):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array if dtype is None else array.astype(dtype)), name))
        return name

    def node(op, inputs, outputs, domain="", **attrs):
        nodes.append(helper.make_node(op, inputs, outputs, name=f"{op}_{len(nodes)}", domain=domain, **attrs))
        return outputs[0]

    embed = init("model.embed_tokens.weight", w["model.embed_tokens.weight"])
    lm_head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    cos, sin = rotary_tables(cfg)
    init("cos_cache", cos)
    init("sin_cache", sin)
    init("one_i32", np.array(1, np.int32))
    init("zero_i64", np.array(0, np.int64))
    init("axis1", np.array([1], np.int64))
    init("shape1", np.array([1], np.int64))
    init("int64_max", np.array([np.iinfo(np.int64).max], np.int64))

    hidden = node("Gather", [embed, "input_ids"], ["embedding"])
    # seqlens_k (total length - 1 per row) and the total length, from the last position id of each row.
    node("ReduceMax", ["position_ids", "axis1"], ["last_position"], keepdims=0)
    seqlens = node("Cast", ["last_position"], ["seqlens_k"], to=TensorProto.INT32)
    node("ReduceMax", [seqlens], ["max_seqlen"], keepdims=0)
    total = node("Add", ["max_seqlen", "one_i32"], ["total_sequence_length"])

    residual = None
    out = hidden
    for i in range(layers):
        p = f"model.layers.{i}."
        ln_in = init(p + "input_layernorm.weight", w[p + "input_layernorm.weight"])
        if residual is None:
            x = node("SimplifiedLayerNormalization", [out, ln_in], [f"l{i}_attn_in"], axis=-1, epsilon=eps, stash_type=1)
            residual = out
        else:
            x = node("SkipSimplifiedLayerNormalization", [out, residual, ln_in],
                     [f"l{i}_attn_in", f"l{i}_mean0", f"l{i}_inv0", f"l{i}_res0"], domain=MS, epsilon=eps)
            residual = f"l{i}_res0"
        qkv_w = np.concatenate([w[p + f"self_attn.{n}_proj.weight"] for n in "qkv"], axis=0).T
        qkv = node("MatMul", [x, init(p + "self_attn.qkv_proj.weight_t", qkv_w)], [f"l{i}_qkv"])
        if p + "self_attn.q_proj.bias" in w:
            bias = np.concatenate([w[p + f"self_attn.{n}_proj.bias"] for n in "qkv"])
            qkv = node("Add", [qkv, init(p + "self_attn.qkv_proj.bias", bias)], [f"l{i}_qkv_b"])
        attn = node("GroupQueryAttention",
                    [qkv, "", "", f"past_key_values.{i}.key", f"past_key_values.{i}.value", seqlens, total,
                     "cos_cache", "sin_cache"],
                    [f"l{i}_attn", f"present.{i}.key", f"present.{i}.value"], domain=MS,
                    num_heads=heads, kv_num_heads=kv_heads, do_rotary=1, rotary_interleaved=0)
        o = node("MatMul", [attn, init(p + "self_attn.o_proj.weight_t", w[p + "self_attn.o_proj.weight"].T)], [f"l{i}_o"])
        ln_post = init(p + "post_attention_layernorm.weight", w[p + "post_attention_layernorm.weight"])
        x = node("SkipSimplifiedLayerNormalization", [o, residual, ln_post],
                 [f"l{i}_mlp_in", f"l{i}_mean1", f"l{i}_inv1", f"l{i}_res1"], domain=MS, epsilon=eps)
        residual = f"l{i}_res1"
        gate = node("MatMul", [x, init(p + "mlp.gate_proj.weight_t", w[p + "mlp.gate_proj.weight"].T)], [f"l{i}_gate"])
        sig = node("Sigmoid", [gate], [f"l{i}_sig"])
        silu = node("Mul", [gate, sig], [f"l{i}_silu"])
        up = node("MatMul", [x, init(p + "mlp.up_proj.weight_t", w[p + "mlp.up_proj.weight"].T)], [f"l{i}_up"])
        act = node("Mul", [silu, up], [f"l{i}_act"])
        out = node("MatMul", [act, init(p + "mlp.down_proj.weight_t", w[p + "mlp.down_proj.weight"].T)], [f"l{i}_down"])
    final = node("SkipSimplifiedLayerNormalization", [out, residual, init("model.norm.weight", w["model.norm.weight"])],
                 ["final_norm", "final_mean", "final_inv", "final_res"], domain=MS, epsilon=eps)
    # The last num_logits_to_keep positions (all of them for 0).
    node("Shape", ["position_ids"], ["seq_len"], start=1, end=2)
    node("Reshape", ["num_logits_to_keep", "shape1"], ["keep"])
    node("Greater", ["keep", "zero_i64"], ["keep_some"])
    node("Sub", ["seq_len", "keep"], ["keep_back"])
    node("Max", ["keep_back", "zero_i64"], ["keep_from"])
    node("Where", ["keep_some", "keep_from", "zero_i64"], ["slice_start"])
    kept = node("Slice", [final, "slice_start", "int64_max", "axis1"], ["kept"])
    node("MatMul", [kept, init("lm_head.weight_t", lm_head.T)], ["logits"])
    unread = sorted(n for n in w if n not in w.read and "rotary_emb" not in n)
    if unread:
        raise ValueError(f"weights this graph would drop: {unread[:5]}{' ...' if len(unread) > 5 else ''}")

    f32 = TensorProto.FLOAT
    past_shape = ["batch_size", kv_heads, "past_sequence_length", head_dim]
    present_shape = ["batch_size", kv_heads, "total_sequence_length", head_dim]
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"]),
              helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
              helper.make_tensor_value_info("num_logits_to_keep", TensorProto.INT64, [])]
    outputs = [helper.make_tensor_value_info("logits", f32, ["batch_size", "kept_length", vocab])]
    for i in range(layers):
        for kv in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(f"past_key_values.{i}.{kv}", f32, past_shape))
            outputs.append(helper.make_tensor_value_info(f"present.{i}.{kv}", f32, present_shape))
    graph = helper.make_graph(nodes, "fused_decoder", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid(MS, 1)],
                              producer_name="locus build_fused_decoder.py")
    model.ir_version = 8
    return model


def write_fused(model_dir, out_dir, formats=(), log=print):
    """onnx/model.onnx (+ model.onnx_data) in out_dir from model_dir's config.json and model.safetensors, then
    onnx/model_{fmt}.onnx for each of `formats` ("q4", "int8") with the float16 cache the shipped files have."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    weights = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    onnx_dir = os.path.join(out_dir, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    model = build(cfg, weights)
    del weights
    fp32 = os.path.join(onnx_dir, "model.onnx")
    log(f"{fp32}: {len(model.graph.node)} nodes (fused)")
    # Replaces any earlier model.onnx_data (onnx appends to an existing one), external past protobuf's 2 GB.
    quantize_onnx.save(model, fp32, log=log)
    del model
    for fmt in formats:
        convert = {"q4": quantize_onnx.to_q4, "int8": quantize_onnx.to_int8}[fmt]
        quantized = convert(onnx.load(fp32), log=log)
        # The runtime's float16 cache (kv_cache_fp16.py says why); every attention here is one it rewrites.
        if kv_cache_fp16.half_kv_cache(quantized) != cfg["num_hidden_layers"]:
            raise RuntimeError(f"{fmt}: the KV cache was not converted to float16")
        quantize_onnx.save(quantized, os.path.join(onnx_dir, f"model_{fmt}.onnx"), log=log)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("out_dir", help="writes onnx/model.onnx (+ .onnx_data), and with --q4 / --int8 their files")
    ap.add_argument("--q4", action="store_true")
    ap.add_argument("--int8", action="store_true")
    args = ap.parse_args()
    write_fused(args.model_dir, args.out_dir, [fmt for fmt in ("q4", "int8") if getattr(args, fmt)])


if __name__ == "__main__":
    main()
