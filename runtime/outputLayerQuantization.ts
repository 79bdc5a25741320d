// Quantizes to 4 bits the output layer a 4-bit export left in float32. 4-bit quantizers (transformers.js's, onnxruntime's)
// only reach matrix products with a constant weight, and an export of a tied model (Qwen2.5-Coder-0.5B) multiplies by
// the transposed embedding table, so its model_q4.onnx reads the 545 MB float32 table for every token: over two
// thirds of what a decode step reads (545 of 773 MB on the 0.5B-shaped model built so). Here the product becomes
// a MatMulNBits (4-bit blocks of 32 along the hidden size, int8 compute), quantized as training/quantize_onnx.py
// quantizes our own files (symmetric, the block's extreme at code 0, zero point 8), so the layer reads ~85 MB; the
// embedding lookup keeps the table. On the 0.5B-shaped model built so, Locus then decoded 1.58-1.84x faster than
// transformers.js on the same file (bench/results/runtime-2026-12-05-qwen05-float-head.md), and `auto` keeps the
// 4-bit file over the 8-bit one (file-choice-qwen05-float-head-prepared-2026-12-05.md). Planned from the graph's
// skeleton; the weights are read and quantized only as the copy is written (LazyBytes).
import { onnx } from 'onnx-proto';
import { tensorField } from './int8PrefillModel';
import { type ByteSource, type GraphSkeleton, type InitializerSize, type LazyBytes } from './onnxSkeleton';

const MS_DOMAIN = 'com.microsoft';
const BLOCK = 32;
const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;
/** Columns of an untied [K, N] weight transposed and quantized at a time. */
const COLUMNS_PER_CHUNK = 1024;

export interface OutputLayerQuantization {
  /** The graph with the product as MatMulNBits and its new weights listed (for the edits planned after this one). */
  skeleton: GraphSkeleton;
  /** The product's node index (its field gets the new node). */
  product: number;
  /** A Transpose of a tied table that only the product read: its field goes. */
  dropped?: number;
  /** The embedding lookup of a tied table, made a 4-bit GatherBlockQuantized so that the table goes: its node and new form. */
  lookup?: { at: number; node: onnx.NodeProto };
  /** The new weights' initializer fields, quantized when written. */
  appended: LazyBytes;
  /** The float32 weight's field, where nothing else reads it any more (an untied output layer). */
  droppedWeight?: { start: number; end: number };
  /** Bytes of weights the layer reads per pass, as exported (float32) and quantized. */
  readBytes: { float32: number; quantized: number };
}

interface FloatWeight {
  weight: InitializerSize;
  /** Whether it is stored [N, K] (a tied table, read transposed) rather than [K, N]. */
  rowsAreOutputs: boolean;
  transpose?: number;
}

const isDefault = (n: onnx.INodeProto) => (n.domain ?? '') === '' || n.domain === 'ai.onnx';

/** The float32 weight the node producing `logits` multiplies by, where it is one (a MatMul on a constant, or on the transposed table). */
function floatHead(skeleton: GraphSkeleton): { product: number; k: number; n: number; float: FloatWeight } | undefined {
  // Only in a 4-bit file: a float32 model's output layer is float32 on purpose.
  if (!skeleton.nodes.some((n) => n.opType === 'MatMulNBits' && n.domain === MS_DOMAIN)) return undefined;
  const product = skeleton.nodes.findIndex((n) => n.output.includes('logits'));
  const node = skeleton.nodes[product];
  if (!node || node.opType !== 'MatMul' || !isDefault(node) || node.output[0] !== 'logits') return undefined;
  const initializers = new Map(skeleton.initializers.map((w) => [w.name, w]));
  const readers = (name: string) => skeleton.nodes.filter((n) => n.input.includes(name)).length;
  const usable = (w: InitializerSize | undefined) => w && w.dataType === DataType.FLOAT && w.dims.length === 2 && w.raw !== undefined && w.raw.length === 4 * w.dims[0]! * w.dims[1]!;
  const direct = initializers.get(node.input[1]!);
  let float: FloatWeight | undefined;
  if (usable(direct)) float = { weight: direct!, rowsAreOutputs: false };
  else {
    const transpose = skeleton.nodes.findIndex((n) => n.output[0] === node.input[1]);
    const t = skeleton.nodes[transpose];
    const perm = t?.attribute.find((a) => a.name === 'perm');
    const table = t && initializers.get(t.input[0]!);
    const swaps = perm === undefined || (perm.ints?.length === 2 && Number(perm.ints[0]) === 1 && Number(perm.ints[1]) === 0);
    if (t && t.opType === 'Transpose' && isDefault(t) && swaps && usable(table) && readers(t.output[0]!) === 1) float = { weight: table!, rowsAreOutputs: true, transpose };
  }
  if (!float) return undefined;
  const [rows, cols] = float.weight.dims as [number, number];
  const [k, n] = float.rowsAreOutputs ? [cols, rows] : [rows, cols];
  if (k % BLOCK !== 0) return undefined;
  return { product, k, n, float };
}

