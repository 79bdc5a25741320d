"""Weight quantizer for decoder ONNX models that needs only `onnx` and `numpy` (no onnxruntime Python package),
so it runs on the CPU dev machine and on the GPU box alike. It emits the formats onnxruntime's CPU kernels run:

  int8  Every MatMul whose B is a constant 2-D initializer becomes what `quantize_dynamic(weight_type=QInt8)`
        emits: DynamicQuantizeLinear(A) -> MatMulInteger(A_q, B_q, A_zp, B_zp) -> Cast(float) -> Mul(A_scale * B_scale).
        B is symmetric int8 (zero point 0), per column by default (`--per-tensor` for one scale, ORT's default);
        ORT fuses the chain into DynamicQuantizeMatMul at load time either way. The embedding Gather becomes
        Gather(int8 table) -> DequantizeLinear(per-tensor scale), as ORT's GatherQuant does.
  q4    Every such MatMul becomes com.microsoft.MatMulNBits (bits 4, block_size 32, symmetric: no zero_points input,
        the kernel's default zero point 8, accuracy_level 4 = int8 compute of A). B is packed uint8
        [N, K/block, block/2] (low nibble = even k), scales float [N * K/block]. The embedding Gather becomes
        com.microsoft.GatherBlockQuantized (uint8 data [V, H/2] with MatMulNBits' nibble convention, scales
        [V, H/block], gather_axis 0, quantize_axis 1) unless `--no-gather`.

Input and output names, the I/O signature and every other node are unchanged. Tied embeddings are not
handled specially: a tied lm_head exported as MatMul(h, Transpose(E)) has no constant B and stays fp32, so
export untied models (see ../shared/research/runtime.md section 3.2).

    python3 training/quantize_onnx.py <model dir>/onnx/model.onnx            # writes model_int8.onnx, model_q4.onnx
    python3 training/quantize_onnx.py model.onnx --formats q4 --block-size 32 --no-gather
"""
import argparse
import os
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MS_DOMAIN = "com.microsoft"
# Above this many bytes of initializers a file is written with external data (protobuf's limit is 2 GiB).
EXTERNAL_DATA_THRESHOLD = 1_800_000_000


def _initializers(graph):
    return {t.name: t for t in graph.initializer}


def _uses(graph):
    counts = {}
    for node in graph.node:
        for name in node.input:
            counts[name] = counts.get(name, 0) + 1
    for out in graph.output:
        counts[out.name] = counts.get(out.name, 0) + 1
    return counts


def _const_matmuls(graph, inits):
    """MatMul nodes whose B is a float 2-D initializer (the weights of nn.Linear layers and the lm_head)."""
    found = []
    for i, node in enumerate(graph.node):
        if node.op_type != "MatMul" or node.domain not in ("", "ai.onnx"):
            continue
        b = inits.get(node.input[1])
        if b is not None and b.data_type == TensorProto.FLOAT and len(b.dims) == 2:
            found.append((i, node))
    return found


def _embedding_gathers(graph, inits):
    """Gather nodes reading rows (axis 0) of a float 2-D initializer: the token embedding."""
    found = []
    for i, node in enumerate(graph.node):
        if node.op_type != "Gather" or node.domain not in ("", "ai.onnx"):
            continue
        axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
        t = inits.get(node.input[0])
        if axis == 0 and t is not None and t.data_type == TensorProto.FLOAT and len(t.dims) == 2:
            found.append((i, node))
    return found


# ---------------------------------------------------------------------------------------------- int8

def quantize_int8_symmetric(w, per_column):
    """w [K, N] float -> (q int8 [K, N], scale float [N] or scalar). Symmetric, range [-127, 127] like ORT's QInt8."""
    absmax = np.abs(w).max(axis=0) if per_column else np.abs(w).max()
    scale = (absmax / 127.0).astype(np.float32)
    scale = np.where(scale == 0, np.float32(1.0), scale).astype(np.float32)
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    return q, scale


