// Rewrites a 4-bit ONNX decoder (MatMulNBits) into an 8-bit one for long prompt prefills: each MatMulNBits
// becomes a DynamicQuantizeMatMul over the same weights, dequantized and re-quantized to int8 per output column.
// On this project's 2-core AVX-512 machine ORT's int8 GEMM prefills ~2x faster than its 4-bit kernel at the same
// decode speed (bench/results/runtime-*.md), while the 30 MiB release can only ship 4-bit: so the runtime builds
// the 8-bit copy in memory at load. Pure bytes-to-bytes: no ORT here (ortBackend.ts makes the session).
import { onnx } from 'onnx-proto';

const MS_DOMAIN = 'com.microsoft';

export interface Int8PrefillModel {
  bytes: Uint8Array;
  /**
   * MatMulNBits nodes rewritten. Those with a zero-point input or other bit widths stay as they are, and so does
   * the output layer: a prefill computes it for one row only, so int8 would buy no time there, and the first
   * generated token keeps the 4-bit file's finer activation quantization.
   */
  converted: number;
}

function attribute(node: onnx.INodeProto, name: string): number | undefined {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? undefined : Number(a.i);
}

function floats(t: onnx.ITensorProto): Float32Array {
  if (t.rawData && t.rawData.length > 0) {
    const raw = t.rawData;
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(t.floatData ?? []);
}

/**
 * Weight [K, N] of a 4-bit MatMulNBits (B uint8 [N, K/block, block/2], low nibble first, implicit zero point 8,
 * scales [N * K/block]) re-quantized to symmetric int8 per output column.
 */
export function requantizeInt8(packed: Uint8Array, scales: Float32Array, k: number, n: number, block: number): { weights: Int8Array; columnScales: Float32Array } {
  const blocks = Math.ceil(k / block);
  const rowBytes = blocks * (block / 2);
  const weights = new Int8Array(k * n);
  const columnScales = new Float32Array(n);
  const column = new Float32Array(k);
  for (let col = 0; col < n; col++) {
    let max = 0;
    for (let i = 0; i < k; i++) {
      // Blocks are stored back to back, so element i of a column sits in byte i / 2 of its row.
      const byte = packed[col * rowBytes + (i >> 1)]!;
      const q = i & 1 ? byte >> 4 : byte & 0x0f;
      const w = (q - 8) * scales[col * blocks + Math.floor(i / block)]!;
      column[i] = w;
      if (Math.abs(w) > max) max = Math.abs(w);
    }
    const scale = max > 0 ? max / 127 : 1;
    columnScales[col] = scale;
    for (let i = 0; i < k; i++) weights[i * n + col] = Math.max(-127, Math.min(127, Math.round(column[i]! / scale)));
  }
  return { weights, columnScales };
}

/** A MatMulNBits node this rewrites: its activation input, 4-bit weight and scale names, and shape. */
export interface ConvertibleNode {
  a: string;
  weight: string;
  scales: string;
  k: number;
  n: number;
  block: number;
}

/**
 * What a 4-bit MatMulNBits node reads, or undefined for nodes kept as they are: other ops, other bit widths, a
 * zero-point input, odd blocks, and those producing a graph output (the output layer, see Int8PrefillModel).
 * The caller still checks that the weights are the sizes these say.
 */
export function convertibleNode(node: onnx.INodeProto, graphOutputs: Set<string>): ConvertibleNode | undefined {
  if (node.opType !== 'MatMulNBits' || node.domain !== MS_DOMAIN || node.output?.some((o) => graphOutputs.has(o))) return undefined;
  const [a, weight, scales, zeroPoint] = node.input ?? [];
  const k = attribute(node, 'K');
  const n = attribute(node, 'N');
  const block = attribute(node, 'block_size');
  if ((attribute(node, 'bits') ?? 4) !== 4 || zeroPoint || (node.input?.length ?? 0) > 3 || !a || !weight || !scales || !k || !n || !block || block % 2 !== 0) return undefined;
  return { a, weight, scales, k, n, block };
}

/** Bytes of a convertible node's packed 4-bit weight. */
export function packedWeightBytes({ k, n, block }: ConvertibleNode): number {
  return n * Math.ceil(k / block) * (block / 2);
}

/** The node that replaces a converted one: the same input and output over the 8-bit weight and its column scales. */
export function int8MatMulNode(node: onnx.INodeProto, c: ConvertibleNode): onnx.NodeProto {
  return onnx.NodeProto.create({ name: node.name, opType: 'DynamicQuantizeMatMul', domain: MS_DOMAIN, input: [c.a, int8WeightName(c), int8ScaleName(c)], output: node.output });
}

export const int8WeightName = (c: ConvertibleNode) => `${c.weight}_int8`;
export const int8ScaleName = (c: ConvertibleNode) => `${c.weight}_int8_scale`;

/** The 8-bit copy of `q4Bytes`, or undefined when the graph has no 4-bit MatMulNBits to rewrite. */
export function int8PrefillModel(q4Bytes: Uint8Array): Int8PrefillModel | undefined {
  const model = onnx.ModelProto.decode(q4Bytes);
  const graph = model.graph;
  // Weights in an external file cannot travel with the in-memory copy; local functions could carry fields this
  // schema (ONNX IR 8) does not know and would drop on re-encoding.
  if (!graph?.node || !graph.initializer || (model.functions?.length ?? 0) > 0) return undefined;
  if (graph.initializer.some((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)) return undefined;
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const initializers = new Map(graph.initializer.map((t) => [t.name ?? '', t]));
  const replaced = new Set<string>();
  const added: onnx.ITensorProto[] = [];
  let converted = 0;
  graph.node = graph.node.map((node) => {
    const c = convertibleNode(node, graphOutputs);
    if (!c) return node;
    const b = initializers.get(c.weight);
    const s = initializers.get(c.scales);
    if (b?.rawData?.length !== packedWeightBytes(c) || s?.dataType !== onnx.TensorProto.DataType.FLOAT) return node;
    const { weights, columnScales } = requantizeInt8(b.rawData, floats(s!), c.k, c.n, c.block);
    added.push(
      onnx.TensorProto.create({ name: int8WeightName(c), dims: [c.k, c.n], dataType: onnx.TensorProto.DataType.INT8, rawData: new Uint8Array(weights.buffer) }),
      onnx.TensorProto.create({ name: int8ScaleName(c), dims: [c.n], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(columnScales.buffer) }),
    );
    replaced.add(c.weight).add(c.scales);
    converted++;
    return int8MatMulNode(node, c);
  });
  if (converted === 0) return undefined;
  const stillUsed = new Set(graph.node.flatMap((node) => node.input ?? []));
  graph.initializer = [...graph.initializer.filter((t) => !replaced.has(t.name ?? '') || stillUsed.has(t.name ?? '')), ...added];
  return { bytes: onnx.ModelProto.encode(model).finish(), converted };
}
