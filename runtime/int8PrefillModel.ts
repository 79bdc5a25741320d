// Rewrites a 4-bit ONNX decoder (MatMulNBits) into an 8-bit one for long prompt prefills: each MatMulNBits
// becomes a DynamicQuantizeMatMul over the same weights, dequantized and re-quantized to int8 per output column.
// On this project's 2-core AVX-512 machine ORT's int8 GEMM prefills ~2x faster than its 4-bit kernel at the same
// decode speed (bench/results/runtime-*.md), while the 30 MiB release can only ship 4-bit: so the runtime builds
// the 8-bit copy in memory at load for small files, and once on disk for large ones (int8PrefillFile.ts), both from
// the plan here: the graph fields to replace, drop and add, the added weights made one at a time as they are
// written. Pure bytes-to-bytes: no ORT here (ortBackend.ts makes the session).
import { onnx } from 'onnx-proto';
import { bytesSource, encodedGraphField, graphSkeleton, hasSubgraphs, intAttribute, splicedModel, varintBytes, type ByteSource, type FieldReplacement, type GraphSkeleton, type InitializerSize, type LazyBytes } from './onnxSkeleton';

const MS_DOMAIN = 'com.microsoft';
const { DataType } = onnx.TensorProto;
/** GraphProto: node is field 1, initializer field 5; TensorProto: raw_data is field 9. */
const NODE_FIELD = 1;
const INITIALIZER_FIELD = 5;
const RAW_DATA_TAG = (9 << 3) | 2;

export interface Int8PrefillModel {
  bytes: Uint8Array;
  /**
   * MatMulNBits nodes rewritten. Those with a zero-point input or other bit widths stay as they are, and so does
   * the output layer: a prefill computes it for one row only, so int8 would buy no time there, and the first
   * generated token keeps the 4-bit file's finer activation quantization.
   */
  converted: number;
}


/** For each byte of two 4-bit values, the larger of their distances from the implicit zero point 8. */
const BYTE_MAGNITUDE = Uint8Array.from({ length: 256 }, (_, b) => Math.max(Math.abs((b & 0x0f) - 8), Math.abs((b >> 4) - 8)));
/** Output columns written together: each row of `weights` is then written in runs of this many bytes. */
const COLUMN_TILE = 32;

/**
 * Weight [K, N] of a 4-bit MatMulNBits (B uint8 [N, K/block, block/2], low nibble first, implicit zero point 8,
 * scales [N * K/block]) re-quantized to symmetric int8 per output column.
 */
export function requantizeInt8(packed: Uint8Array, scales: Float32Array, k: number, n: number, block: number): { weights: Int8Array; columnScales: Float32Array } {
  const blocks = Math.ceil(k / block);
  const half = block / 2;
  const rowBytes = blocks * half;
  const weights = new Int8Array(k * n);
  const columnScales = new Float32Array(n);
  // Each column's divisor in float64, as computed: weights divide by it before it is rounded to a float32 scale.
  const divisors = new Float64Array(n);
  for (let col = 0; col < n; col++) {
    let max = 0;
    for (let b = 0; b < blocks; b++) {
      const count = Math.min(k, (b + 1) * block) - b * block;
      const first = col * rowBytes + b * half;
      const whole = first + (count >> 1);
      let largest = 0;
      for (let j = first; j < whole; j++) if (BYTE_MAGNITUDE[packed[j]!]! > largest) largest = BYTE_MAGNITUDE[packed[j]!]!;
      if (count & 1) largest = Math.max(largest, Math.abs((packed[whole]! & 0x0f) - 8));
      // A comparison, not Math.max: a NaN scale is passed over, as the per-weight definition passes it over.
      const magnitude = largest * Math.abs(scales[col * blocks + b]!);
      if (magnitude > max) max = magnitude;
    }
    divisors[col] = max > 0 ? max / 127 : 1;
    columnScales[col] = divisors[col]!;
  }
  // A block's 4-bit values share one scale, so each of its 16 possible values maps to one int8 value: a table per
  // block and column (16 products) instead of a product per weight, with the same arithmetic (float32 weight, float64
  // divide). Columns go in tiles so that the [K, N] output is written in runs, not one byte per row.
  const table = new Int8Array(COLUMN_TILE * 16);
  for (let from = 0; from < n; from += COLUMN_TILE) {
    const to = Math.min(n, from + COLUMN_TILE);
    for (let b = 0; b < blocks; b++) {
      for (let col = from; col < to; col++) {
        const s = scales[col * blocks + b]!;
        const at = (col - from) * 16;
        for (let q = 0; q < 16; q++) table[at + q] = Math.max(-127, Math.min(127, Math.round(Math.fround((q - 8) * s) / divisors[col]!)));
      }
      const start = b * block;
      const count = Math.min(k, start + block) - start;
      for (let i = 0; i < count; i += 2) {
        const byteAt = b * half + (i >> 1);
        const low = (start + i) * n;
        const high = low + n;
        const both = i + 1 < count;
        for (let col = from, at = 0; col < to; col++, at += 16) {
          const byte = packed[col * rowBytes + byteAt]!;
          weights[low + col] = table[at + (byte & 0x0f)]!;
          if (both) weights[high + col] = table[at + (byte >> 4)]!;
        }
      }
    }
  }
  return { weights, columnScales };
}

