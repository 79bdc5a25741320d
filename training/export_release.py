"""Exports the trained pair to ONNX in the Optimum decoder signature, fuses it for ORT's CPU kernels,
quantizes it (int8 dynamic and 4-bit block-wise MatMulNBits), checks parity against PyTorch, measures
held-out perplexity per variant with onnxruntime, and lays out the release folder.

    python3 training/export_release.py --work $OUT/work --release $OUT/work/release
"""
import argparse
import json
import math
import os
import shutil
import sys
import time

import numpy as np
import onnx
import onnx.version_converter
import onnxruntime as ort
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_fused import export_hf_dynamo, fuse_for_ort  # noqa: E402
from export_onnx import export_decoder  # noqa: E402
from kv_cache_fp16 import half_kv_cache  # noqa: E402
from llama import Llama, LlamaConfig  # noqa: E402
from slim_onnx import slim_file  # noqa: E402

T0 = time.time()


def log(msg):
    print(f"[export {time.time() - T0:6.1f}s] {msg}", flush=True)


def op_counts(path):
    counts = {}
    for n in onnx.load(path, load_external_data=False).graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    return counts


def quantize_int8(src, dst, fused):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # ORT's fused attention kernels run faster with unsigned weights (transformers.js's quantize script does this too).
    quantize_dynamic(src, dst, weight_type=QuantType.QUInt8 if fused else QuantType.QInt8,
                     extra_options={"MatMulConstBOnly": True})


