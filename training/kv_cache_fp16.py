"""Keeps a fused decoder's KV cache in float16: past_key_values.* and present.* become float16, and each
GroupQueryAttention runs in float16 between a Cast of its query/key/value input and a Cast of its output back to
float32. The attention's float inputs are rounded to float16 on the way in (the query, and float16 copies of the
rotary cos/sin tables slim_onnx.py stores), so logits move slightly and greedy tokens can differ at near-ties. The
weights and every other node stay as they are.

Why: on this CPU a one-token step of the default target spends a third of its time or more on the cache at a few
hundred positions (GroupQueryAttention copies the past into a new present every step, and onnxruntime-node copies
every present into a new JS buffer). Half the bytes make those copies half as long: on 120 FIM prompts (median
696 tokens) the default target decoded 1.29-1.32x faster at 2 threads, and the model bench's held-out single-line exact
matches were 57 against 56 of 276 with the float32 cache (TS/JS 31 against 29, Python 26 against 27)
(bench/results/{speculative,model-eval-locus-target-q4}-kv-fp{32-before,16}-2026-12-03.md).
ORT's GroupQueryAttention kernel itself runs no faster on float16 here (bench/results/kernels-kv-fp*-2026-12-03.md).
The cache also takes half the memory. Only graphs whose every cache input and output belongs to a
GroupQueryAttention are rewritten: the plain-attention fallback export keeps float32 (the runtime reads either).
`bench/runtime/rewriteParity.ts` compares logits, greedy tokens and step time of the two files.

    /usr/bin/python3 training/kv_cache_fp16.py models/default/target/onnx/model_q4.onnx [out.onnx]
"""
import sys

import numpy as np
from onnx import TensorProto, helper, load, numpy_helper, save

# GroupQueryAttention inputs of its float type T besides the cache: query, key, value, cos_cache, sin_cache,
# attention_bias, head_sink (com.microsoft contrib op schema).
FLOAT_INPUTS = (0, 1, 2, 7, 8, 10, 11)
PAST_INPUTS = (3, 4)
PRESENT_OUTPUTS = (1, 2)


def is_cache(name):
    return name.startswith("past_key_values.") or name.startswith("present.")


def half_kv_cache(model):
    """Rewrites `model` in place; returns how many attention nodes now run in float16 (0: left unchanged)."""
    graph = model.graph
    cache_io = [v for v in list(graph.input) + list(graph.output) if is_cache(v.name)]
    if not cache_io or all(v.type.tensor_type.elem_type == TensorProto.FLOAT16 for v in cache_io):
        return 0
    gqas = [n for n in graph.node if n.op_type == "GroupQueryAttention"]
    tied = {n.input[i] for n in gqas for i in PAST_INPUTS if i < len(n.input)} | \
           {n.output[i] for n in gqas for i in PRESENT_OUTPUTS if i < len(n.output)}
    if not gqas or any(v.name not in tied for v in cache_io):
        return 0
    # Only the attention output is cast back; an attention that also returns its scores (output_qk) is not handled.
    if any(len(n.output) > 3 and n.output[3] for n in gqas):
        return 0
    if any(is_cache(i) for n in graph.node if n.op_type != "GroupQueryAttention" for i in n.input):
        return 0
    inits = {t.name: t for t in graph.initializer}
    halved = {}  # float32 tensor name -> its float16 name, shared by every attention node that reads it
    nodes = []
    for node in graph.node:
        if node.op_type != "GroupQueryAttention":
            nodes.append(node)
            continue
        for i in FLOAT_INPUTS:
            name = node.input[i] if i < len(node.input) else ""
            if not name:
                continue
            if name not in halved:
                halved[name] = name + "_fp16"
                if name in inits:
                    table = numpy_helper.to_array(inits[name]).astype(np.float16)
                    graph.initializer.append(numpy_helper.from_array(table, halved[name]))
                else:
                    nodes.append(helper.make_node("Cast", [name], [halved[name]], name=name + "_to_fp16",
                                                  to=TensorProto.FLOAT16))
            node.input[i] = halved[name]
        out = node.output[0]
        node.output[0] = out + "_fp16"
        nodes.append(node)
        nodes.append(helper.make_node("Cast", [node.output[0]], [out], name=out + "_to_fp32", to=TensorProto.FLOAT))
    del graph.node[:]
    graph.node.extend(nodes)
    used = {i for n in graph.node for i in n.input}
    for t in list(graph.initializer):
        if t.name not in used:
            graph.initializer.remove(t)
    for v in cache_io:
        v.type.tensor_type.elem_type = TensorProto.FLOAT16
    # Shapes inferred for the old float32 tensors would contradict the new types.
    stale = {v.name for v in cache_io}
    for v in list(graph.value_info):
        if v.name in stale:
            graph.value_info.remove(v)
    return len(gqas)


def main():
    src = sys.argv[1]
    dst = sys.argv[2] if len(sys.argv) > 2 else src
    model = load(src)
    count = half_kv_cache(model)
    if count == 0:
        sys.exit(f"{src}: left unchanged: its cache is float16 already, or not every cache tensor belongs to a "
                 "GroupQueryAttention (the plain-attention export keeps float32), or an attention node returns its scores")
    save(model, dst)
    print(f"{dst}: {count} GroupQueryAttention nodes with a float16 KV cache")


if __name__ == "__main__":
    main()