def to_int8(model, per_column=True, gather=True, log=print):
    graph = model.graph
    inits = _initializers(graph)
    uses = _uses(graph)
    new_nodes = {}  # index of the original node -> replacement nodes
    new_inits = []
    dropped = set()
    quantized_inputs = {}  # activation name -> (q, scale, zp): one DynamicQuantizeLinear per activation, as ORT does

    for index, node in _const_matmuls(graph, inits):
        a, b_name = node.input[0], node.input[1]
        out = node.output[0]
        base = node.name or out
        w = numpy_helper.to_array(inits[b_name]).astype(np.float32)
        q, scale = quantize_int8_symmetric(w, per_column)
        zp = np.zeros(scale.shape, dtype=np.int8)
        new_inits += [numpy_helper.from_array(q, b_name + "_quantized"),
                      numpy_helper.from_array(np.asarray(scale, np.float32), b_name + "_scale"),
                      numpy_helper.from_array(zp, b_name + "_zero_point")]
        nodes = []
        if a not in quantized_inputs:
            quantized_inputs[a] = (a + "_quantized", a + "_scale", a + "_zero_point")
            nodes.append(helper.make_node("DynamicQuantizeLinear", [a], list(quantized_inputs[a]),
                                          name=a + "_QuantizeLinear"))
        a_q, a_scale, a_zp = quantized_inputs[a]
        nodes += [
            helper.make_node("MatMulInteger", [a_q, b_name + "_quantized", a_zp, b_name + "_zero_point"],
                             [out + "_output_quantized"], name=base + "_quant"),
            helper.make_node("Cast", [out + "_output_quantized"], [out + "_output_quantized_cast_output"],
                             to=TensorProto.FLOAT, name=out + "_output_quantized_cast"),
            helper.make_node("Mul", [a_scale, b_name + "_scale"], [base + "_scales_mul:0"],
                             name=base + "_scales_mul"),
            helper.make_node("Mul", [out + "_output_quantized_cast_output", base + "_scales_mul:0"], [out],
                             name=base + "_output_scale_mul"),
        ]
        new_nodes[index] = nodes
        if uses.get(b_name, 0) == 1:
            dropped.add(b_name)

    if gather:
        for index, node in _embedding_gathers(graph, inits):
            name = node.input[0]
            table = numpy_helper.to_array(inits[name]).astype(np.float32)
            q, scale = quantize_int8_symmetric(table, per_column=False)
            new_inits += [numpy_helper.from_array(q, name + "_quantized"),
                          numpy_helper.from_array(np.asarray(scale, np.float32), name + "_scale"),
                          numpy_helper.from_array(np.zeros((), np.int8), name + "_zero_point")]
            out = node.output[0]
            new_nodes[index] = [
                helper.make_node("Gather", [name + "_quantized", node.input[1]], [out + "_output_quantized"],
                                 axis=0, name=(node.name or out) + "_quant"),
                helper.make_node("DequantizeLinear", [out + "_output_quantized", name + "_scale", name + "_zero_point"],
                                 [out], name=(node.name or out) + "_DequantizeLinear"),
            ]
            if uses.get(name, 0) == 1:
                dropped.add(name)

    _rewrite(graph, new_nodes, new_inits, dropped)
    log(f"int8: {sum(1 for v in new_nodes.values() if v[-1].op_type == 'Mul')} MatMul -> MatMulInteger, "
        f"{sum(1 for v in new_nodes.values() if v[-1].op_type == 'DequantizeLinear')} Gather -> int8, "
        f"{len(quantized_inputs)} DynamicQuantizeLinear")
    return model


# ------------------------------------------------------------------------------------------------ q4