/** The 4-bit code of `x` (already divided by the scale): rounded half to even as numpy's rint, plus 8, clipped. */
function code(x: number): number {
  let r = Math.round(x);
  if (r - x === 0.5 && (r & 1) !== 0) r -= 1;
  r += 8;
  return r < 0 ? 0 : r > 15 ? 15 : r;
}

/**
 * One output's K weights as 4-bit blocks (16 bytes each) into `packed` at `packedAt`, their scales into `scales` at
 * `scaleAt`: quantize_onnx.quantize_blockwise_4bit, value for value.
 */
export function quantizeRow(w: Float32Array, packed: Uint8Array, packedAt: number, scales: Float32Array, scaleAt: number): void {
  const blocks = w.length / BLOCK;
  for (let b = 0; b < blocks; b++) {
    const from = b * BLOCK;
    // The first value of the largest magnitude, as numpy's argmax takes it.
    let extreme = 0;
    let largest = 0;
    for (let i = from; i < from + BLOCK; i++) {
      const m = Math.abs(w[i]!);
      if (m > largest) [largest, extreme] = [m, w[i]!];
    }
    const scale = Math.fround(extreme / -8);
    const inverse = scale === 0 ? 0 : Math.fround(1 / scale);
    scales[scaleAt + b] = scale;
    const out = packedAt + b * (BLOCK / 2);
    for (let i = 0; i < BLOCK; i += 2) packed[out + i / 2] = code(Math.fround(w[from + i]! * inverse)) | (code(Math.fround(w[from + i + 1]! * inverse)) << 4);
  }
}

/** The packed 4-bit weights [N, K/32, 16] and scales [N * K/32] of the float32 weight, read from `source`. */
function quantized(source: ByteSource, float: FloatWeight, k: number, n: number): { packed: Uint8Array; scales: Float32Array } {
  const blocks = k / BLOCK;
  const packed = new Uint8Array(n * blocks * (BLOCK / 2));
  const scales = new Float32Array(n * blocks);
  const { offset } = float.weight.raw!;
  const row = new Float32Array(k);
  if (float.rowsAreOutputs) {
    // A table [N, K]: each output's weights lie together.
    for (let j = 0; j < n; j++) {
      source.copyTo(new Uint8Array(row.buffer), 0, offset + 4 * j * k, 4 * k);
      quantizeRow(row, packed, j * blocks * (BLOCK / 2), scales, j * blocks);
    }
    return { packed, scales };
  }
  // [K, N]: a chunk of columns at a time, transposed.
  const chunk = new Float32Array(k * COLUMNS_PER_CHUNK);
  for (let from = 0; from < n; from += COLUMNS_PER_CHUNK) {
    const width = Math.min(COLUMNS_PER_CHUNK, n - from);
    for (let r = 0; r < k; r++) source.copyTo(new Uint8Array(chunk.buffer, 4 * r * COLUMNS_PER_CHUNK, 4 * width), 0, offset + 4 * (r * n + from), 4 * width);
    for (let c = 0; c < width; c++) {
      for (let r = 0; r < k; r++) row[r] = chunk[r * COLUMNS_PER_CHUNK + c]!;
      quantizeRow(row, packed, (from + c) * blocks * (BLOCK / 2), scales, (from + c) * blocks);
    }
  }
  return { packed, scales };
}

const PREFIX = 'locus_output_layer_q4/';
const attr = (name: string, i: number) => onnx.AttributeProto.create({ name, type: AttributeType.INT, i });

/**
 * The embedding lookup that gathers rows of the tied table `table` (default-domain Gather on axis 0), where it and the
 * output layer's Transpose are all that read the table: made 4-bit, the lookup lets the float32 table go (as
 * quantize_onnx.py writes our own files' lookups). Undefined otherwise: the table then stays for the lookup.
 */
