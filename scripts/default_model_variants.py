"""fp32 and int8 ONNX variants of the shipped 4-bit default model, so `npm run bench -- runtime` can time every
variant on this CPU: the release keeps no fp32 checkpoint here, and its fp32 file (139 MB) is too big to bring
back from the GPU box.

fp32 (`onnx/model.onnx`): every MatMulNBits becomes a MatMul with its dequantized weight and the embedding's
GatherBlockQuantized a Gather of its dequantized table, so it computes exactly what the 4-bit weights encode
(in fp32 instead of with int8 activations). int8 (`onnx/model_int8.onnx`): training/quantize_onnx.py's int8 format
(per-column symmetric weights, activations quantized per call) made from that fp32 file. Same graph otherwise
(fused GroupQueryAttention, packed QKV, rotary tables), same inputs and outputs.

    /usr/bin/python3 scripts/default_model_variants.py models/default/target/onnx/model_q4.onnx bench/models/locus-target/onnx
"""
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "gguf"))
sys.path.insert(0, os.path.join(HERE, "..", "training"))
from dequantize_q4_onnx import INT4, UINT4, dequant_gather, dequant_matmulnbits  # noqa: E402
import quantize_onnx  # noqa: E402


def to_fp32(model):
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    nodes, new_inits, dropped = [], [], set()
    for node in graph.node:
        if node.op_type == "MatMulNBits":
            if len(node.input) > 5 and node.input[5]:
                raise SystemExit(f"{node.name}: MatMulNBits with a bias is not handled")
            w = dequant_matmulnbits(node, inits)  # [N, K]
            name = node.input[1] + "_fp32"
            new_inits.append(numpy_helper.from_array(np.ascontiguousarray(w.T).astype(np.float32), name))
            nodes.append(helper.make_node("MatMul", [node.input[0], name], list(node.output), name=node.name))
            dropped.update(i for i in node.input[1:] if i)
        elif node.op_type == "GatherBlockQuantized":
            data = inits[node.input[0]]
            vocab, width = data.dims
            # uint8 tables hold two 4-bit values per byte; INT4/UINT4 tables are [V, H] as declared.
            hidden = width if data.data_type in (INT4, UINT4) else 2 * width
            table = dequant_gather(node, inits, vocab, hidden)
            name = node.input[0] + "_fp32"
            new_inits.append(numpy_helper.from_array(table.astype(np.float32), name))
            nodes.append(helper.make_node("Gather", [name, node.input[1]], list(node.output), name=node.name, axis=0))
            dropped.update(i for i in (node.input[0], *node.input[2:]) if i)
        else:
            nodes.append(node)
    still_used = {i for n in nodes for i in n.input}
    kept = [t for t in graph.initializer if t.name not in dropped or t.name in still_used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + new_inits)
    return model


def main():
    src, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    fp32 = to_fp32(onnx.load(src))
    fp32_path = os.path.join(out_dir, "model.onnx")
    quantize_onnx.save(fp32, fp32_path)
    quantize_onnx.quantize_file(fp32_path, "int8", os.path.join(out_dir, "model_int8.onnx"))


if __name__ == "__main__":
    main()
