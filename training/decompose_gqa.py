"""Rewrites each GroupQueryAttention node of a fused decoder into standard onnxruntime CPU ops: a rotary embedding
of the packed query and key, a Concat of the cache, and two batched MatMuls in which the query heads that share a
key/value head are stacked as rows of one matrix. Inputs, outputs and weights stay as they are.

Why: onnxruntime's CPU GroupQueryAttention works one query head at a time. For each of them it copies that head's
key/value cache into `present` (after zeroing all of `present`), converts a float16 cache to float32 again, and packs
the keys for a single-row GEMM: with 4 query heads per key/value head all of that is done 4 times per step. Here the
cache is concatenated and converted once per key/value head and each MatMul multiplies 4 rows at once. On this CPU
that made eight layers' attention 1.6-1.7x faster at 512-900 positions and no slower at 64 (bench/results/
attention-decomposed-*.md); `bench/runtime/rewriteParity.ts` compares whole files.

Semantics follow the contrib op's CPU kernel: positions are past length + i (no padding; seqlens_k = total - 1 per
batch row), key j is visible to query i when j <= its position, scale 1/sqrt(head size) unless `scale` is set. The
query stays float32 (the fused graph rounded it to float16); new keys and values are rounded to the cache's type
before they are used, as before. Nodes with options this rewrite does not reproduce (local window, softcap, smooth
softmax, attention bias, returned scores, separate key/value inputs) are refused and the file is left unchanged.

    /usr/bin/python3 training/decompose_gqa.py models/default/target/onnx/model_q4.onnx [out.onnx]
"""
import math
import sys

import numpy as np
from onnx import TensorProto, helper, load, numpy_helper, save

MS = "com.microsoft"
UNSUPPORTED_ATTRS = {"local_window_size": -1, "softcap": 0.0, "smooth_softmax": 0}


class Refused(Exception):
    pass


def attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def check(node, a):
    if a.get("do_rotary", 0) not in (0, 1):
        raise Refused(f"{node.name}: do_rotary={a['do_rotary']}")
    for name, neutral in UNSUPPORTED_ATTRS.items():
        if name in a and a[name] != neutral:
            raise Refused(f"{node.name}: {name}={a[name]}")
    if len(node.input) < 7 or node.input[1] or node.input[2]:
        raise Refused(f"{node.name}: key and value are separate inputs (only a packed query/key/value is handled)")
    if any(node.input[i] for i in range(9, len(node.input))):
        raise Refused(f"{node.name}: attention bias or head sink inputs")
    if any(node.output[i] for i in range(3, len(node.output))):
        raise Refused(f"{node.name}: returns its attention scores")
    if a.get("do_rotary", 0) == 1 and (len(node.input) < 9 or not node.input[7] or not node.input[8]):
        raise Refused(f"{node.name}: do_rotary=1 without cos/sin tables")


