"""Builds the 0.5B-shaped model as other exporters leave a model, for the benchmarks of what the runtime does
about it. Each variant is a folder beside the source with the source's config, tokenizer and untouched files
linked, not copied (git-ignored, like the source).

  float-head           bench/models/qwen05-float-head: onnx/model_q4.onnx with every layer 4-bit but the output
                       layer left in fp32. Qwen2.5-Coder-0.5B ties its embeddings; exported tied, its lm_head is
                       MatMul(h, Transpose(E)) with no constant weight, which ORT's quantizers skip
                       (../shared/research/runtime.md, 3.2), so such a model_q4.onnx reads a 545 MB fp32 table for
                       every token and decodes slower than the folder's model_int8.onnx (`npm run bench -- fileChoice`).
                       The 8-bit file is linked.
  no-logits-to-keep    bench/models/qwen05-no-logits-to-keep: onnx/model_q4.onnx and model_int8.onnx without the
                       num_logits_to_keep input, as Optimum exports them: the output layer runs on every position of
                       a pass (`npm run bench -- logitsToKeep`).
  unset-accuracy       bench/models/qwen05-unset-accuracy: onnx/model_q4.onnx with no accuracy_level on its
                       MatMulNBits, as transformers.js's quantize script leaves them (its default is None): onnxruntime
                       then multiplies in float32 instead of int8 (`npm run bench -- accuracyLevel`).
  plain-attention      bench/models/qwen05-plain-attention: onnx/model_q4.onnx exported from the same weights by
                       PyTorch's TorchScript exporter, as Optimum exports a decoder: attention as MatMul/Softmax with
                       rotary, repeat_kv and the causal mask in standard ops, a float32 cache (`npm run bench --
                       attentionFusion`).
  optimum              bench/models/qwen05-optimum: that plain-attention file also without num_logits_to_keep and with
                       accuracy_level taken out, as an onnx-community model_q4.onnx comes (Optimum's export, then
                       transformers.js's quantize script): every preparation the runtime makes applies to it
                       (`npm run bench -- runtime --models qwen05-optimum`).
  optimum-tied         bench/models/qwen05-optimum-tied: that file with its embeddings tied, as Qwen2.5-Coder-0.5B's are
                       and as an onnx-community export of it comes: one float32 table [vocabulary, hidden] (the source's
                       lm_head.weight) that the embedding lookup gathers from and the output layer multiplies by,
                       transposed, in float32 (no quantizer reaches it). A different model from the untied one (its
                       embeddings are the output layer's), of the same shape and speed but for that layer.

    /usr/bin/python3 scripts/make_qwen05_shaped.py                          # first: bench/models/qwen05-shaped
    /usr/bin/python3 scripts/make_export_variants.py float-head             # ~1 min
    /usr/bin/python3 scripts/make_export_variants.py no-logits-to-keep      # ~2 min
    /usr/bin/python3 scripts/make_export_variants.py unset-accuracy         # ~1 min
    /usr/bin/python3 scripts/make_export_variants.py plain-attention        # ~5 min, ~10 GB of memory
    /usr/bin/python3 scripts/make_export_variants.py optimum                # after plain-attention, ~1 min
    /usr/bin/python3 scripts/make_export_variants.py optimum-tied           # after optimum, ~1 min
    /usr/bin/python3 scripts/make_export_variants.py plain-attention --src bench/models/locus-target \
        --out bench/models/locus-target-plain-attention                     # the trained default, plain (~10 s)
"""
import argparse
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "training"))

import onnx  # noqa: E402

import kv_cache_fp16  # noqa: E402
import quantize_onnx  # noqa: E402

LINKED = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json")
KEEP = "num_logits_to_keep"


def link(src, out, names):
    for name in names:
        target, path = os.path.join(src, name), os.path.join(out, name)
        if os.path.exists(target) and not os.path.lexists(path):
            os.symlink(target, path)


def float_head(src, out):
    link(src, out, ("onnx/model_int8.onnx",))
    model = quantize_onnx.to_q4(onnx.load(os.path.join(src, "onnx", "model.onnx")), float_head=True)
    if kv_cache_fp16.half_kv_cache(model) == 0:
        sys.exit("the KV cache was not converted to float16")
    quantize_onnx.save(model, os.path.join(out, "onnx", "model_q4.onnx"))


def without_logits_to_keep(model):
    """Drops the input and the nodes computing the slice from it; the output layer reads what was sliced."""
    graph = model.graph
    derived, chain, sliced = {KEEP}, [], {}
    for node in graph.node:
        if any(i in derived for i in node.input):
            chain.append(node)
            # The rows the output layer reads: Slice (the fused builder) or Gather of a Range (torch's export).
            if node.op_type in ("Slice", "Gather") and node.input[0] not in derived:
                sliced[node.output[0]] = node.input[0]
            else:
                derived.update(node.output)
    if len(sliced) != 1:
        sys.exit(f"expected one Slice or Gather computed from {KEEP}, found {len(sliced)}")
    kept = [n for n in graph.node if n not in chain]
    for node in kept:
        for i, name in enumerate(node.input):
            node.input[i] = sliced.get(name, name)
    del graph.node[:]
    graph.node.extend(kept)
    inputs = [v for v in graph.input if v.name != KEEP]
    del graph.input[:]
    graph.input.extend(inputs)
    return model