def quantize_blockwise_4bit(w_nk, block_size):
    """w_nk [N, K] float (blocks run along K) -> (packed uint8 [N, K/block, block/2], scales float [N, K/block]).
    Symmetric like MLAS: scale = (value with the largest magnitude) / -8, q = clip(round(w / scale) + 8, 0, 15),
    so the block's extreme maps exactly to code 0 and the kernel's default zero point 8 applies."""
    n, k = w_nk.shape
    pad = (-k) % block_size
    if pad:
        w_nk = np.concatenate([w_nk, np.zeros((n, pad), np.float32)], axis=1)
    blocks = w_nk.reshape(n, -1, block_size)
    idx = np.abs(blocks).argmax(axis=2)
    extreme = np.take_along_axis(blocks, idx[..., None], axis=2)[..., 0]
    scales = (extreme / -8.0).astype(np.float32)
    inv = np.where(scales == 0, np.float32(0), 1.0 / np.where(scales == 0, 1, scales)).astype(np.float32)
    q = np.clip(np.rint(blocks * inv[..., None]) + 8, 0, 15).astype(np.uint8)
    packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
    return packed, scales


def dequantize_blockwise_4bit(packed, scales, k):
    """Inverse of quantize_blockwise_4bit (for tests): -> [N, K] float."""
    q = np.empty(packed.shape[:-1] + (packed.shape[-1] * 2,), np.float32)
    q[..., 0::2] = packed & 0x0F
    q[..., 1::2] = packed >> 4
    w = (q - 8) * scales[..., None]
    return w.reshape(packed.shape[0], -1)[:, :k]


def to_q4(model, block_size=32, accuracy_level=4, gather=True, float_head=False, log=print):
    """float_head: leave the output layer (the MatMul with the widest output, the vocabulary) in fp32, as ORT's
    quantizers leave a tied lm_head (no constant weight to quantize): for benchmarks of such exports."""
    graph = model.graph
    inits = _initializers(graph)
    uses = _uses(graph)
    new_nodes, new_inits, dropped = {}, [], set()
    n_matmul = n_gather = 0

    matmuls = _const_matmuls(graph, inits)
    if float_head and matmuls:
        head = max(matmuls, key=lambda found: inits[found[1].input[1]].dims[1])
        matmuls = [m for m in matmuls if m is not head]
        log(f"q4: leaving the output layer {head[1].name or head[1].output[0]} in fp32")
    for index, node in matmuls:
        b_name = node.input[1]
        w = numpy_helper.to_array(inits[b_name]).astype(np.float32)  # [K, N]
        k, n = w.shape
        packed, scales = quantize_blockwise_4bit(np.ascontiguousarray(w.T), block_size)
        new_inits += [numpy_helper.from_array(packed, b_name + "_Q4"),
                      numpy_helper.from_array(scales.reshape(-1), b_name + "_scales")]
        new_nodes[index] = [helper.make_node(
            "MatMulNBits", [node.input[0], b_name + "_Q4", b_name + "_scales"], list(node.output),
            name=(node.name or node.output[0]) + "_Q4", domain=MS_DOMAIN,
            K=k, N=n, bits=4, block_size=block_size, accuracy_level=accuracy_level)]
        n_matmul += 1
        if uses.get(b_name, 0) == 1:
            dropped.add(b_name)

    if gather:
        for index, node in _embedding_gathers(graph, inits):
            name = node.input[0]
            table = numpy_helper.to_array(inits[name]).astype(np.float32)  # [V, H]: blocks run along H
            if table.shape[1] % block_size:
                log(f"q4: skipping Gather {name}: hidden {table.shape[1]} is not a multiple of {block_size}")
                continue
            packed, scales = quantize_blockwise_4bit(table, block_size)
            new_inits += [numpy_helper.from_array(packed.reshape(table.shape[0], -1), name + "_Q4"),
                          numpy_helper.from_array(scales, name + "_scales")]
            new_nodes[index] = [helper.make_node(
                "GatherBlockQuantized", [name + "_Q4", node.input[1], name + "_scales"], list(node.output),
                name=(node.name or node.output[0]) + "_Q4", domain=MS_DOMAIN,
                gather_axis=0, quantize_axis=1, block_size=block_size, bits=4)]
            n_gather += 1
            if uses.get(name, 0) == 1:
                dropped.add(name)

    _rewrite(graph, new_nodes, new_inits, dropped)
    if not any(o.domain == MS_DOMAIN for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(MS_DOMAIN, 1))
    log(f"q4: {n_matmul} MatMul -> MatMulNBits (block {block_size}, accuracy_level {accuracy_level}), "
        f"{n_gather} Gather -> GatherBlockQuantized")
    return model