def decompose_gqa(model):
    """Rewrites `model` in place; returns how many attention nodes were decomposed (0: none found)."""
    graph = model.graph
    gqas = [n for n in graph.node if n.op_type == "GroupQueryAttention" and n.domain == MS]
    if not gqas:
        return 0
    for n in gqas:
        check(n, attrs(n))
    producer = {o: n for n in graph.node for o in n.output}
    consumers = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    graph_outputs = {o.name for o in graph.output}
    declared = {v.name: v.type.tensor_type.elem_type for v in list(graph.input) + list(graph.output)}
    inits = {t.name: t for t in graph.initializer}
    removed = set()  # ids of Casts folded into the rewrite
    new_inits = []
    consts = {}

    def const(name, value):
        if name not in consts:
            consts[name] = name
            new_inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def float_table(name):
        """A rotary table as float32: the fused graph may hold a float16 copy for a float16 query."""
        t = numpy_helper.to_array(inits[name])
        if t.dtype == np.float32:
            return name
        return const(name + "_fp32", t.astype(np.float32))

    shared = {}
    nodes = []
    for node in graph.node:
        if id(node) in removed:
            continue
        if node not in gqas:
            nodes.append(node)
            continue
        a = attrs(node)
        heads, kv_heads = a["num_heads"], a["kv_num_heads"]
        group = heads // kv_heads
        past_key, past_value, seqlens = node.input[3], node.input[4], node.input[5]
        cache_type = declared.get(past_key, TensorProto.FLOAT)
        if declared.get(node.output[1], cache_type) != cache_type:
            raise Refused(f"{node.name}: past and present types differ")
        p = node.name + "_decomposed/"
        mk = lambda op, ins, outs, domain="", **kw: nodes.append(  # noqa: E731
            helper.make_node(op, ins, outs, name=p + outs[0].split("/")[-1], domain=domain, **kw))

        # The float32 query/key/value: the fused graph's input, or what its Cast to float16 read.
        qkv = node.input[0]
        src = producer.get(qkv)
        if src is not None and src.op_type == "Cast" and consumers[qkv] == [node] and qkv not in graph_outputs:
            removed.add(id(src))
            qkv = src.input[0]
            nodes[:] = [n for n in nodes if n is not src]
        # The float32 output: the Cast that read the fused output, or the fused output itself.
        out = node.output[0]
        uses = consumers.get(out, [])
        final = out
        if len(uses) == 1 and uses[0].op_type == "Cast" and attrs(uses[0])["to"] == TensorProto.FLOAT and out not in graph_outputs:
            removed.add(id(uses[0]))
            final = uses[0].output[0]

        if "mask" not in shared:
            # Once per graph: positions [B, S] (past length + i, from seqlens_k = total - 1) and the additive mask
            # [B, 1, group * S, T] that hides keys after each query's position; T = past length + S.
            s = "attention_positions/"
            sm = lambda op, ins, outs, **kw: nodes.append(helper.make_node(op, ins, outs, name=outs[0], **kw))  # noqa: E731
            sm("Shape", [qkv], [s + "qkv_shape"])
            sm("Gather", [s + "qkv_shape", const("gqa_const_one_index", np.array(1, np.int64))], [s + "steps"], axis=0)
            sm("Cast", [seqlens], [s + "last"], to=TensorProto.INT64)
            sm("Add", [s + "last", const("gqa_const_one", np.array(1, np.int64))], [s + "total"])
            sm("Sub", [s + "total", s + "steps"], [s + "past"])
            sm("Range", [const("gqa_const_zero", np.array(0, np.int64)), s + "steps", "gqa_const_one"], [s + "offsets"])
            sm("Unsqueeze", [s + "past", const("gqa_const_axis1", np.array([1], np.int64))], [s + "past_column"])
            sm("Add", [s + "past_column", s + "offsets"], [s + "position_ids"])
            sm("Shape", [past_key], [s + "cache_length"], start=2, end=3)
            sm("Add", [s + "cache_length", s + "steps"], [s + "keys_length"])
            sm("Squeeze", [s + "keys_length"], [s + "keys_count"])
            sm("Range", ["gqa_const_zero", s + "keys_count", "gqa_const_one"], [s + "keys"])
            sm("Unsqueeze", [s + "position_ids", const("gqa_const_axis2", np.array([2], np.int64))], [s + "position_column"])
            sm("LessOrEqual", [s + "keys", s + "position_column"], [s + "visible"])
            sm("Where", [s + "visible", const("gqa_const_zero_f", np.array(0, np.float32)),
                         const("gqa_const_neg_inf", np.array(-np.inf, np.float32))], [s + "mask_rows"])
            sm("Tile", [s + "mask_rows", const(f"gqa_const_tile_{group}", np.array([1, group, 1], np.int64))], [s + "mask_groups"])
            sm("Unsqueeze", [s + "mask_groups", "gqa_const_axis1"], [s + "mask"])
            shared.update(mask=s + "mask", positions=s + "position_ids", group=group)
        if shared["group"] != group:
            raise Refused(f"{node.name}: query heads per key/value head differ between layers")

        head_size = None
        for v in list(graph.input):
            if v.name == past_key:
                head_size = v.type.tensor_type.shape.dim[3].dim_value
        if not head_size:
            raise Refused(f"{node.name}: {past_key} declares no head size")
        scale = a.get("scale", 0.0) or 1.0 / math.sqrt(head_size)
        qk_width = (heads + kv_heads) * head_size

        mk("Split", [qkv, const(f"gqa_const_split_{qk_width}_{kv_heads * head_size}",
                                np.array([qk_width, kv_heads * head_size], np.int64))], [p + "qk", p + "v"], axis=2)
        qk = p + "qk"
        if a.get("do_rotary", 0) == 1:
            mk("RotaryEmbedding", [qk, shared["positions"], float_table(node.input[7]), float_table(node.input[8])],
               [p + "qk_rotated"], domain=MS, num_heads=heads + kv_heads, interleaved=a.get("rotary_interleaved", 0))
            qk = p + "qk_rotated"
        mk("Reshape", [qk, const(f"gqa_const_bshd_{heads + kv_heads}", np.array([0, 0, heads + kv_heads, head_size], np.int64))], [p + "qk_heads"])
        mk("Transpose", [p + "qk_heads"], [p + "qk_bnsh"], perm=[0, 2, 1, 3])
        mk("Split", [p + "qk_bnsh", const(f"gqa_const_split_{heads}_{kv_heads}", np.array([heads, kv_heads], np.int64))],
           [p + "q", p + "k"], axis=1)
        # Query heads h = kv * group + g read key/value head kv: [B, kv, group * S, D], rows in (g, s) order.
        mk("Reshape", [p + "q", const(f"gqa_const_groups_{kv_heads}", np.array([0, kv_heads, -1, head_size], np.int64))], [p + "q_groups"])
        mk("Reshape", [p + "v", const(f"gqa_const_bshd_{kv_heads}", np.array([0, 0, kv_heads, head_size], np.int64))], [p + "v_heads"])
        mk("Transpose", [p + "v_heads"], [p + "v_bnsh"], perm=[0, 2, 1, 3])
        k_new, v_new = p + "k", p + "v_bnsh"
        if cache_type != TensorProto.FLOAT:
            mk("Cast", [k_new], [p + "k_cache_type"], to=cache_type)
            mk("Cast", [v_new], [p + "v_cache_type"], to=cache_type)
            k_new, v_new = p + "k_cache_type", p + "v_cache_type"
        mk("Concat", [past_key, k_new], [node.output[1]], axis=2)
        mk("Concat", [past_value, v_new], [node.output[2]], axis=2)
        keys, values = node.output[1], node.output[2]
        if cache_type != TensorProto.FLOAT:
            mk("Cast", [keys], [p + "keys"], to=TensorProto.FLOAT)
            mk("Cast", [values], [p + "values"], to=TensorProto.FLOAT)
            keys, values = p + "keys", p + "values"
        mk("FusedMatMul", [p + "q_groups", keys], [p + "scores"], domain=MS, transA=0, transB=1, alpha=float(scale))
        mk("Add", [p + "scores", shared["mask"]], [p + "masked"])
        mk("Softmax", [p + "masked"], [p + "probs"], axis=-1)
        mk("MatMul", [p + "probs", values], [p + "context"])
        mk("Reshape", [p + "context", const(f"gqa_const_heads_{heads}", np.array([0, heads, -1, head_size], np.int64))], [p + "context_heads"])
        mk("Transpose", [p + "context_heads"], [p + "context_bshd"], perm=[0, 2, 1, 3])
        mk("Reshape", [p + "context_bshd", const("gqa_const_merge", np.array([0, 0, -1], np.int64))], [final])

    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(new_inits)
    used = {i for n in graph.node for i in n.input}
    for t in list(graph.initializer):
        if t.name not in used:
            graph.initializer.remove(t)
    produced = {o for n in graph.node for o in n.output} | {v.name for v in graph.input}
    for v in list(graph.value_info):
        if v.name not in produced:
            graph.value_info.remove(v)
    if not any(o.domain == MS for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(MS, 1))
    return len(gqas)


def main():
    src = sys.argv[1]
    dst = sys.argv[2] if len(sys.argv) > 2 else src
    model = load(src)
    try:
        count = decompose_gqa(model)
    except Refused as e:
        sys.exit(f"{src}: left unchanged: {e}")
    if count == 0:
        sys.exit(f"{src}: left unchanged: it has no GroupQueryAttention node")
    save(model, dst)
    print(f"{dst}: {count} GroupQueryAttention nodes decomposed")


if __name__ == "__main__":
    main()