def no_logits_to_keep(src, out):
    for name in ("model_q4.onnx", "model_int8.onnx"):
        model = without_logits_to_keep(onnx.load(os.path.join(src, "onnx", name)))
        quantize_onnx.save(model, os.path.join(out, "onnx", name))


def unset_accuracy(src, out):
    model = onnx.load(os.path.join(src, "onnx", "model_q4.onnx"))
    quantize_onnx.save(without_accuracy_level(model), os.path.join(out, "onnx", "model_q4.onnx"))


def without_accuracy_level(model):
    unset = 0
    for node in model.graph.node:
        if node.op_type == "MatMulNBits":
            kept = [a for a in node.attribute if a.name != "accuracy_level"]
            unset += len(node.attribute) - len(kept)
            del node.attribute[:]
            node.attribute.extend(kept)
    if unset == 0:
        sys.exit("no MatMulNBits had an accuracy_level to remove")
    return model


def optimum(src, out):
    plain = os.path.join(os.path.dirname(out), "qwen05-plain-attention", "onnx", "model_q4.onnx")
    if not os.path.exists(plain):
        sys.exit(f"{plain} is missing: run this script's plain-attention variant first")
    model = without_accuracy_level(without_logits_to_keep(onnx.load(plain)))
    quantize_onnx.save(model, os.path.join(out, "onnx", "model_q4.onnx"))


def plain_attention(src, out):
    import tempfile

    import torch
    from build_fused_decoder import read_safetensors
    from export_onnx import export_decoder
    from llama import Llama, LlamaConfig

    with open(os.path.join(src, "config.json")) as f:
        hf = json.load(f)
    fields = {k: hf[k] for k in LlamaConfig.__dataclass_fields__ if k in hf}
    # Qwen2's config has no attention_bias key: its q/k/v biases are implied by the architecture.
    fields["attention_bias"] = hf.get("attention_bias", hf.get("model_type") == "qwen2")
    cfg = LlamaConfig(**fields)
    model = Llama(cfg)
    weights = {k: torch.from_numpy(v) for k, v in read_safetensors(os.path.join(src, "model.safetensors")).items()}
    model.load_state_dict(weights, strict=True)
    del weights
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        fp32 = os.path.join(tmp, "model.onnx")
        export_decoder(model, fp32)
        del model
        quantize_onnx.quantize_file(fp32, "q4", os.path.join(out, "onnx", "model_q4.onnx"))


def optimum_tied(src, out):
    from build_fused_decoder import read_safetensors
    from onnx import helper, numpy_helper

    untied = os.path.join(os.path.dirname(out), "qwen05-optimum", "onnx", "model_q4.onnx")
    if not os.path.exists(untied):
        sys.exit(f"{untied} is missing: run this script's optimum variant first")
    model = onnx.load(untied)
    graph = model.graph
    table = read_safetensors(os.path.join(src, "model.safetensors"))["lm_head.weight"]  # [vocabulary, hidden]
    lookup = next(n for n in graph.node if n.op_type == "GatherBlockQuantized" and "input_ids" in n.input)
    head = next(n for n in graph.node if "logits" in n.output)
    dropped = set(lookup.input[::2]) | set(head.input[1:])
    tied = [helper.make_node("Gather", ["tied_embeddings", "input_ids"], list(lookup.output), name="tied_lookup"),
            helper.make_node("Transpose", ["tied_embeddings"], ["tied_embeddings_t"], name="tied_transpose", perm=[1, 0]),
            helper.make_node("MatMul", [head.input[0], "tied_embeddings_t"], ["logits"], name="tied_head")]
    nodes = []
    for node in graph.node:
        if node is lookup:
            nodes.append(tied[0])
        elif node is head:
            nodes += tied[1:]
        else:
            nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    kept = [t for t in graph.initializer if t.name not in dropped]
    del graph.initializer[:]
    graph.initializer.extend(kept + [numpy_helper.from_array(table.astype("float32"), "tied_embeddings")])
    quantize_onnx.save(model, os.path.join(out, "onnx", "model_q4.onnx"))
    with open(os.path.join(src, "config.json")) as f:
        config = json.load(f)
    config["tie_word_embeddings"] = True
    os.remove(os.path.join(out, "config.json"))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


VARIANTS = {"float-head": float_head, "no-logits-to-keep": no_logits_to_keep, "unset-accuracy": unset_accuracy,
            "plain-attention": plain_attention, "optimum": optimum, "optimum-tied": optimum_tied}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("variant", choices=sorted(VARIANTS))
    ap.add_argument("--src", default=os.path.join(REPO, "bench", "models", "qwen05-shaped"))
    ap.add_argument("--out", help="default: bench/models/qwen05-<variant>")
    args = ap.parse_args(argv)
    src = os.path.abspath(args.src)
    out = os.path.abspath(args.out or os.path.join(REPO, "bench", "models", f"qwen05-{args.variant}"))
    if not os.path.exists(os.path.join(src, "onnx", "model.onnx")):
        sys.exit(f"{src}/onnx/model.onnx is missing: run scripts/make_qwen05_shaped.py first")
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    link(src, out, LINKED)
    VARIANTS[args.variant](src, out)


if __name__ == "__main__":
    main()