# ------------------------------------------------------------------------------------------- plumbing

def _rewrite(graph, new_nodes, new_inits, dropped):
    nodes = []
    for i, node in enumerate(graph.node):
        nodes += new_nodes.get(i, [node])
    del graph.node[:]
    graph.node.extend(nodes)
    kept = [t for t in graph.initializer if t.name not in dropped]
    del graph.initializer[:]
    graph.initializer.extend(kept + new_inits)
    kept_vi = [v for v in graph.value_info if v.name not in dropped]
    del graph.value_info[:]
    graph.value_info.extend(kept_vi)


def _initializer_bytes(model):
    return sum(len(t.raw_data) if t.HasField("raw_data") else numpy_helper.to_array(t).nbytes
               for t in model.graph.initializer)


def save(model, path, log=print):
    """Single file under the protobuf limit; otherwise `<file>_data` next to it (transformers.js's naming)."""
    size = _initializer_bytes(model)
    data_name = os.path.basename(path) + "_data"
    data_path = os.path.join(os.path.dirname(path), data_name)
    if os.path.exists(data_path):
        os.remove(data_path)
    if size > EXTERNAL_DATA_THRESHOLD:
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=data_name, size_threshold=1024)
        log(f"wrote {path} + {data_name} ({size / 1e6:.0f} MB of weights)")
    else:
        onnx.save_model(model, path)
        log(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB)")


def quantize_file(src, fmt, dst=None, block_size=32, accuracy_level=4, per_column=True, gather=True, log=print):
    t0 = time.time()
    dst = dst or os.path.join(os.path.dirname(src), {"int8": "model_int8.onnx", "q4": "model_q4.onnx"}[fmt])
    model = onnx.load(src)  # also loads `<src>_data` when the model uses external data
    if fmt == "int8":
        model = to_int8(model, per_column=per_column, gather=gather, log=log)
    elif fmt == "q4":
        model = to_q4(model, block_size=block_size, accuracy_level=accuracy_level, gather=gather, log=log)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    save(model, dst, log=log)
    log(f"{fmt}: {time.time() - t0:.1f}s")
    return dst


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src", help="fp32 ONNX decoder (onnx/model.onnx)")
    ap.add_argument("--formats", nargs="+", default=["int8", "q4"], choices=["int8", "q4"])
    ap.add_argument("--out-dir", help="default: the source file's folder")
    ap.add_argument("--block-size", type=int, default=32)
    ap.add_argument("--accuracy-level", type=int, default=4)
    ap.add_argument("--per-tensor", action="store_true", help="int8: one scale per weight (ORT's default)")
    ap.add_argument("--no-gather", action="store_true", help="leave the embedding Gather in fp32")
    args = ap.parse_args(argv)
    out_dir = args.out_dir or os.path.dirname(os.path.abspath(args.src))
    for fmt in args.formats:
        dst = os.path.join(out_dir, {"int8": "model_int8.onnx", "q4": "model_q4.onnx"}[fmt])
        quantize_file(args.src, fmt, dst, block_size=args.block_size, accuracy_level=args.accuracy_level,
                      per_column=not args.per_tensor, gather=not args.no_gather)


if __name__ == "__main__":
    sys.exit(main())