/** A MatMulNBits node this rewrites: its activation input, 4-bit weight and scale names, and shape. */
interface ConvertibleNode {
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
function convertibleNode(node: onnx.INodeProto, graphOutputs: Set<string>): ConvertibleNode | undefined {
  if (node.opType !== 'MatMulNBits' || node.domain !== MS_DOMAIN || node.output?.some((o) => graphOutputs.has(o))) return undefined;
  const [a, weight, scales, zeroPoint] = node.input ?? [];
  const k = intAttribute(node, 'K');
  const n = intAttribute(node, 'N');
  const block = intAttribute(node, 'block_size');
  if ((intAttribute(node, 'bits') ?? 4) !== 4 || zeroPoint || (node.input?.length ?? 0) > 3 || !a || !weight || !scales || !k || !n || !block || block % 2 !== 0) return undefined;
  return { a, weight, scales, k, n, block };
}

/** Bytes of a convertible node's packed 4-bit weight. */
function packedWeightBytes({ k, n, block }: ConvertibleNode): number {
  return n * Math.ceil(k / block) * (block / 2);
}

/** The node that replaces a converted one: the same input and output over the 8-bit weight and its column scales. */
function int8MatMulNode(node: onnx.INodeProto, c: ConvertibleNode): onnx.NodeProto {
  return onnx.NodeProto.create({ name: node.name, opType: 'DynamicQuantizeMatMul', domain: MS_DOMAIN, input: [c.a, int8WeightName(c), int8ScaleName(c)], output: node.output });
}

const int8WeightName = (c: ConvertibleNode) => `${c.weight}_int8`;
const int8ScaleName = (c: ConvertibleNode) => `${c.weight}_int8_scale`;

/**
 * The 8-bit copy of `q4Bytes`, or undefined when the graph has no 4-bit MatMulNBits this can rewrite. `skeleton`: the
 * graph of `q4Bytes`, where the caller has read it already.
 */
export function int8PrefillModel(q4Bytes: Uint8Array, skeleton = graphSkeleton(bytesSource(q4Bytes))): Int8PrefillModel | undefined {
  const source = bytesSource(q4Bytes);
  const plan = skeleton && int8PrefillPlan(source, skeleton);
  if (!plan || 'skipped' in plan) return undefined;
  return { bytes: splicedModel(source, skeleton!, plan.replaced, plan.appended), converted: plan.converted };
}

/** What the rewrite changes in a graph: fields replaced (nodes) or dropped (4-bit weights), and the 8-bit weights added. */
export interface Int8PrefillPlan {
  converted: number;
  replaced: FieldReplacement[];
  appended: LazyBytes[];
}

/** The rewrite of the graph `skeleton` describes (its weights read from `source` when written), or why there is none, in words. */
export function int8PrefillPlan(source: ByteSource, skeleton: GraphSkeleton): Int8PrefillPlan | { skipped: string } {
  // Subgraphs may read any weight by name; weights in external data are not in the bytes this reads and copies.
  if (hasSubgraphs(skeleton.nodes)) return { skipped: 'its graph has subgraphs' };
  if (skeleton.initializers.some((w) => w.location !== undefined)) return { skipped: 'its weights are in external data files' };
  const graphOutputs = new Set(skeleton.outputs.map((v) => v.name));
  // Older exports list weights as graph inputs too: such a weight stays, or the session would ask for it.
  const graphInputs = new Set(skeleton.inputs.map((v) => v.name));
  const initializers = new Map(skeleton.initializers.map((w) => [w.name, w]));
  const taken = new Set([...initializers.keys(), ...skeleton.inputs.map((v) => v.name), ...skeleton.nodes.flatMap((n) => n.output)]);
  const replaced: FieldReplacement[] = [];
  const converts = new Map<string, { c: ConvertibleNode; weight: InitializerSize; scales: InitializerSize }>();
  const keptReads = new Set<string>();
  skeleton.nodes.forEach((node, i) => {
    const c = convertibleNode(node, graphOutputs);
    const weight = c && initializers.get(c.weight);
    const scales = c && initializers.get(c.scales);
    const blocks = c ? c.n * Math.ceil(c.k / c.block) : 0;
    const same = (x: ConvertibleNode) => x.k === c!.k && x.n === c!.n && x.block === c!.block && x.scales === c!.scales;
    if (!c || taken.has(int8WeightName(c)) || taken.has(int8ScaleName(c)) || weight?.raw?.length !== packedWeightBytes(c) || scales?.dataType !== DataType.FLOAT || scales.raw?.length !== 4 * blocks || (converts.has(c.weight) && !same(converts.get(c.weight)!.c))) {
      for (const input of node.input) keptReads.add(input);
      return;
    }
    converts.set(c.weight, { c, weight, scales });
    replaced.push({ ...skeleton.nodeFields[i]!, bytes: encodedGraphField(NODE_FIELD, onnx.NodeProto.encode(int8MatMulNode(node, c)).finish()) });
  });
  if (converts.size === 0) return { skipped: 'it has no 4-bit weights this can convert (MatMulNBits of 4 bits, float32 scales, no zero points)' };
  const converted = replaced.length;
  for (const { weight, scales } of converts.values()) {
    for (const w of [weight, scales]) {
      if (!keptReads.has(w.name) && !graphOutputs.has(w.name) && !graphInputs.has(w.name)) replaced.push({ ...w.field, bytes: new Uint8Array(0) });
    }
  }
  replaced.sort((a, b) => a.start - b.start);
  const appended = [...converts.values()].map(({ c, weight, scales }) => int8Weights(source, c, weight.raw!, scales.raw!));
  return { converted, replaced: dedupe(replaced), appended };
}

/** The scales initializer is dropped once even when two converted weights name it. */
function dedupe(replaced: FieldReplacement[]): FieldReplacement[] {
  return replaced.filter((r, i) => i === 0 || r.start !== replaced[i - 1]!.start);
}

/** The two initializer fields of a converted weight (int8 [K, N] and its column scales), requantized when written. */
function int8Weights(source: ByteSource, c: ConvertibleNode, weight: { offset: number; length: number }, scales: { offset: number; length: number }): LazyBytes {
  const w = tensorField(int8WeightName(c), [c.k, c.n], DataType.INT8, c.k * c.n);
  const s = tensorField(int8ScaleName(c), [c.n], DataType.FLOAT, 4 * c.n);
  return {
    length: w.length + s.length,
    bytes() {
      const packed = new Uint8Array(weight.length);
      source.copyTo(packed, 0, weight.offset, weight.length);
      // A buffer of its own: the scales' bytes in the file need not be 4-byte aligned for a Float32Array.
      const blockScales = new Float32Array(scales.length / 4);
      source.copyTo(new Uint8Array(blockScales.buffer), 0, scales.offset, scales.length);
      const { weights, columnScales } = requantizeInt8(packed, blockScales, c.k, c.n, c.block);
      const out = new Uint8Array(w.length + s.length);
      out.set(w.bytes(new Uint8Array(weights.buffer)), 0);
      out.set(s.bytes(new Uint8Array(columnScales.buffer)), w.length);
      return out;
    },
  };
}

/** An initializer field whose raw_data (of `rawLength` bytes) is given only when it is written. */
export function tensorField(name: string, dims: number[], dataType: number, rawLength: number): { length: number; bytes(raw: Uint8Array): Uint8Array } {
  const head = onnx.TensorProto.encode({ name, dims, dataType }).finish();
  const rawHeader = Uint8Array.from([RAW_DATA_TAG, ...varintBytes(rawLength)]);
  const messageLength = head.length + rawHeader.length + rawLength;
  const fieldHeader = Uint8Array.from([(INITIALIZER_FIELD << 3) | 2, ...varintBytes(messageLength)]);
  return {
    length: fieldHeader.length + messageLength,
    bytes(raw) {
      if (raw.length !== rawLength) throw new Error('raw data is not the declared length');
      const out = new Uint8Array(fieldHeader.length + messageLength);
      out.set(fieldHeader, 0);
      out.set(head, fieldHeader.length);
      out.set(rawHeader, fieldHeader.length + head.length);
      out.set(raw, fieldHeader.length + head.length + rawHeader.length);
      return out;
    },
  };
}