def quantize_q4(src, dst):
    """4-bit block-wise MatMulNBits for every MatMul and the embedding; returns how the embedding was stored."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    def nbits(model, op_types):
        q = MatMulNBitsQuantizer(model, bits=4, block_size=32, is_symmetric=True, accuracy_level=4,
                                 op_types_to_quantize=op_types)
        q.process()
        return q.model.model

    model = onnx.load(src)
    try:
        # 4-bit Gather needs opset 21, and the quantizer bumps the opset number without converting nodes.
        # From opset 18 on that is safe for these graphs; an older (unfused) export is converted first, which
        # moves ReduceMean's axes from attribute to input. The converter cannot convert fused graphs: their
        # contrib ops have no schema in it.
        if next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) < 18:
            model = onnx.version_converter.convert_version(model, 21)
        onnx.save(nbits(model, ("MatMul", "Gather")), dst)
        ort.InferenceSession(dst, providers=["CPUExecutionProvider"])
        return "q4"
    except Exception as e:
        log(f"4-bit embedding failed ({type(e).__name__}: {str(e)[:300]}); embedding goes to int8 instead")
    tmp = dst + ".matmul-only.onnx"
    onnx.save(nbits(onnx.load(src), ("MatMul",)), tmp)
    quantize_dynamic(tmp, dst, weight_type=QuantType.QInt8, op_types_to_quantize=["Gather"])
    os.remove(tmp)
    return "int8"


def session(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 8
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def empty_feeds(sess, cfg, ids, past=None, past_len=0):
    feeds = {}
    names = [i.name for i in sess.get_inputs()]
    seq = ids.shape[1]
    feeds["input_ids"] = ids.astype(np.int64)
    feeds["attention_mask"] = np.ones((1, past_len + seq), dtype=np.int64)
    if "position_ids" in names:
        feeds["position_ids"] = np.arange(past_len, past_len + seq, dtype=np.int64)[None]
    if "num_logits_to_keep" in names:
        feeds["num_logits_to_keep"] = np.array(0, dtype=np.int64)
    hd = cfg.head_dim or cfg.hidden_size // cfg.num_attention_heads
    kv_type = {i.name: np.float16 if i.type == "tensor(float16)" else np.float32 for i in sess.get_inputs()}
    for i in range(cfg.num_hidden_layers):
        for kv in ("key", "value"):
            name = f"past_key_values.{i}.{kv}"
            feeds[name] = past[name] if past else np.zeros((1, cfg.num_key_value_heads, 0, hd), dtype=kv_type.get(name, np.float32))
    return {k: v for k, v in feeds.items() if k in names}


def parity(sess, model, cfg, rows):
    """Max |logit difference| vs PyTorch for a 48-token prefill and a following 1-token step with the cache."""
    ids = rows[0:1, :49].astype(np.int64)
    with torch.no_grad():
        ref = model(torch.from_numpy(ids)).float().numpy()
    out = sess.run(None, empty_feeds(sess, cfg, ids[:, :48]))
    names = [o.name for o in sess.get_outputs()]
    past = {n.replace("present", "past_key_values"): v for n, v in zip(names[1:], out[1:])}
    step = sess.run(None, empty_feeds(sess, cfg, ids[:, 48:49], past, 48))
    return {"prefill_max_abs": float(np.abs(out[0][0] - ref[0, :48]).max()),
            "step_max_abs": float(np.abs(step[0][0, -1] - ref[0, 48]).max())}


def ort_ppl(sess, cfg, rows, length=512):
    nll, n = 0.0, 0
    for r in rows:
        ids = r[None, :length + 1].astype(np.int64)
        logits = sess.run(["logits"], empty_feeds(sess, cfg, ids[:, :-1]))[0][0].astype(np.float64)
        logits -= logits.max(-1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        nll -= logp[np.arange(length), ids[0, 1:]].sum()
        n += length
    return round(math.exp(nll / n), 3)


def export_model(name, state, cfg_dict, work, release, rows, tokenizer_dir):
    # A tied model is exported untied: the tied lm_head would be MatMul(h, Transpose(E)), which has no constant
    # weight for MatMulNBits (see quantize_onnx.py); its state dict holds the table under both names.
    cfg = LlamaConfig(**{**cfg_dict, "tie_word_embeddings": False})
    model = Llama(cfg)
    model.load_state_dict(state)
    model.float().eval()
    raw = os.path.join(work, f"{name}_fp32.onnx")
    export_decoder(model, raw)
    log(f"{name}: exported fp32 ({os.path.getsize(raw) / 1e6:.1f} MB)")
    report = {}
    base = raw
    # The fused graph is 2-3x faster per token on CPU; the plain export stays as the fallback.
    try:
        dynamo = os.path.join(work, f"{name}_dynamo.onnx")
        export_hf_dynamo(model, dynamo)
        fused = os.path.join(work, f"{name}_fused.onnx")
        report["fusion"] = fuse_for_ort(dynamo, fused)
        report["fused_parity"] = parity(session(fused), model, cfg, rows)
        log(f"{name}: fusion {report['fusion']}, parity {report['fused_parity']}")
        if report["fusion"] and max(report["fused_parity"].values()) < 1e-3:
            base = fused
    except Exception as e:  # the unfused export is correct, only slower
        report["fusion_error"] = f"{type(e).__name__}: {str(e)[:2000]}"
        log(f"{name}: fused export failed: {report['fusion_error']}")
    report["base"] = os.path.basename(base)
    report["base_ops"] = op_counts(base)
    variants = {"fp32": base}
    int8 = os.path.join(work, f"{name}_int8.onnx")
    quantize_int8(base, int8, base != raw)
    variants["int8"] = int8
    q4 = os.path.join(work, f"{name}_q4.onnx")
    report["q4_embedding"] = quantize_q4(base, q4)
    # Fewer nodes for CPU decoding (packed QKV, constant rotary tables), measured below like every variant.
    report["q4_slim"] = slim_file(q4, q4, cfg.to_hf_dict())
    # A float16 KV cache halves what a decode step copies (kv_cache_fp16.py); the shipped files get it.
    for v, path in (("q4", q4), ("int8", int8)):
        m = onnx.load(path)
        report[f"{v}_fp16_kv_attention_nodes"] = half_kv_cache(m)
        if report[f"{v}_fp16_kv_attention_nodes"]:
            onnx.save(m, path)
    variants["q4"] = q4
    report["variants"] = {}
    for v, path in variants.items():
        s = session(path)
        report["variants"][v] = {"bytes": os.path.getsize(path), "parity": parity(s, model, cfg, rows),
                                 "heldout_ppl_512": ort_ppl(s, cfg, rows[:8])}
        log(f"{name} {v}: {report['variants'][v]}")
    out_dir = os.path.join(release, name)
    os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
    hf = cfg.to_hf_dict()
    hf["name"] = f"locus-{name}"
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(hf, f, indent=2)
    with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": cfg.bos_token_id, "eos_token_id": [cfg.eos_token_id], "do_sample": False}, f,
                  indent=2)
    shutil.copy(q4, os.path.join(out_dir, "onnx", "model_q4.onnx"))
    if name == "draft":
        shutil.copy(int8, os.path.join(out_dir, "onnx", "model_int8.onnx"))
    for fname in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(tokenizer_dir, fname), os.path.join(release, fname))
    return report


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--release", required=True)
    args = ap.parse_args()
    ck = torch.load(os.path.join(args.work, "checkpoint.pt"), map_location="cpu")
    rows = np.load(os.path.join(args.work, "heldout_rows.npy"))
    os.makedirs(args.release, exist_ok=True)
    report = {}
    for name in ("target", "draft"):
        report[name] = export_model(name, ck[name], ck[f"{name}_config"], args.work, args.release, rows,
                                    os.path.join(args.work, "tokenizer"))
    with open(os.path.join(args.work, "train_metrics.json")) as f:
        report["training"] = json.load(f)
    with open(os.path.join(args.release, "metrics.json"), "w") as f:
        json.dump(report, f, indent=2)
    log("release written")


if __name__ == "__main__":
    main()