function tiedLookup(skeleton: GraphSkeleton, table: string, product: number, transpose: number): number | undefined {
  const readers = skeleton.nodes.map((n, i) => (n.input.includes(table) ? i : -1)).filter((i) => i >= 0 && i !== product && i !== transpose);
  if (readers.length !== 1) return undefined;
  const gather = skeleton.nodes[readers[0]!]!;
  const axis = gather.attribute.find((a) => a.name === 'axis');
  if (gather.opType !== 'Gather' || !isDefault(gather) || gather.input[0] !== table || (axis !== undefined && Number(axis.i) !== 0)) return undefined;
  return readers[0];
}

/** The edit that makes a float32 output layer 4-bit, or undefined where the graph has none (or one this does not read). */
export function outputLayerQuantization(skeleton: GraphSkeleton): OutputLayerQuantization | undefined {
  const head = floatHead(skeleton);
  if (!head || skeleton.initializers.some((w) => w.name.startsWith(PREFIX))) return undefined;
  const { product, k, n, float } = head;
  const blocks = k / BLOCK;
  const weightName = `${PREFIX}weight`;
  const scaleName = `${PREFIX}scales`;
  const lookup = float.transpose === undefined ? undefined : tiedLookup(skeleton, float.weight.name, product, float.transpose);
  const w = tensorField(weightName, [n, blocks, BLOCK / 2], DataType.UINT8, n * blocks * (BLOCK / 2));
  const s = tensorField(scaleName, [n * blocks], DataType.FLOAT, 4 * n * blocks);
  // The lookup's copy of the same codes and scales, in GatherBlockQuantized's shapes ([N, K/2] and [N, K/32]).
  const lw = tensorField(`${PREFIX}lookup_weight`, [n, k / 2], DataType.UINT8, n * blocks * (BLOCK / 2));
  const ls = tensorField(`${PREFIX}lookup_scales`, [n, blocks], DataType.FLOAT, 4 * n * blocks);
  const fields = lookup === undefined ? [w, s] : [w, s, lw, ls];
  const appended: LazyBytes = {
    length: fields.reduce((sum, f) => sum + f.length, 0),
    bytes(source) {
      const q = quantized(source, float, k, n);
      const scaleBytes = new Uint8Array(q.scales.buffer);
      const parts = [w.bytes(q.packed), s.bytes(scaleBytes), ...(lookup === undefined ? [] : [lw.bytes(q.packed), ls.bytes(scaleBytes)])];
      const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    },
  };
  const old = skeleton.nodes[product]!;
  const node = onnx.NodeProto.create({
    name: `${PREFIX}${old.name || 'product'}`,
    opType: 'MatMulNBits',
    domain: MS_DOMAIN,
    input: [old.input[0]!, weightName, scaleName],
    output: [...old.output],
    attribute: [attr('K', k), attr('N', n), attr('bits', 4), attr('block_size', BLOCK), attr('accuracy_level', 4)],
  });
  const nodes = [...skeleton.nodes];
  nodes[product] = node;
  const lookupNode =
    lookup === undefined
      ? undefined
      : onnx.NodeProto.create({
          name: `${PREFIX}lookup`,
          opType: 'GatherBlockQuantized',
          domain: MS_DOMAIN,
          input: [`${PREFIX}lookup_weight`, skeleton.nodes[lookup]!.input[1]!, `${PREFIX}lookup_scales`],
          output: [...skeleton.nodes[lookup]!.output],
          attribute: [attr('gather_axis', 0), attr('quantize_axis', 1), attr('block_size', BLOCK), attr('bits', 4)],
        });
  if (lookup !== undefined) nodes[lookup] = lookupNode!;
  const stub = (name: string, dims: number[], dataType: number): InitializerSize => ({ name, bytes: 0, dataType, dims, field: { start: -1, end: -1 } });
  const readByOthers = skeleton.nodes.some((x, i) => i !== product && i !== float.transpose && i !== lookup && x.input.includes(float.weight.name));
  const graphInput = skeleton.inputs.some((v) => v.name === float.weight.name);
  return {
    skeleton: { ...skeleton, nodes, initializers: [...skeleton.initializers, stub(weightName, [n, blocks, BLOCK / 2], DataType.UINT8), stub(scaleName, [n * blocks], DataType.FLOAT)] },
    product,
    ...(float.transpose !== undefined && { dropped: float.transpose }),
    ...(lookup !== undefined && { lookup: { at: lookup, node: lookupNode! } }),
    appended,
    ...(!readByOthers && !graphInput && { droppedWeight: float.weight.field }),
    readBytes: { float32: float.weight.bytes, quantized: n * blocks * (BLOCK / 2 + 4) },
  };
}
