// Writes the 8-bit copy of a large 4-bit decoder (int8PrefillModel.ts's rewrite) to a file, for long prompt prefills,
// with the `num_logits_to_keep` input the 4-bit file gets at load where it lacks one (logitsToKeepModel.ts). A 0.5B
// model's copy is ~530 MB: built in memory at every load it would cost seconds and its whole size at once, so it is
// written once, piece by piece (one weight requantized at a time, everything else copied from the 4-bit file as it
// is), and kept (prefillCopyCache.ts). Pure but for the files it reads and writes.
import { renameSync, rmSync } from 'node:fs';
import { onnx } from 'onnx-proto';
import { getsLogitsToKeep, logitsToKeepSplice } from './logitsToKeepModel';
import { convertibleNode, int8MatMulNode, int8ScaleName, int8WeightName, packedWeightBytes, requantizeInt8, type ConvertibleNode } from './int8PrefillModel';
import { encodedGraphField, graphSkeleton, varintBytes, hasSubgraphs, withFile, writeSplicedModel, type ByteSource, type FieldReplacement, type GraphSkeleton, type InitializerSize, type LazyBytes } from './onnxSkeleton';

const { DataType } = onnx.TensorProto;
/** GraphProto: node is field 1, initializer field 5; TensorProto: raw_data is field 9. */
const NODE_FIELD = 1;
const INITIALIZER_FIELD = 5;
const RAW_DATA_TAG = (9 << 3) | 2;
/** onnxruntime parses a model file as one protobuf message, which may not reach 2 GB (its weights are not external here). */
const MAX_COPY_BYTES = 2 ** 31 - 2 ** 20;

/**
 * What a copy holds, as a number: kept copies of another version are rebuilt (prefillCopyCache.ts). Bump it when
 * the rewrite here, in int8PrefillModel.ts (requantizeInt8, convertibleNode, int8MatMulNode) or in
 * logitsToKeepModel.ts changes.
 */
export const INT8_COPY_VERSION = 1;

export type Int8PrefillFileResult = { converted: number; bytes: number } | { skipped: string };

/**
 * Writes the copy of `q4Path` to `dest` when it has 4-bit weights to convert and `allow` says yes to its size
 * (`bytes`, for memory) and the disk it takes while written (`diskBytes`: twice that where the input is added in a
 * second pass); else says why not, in words. Throws only on I/O errors.
 */
export function writeInt8PrefillFile(
  q4Path: string,
  dest: string,
  allow: (bytes: number, diskBytes: number) => string | undefined = () => undefined,
): Int8PrefillFileResult {
  const int8 = `${dest}.int8`;
  try {
    const written = withFile(q4Path, (source): Int8PrefillFileResult => {
      const skeleton = graphSkeleton(source);
      if (!skeleton) return { skipped: 'its graph could not be read (or holds local functions)' };
      const plan = int8PrefillPlan(source, skeleton);
      if ('skipped' in plan) return plan;
      // The graph field's length prefix may grow by a byte or two, and the added input by a few hundred: room is what
      // matters here, not the exact count.
      const bytes = source.length + plan.replaced.reduce((n, r) => n + r.bytes.length - (r.end - r.start), 0) + plan.appended.reduce((n, p) => n + p.length, 0);
      if (bytes >= MAX_COPY_BYTES) return { skipped: `it would take ${Math.round(bytes / 1e6)} MB, over the 2 GB onnxruntime reads as one file` };
      const refusal = allow(bytes, getsLogitsToKeep(skeleton) ? 2 * bytes : bytes);
      if (refusal !== undefined) return { skipped: refusal };
      return { converted: plan.converted, bytes: writeSplicedModel(int8, source, skeleton, plan.replaced, plan.appended) };
    });
    if ('skipped' in written) return written;
    const added = withFile(int8, (source) => {
      const skeleton = graphSkeleton(source);
      const splice = skeleton && logitsToKeepSplice(skeleton);
      return splice ? writeSplicedModel(dest, source, skeleton!, splice.replaced, [splice.appended]) : undefined;
    });
    if (added === undefined) renameSync(int8, dest);
    return { converted: written.converted, bytes: added ?? written.bytes };
  } finally {
    rmSync(int8, { force: true });
  }
}

interface Plan {
  converted: number;
  replaced: FieldReplacement[];
  appended: LazyBytes[];
}

function int8PrefillPlan(source: ByteSource, skeleton: GraphSkeleton): Plan | { skipped: string } {
  // Subgraphs may read any weight by name; external data is named relative to the 4-bit file's folder, which the
  // copy is not in.
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
function tensorField(name: string, dims: number[], dataType: number, rawLength: number): { length: number; bytes(raw: Uint8Array): Uint8Array } {
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
