// Rewrites each GroupQueryAttention of a decoder into standard onnxruntime CPU ops for the session that runs decode
// steps: a rotary embedding of the packed query and key, a Concat of the cache, and two batched MatMuls in which
// the query heads that share a key/value head are stacked as rows of one matrix.
//
// Why: onnxruntime's CPU GroupQueryAttention zeroes `present`, then works one query head at a time: for each it
// copies its key/value head's past into `present`, converts a float16 cache to float32 again and packs the keys for
// a one-row GEMM. With 4 query heads per key/value head (the default model; Qwen2.5-Coder-0.5B has 7) that happens
// 4 times per key/value head and step. Here the cache is concatenated and converted once per key/value head and
// each MatMul multiplies all of a group's rows at once: the default target's steps on one thread are as fast at 128
// positions and 1.18-1.24x faster at 512-768; on two, 0.92-1.09x (bench/results/attention-*.md), so ortBackend.ts
// uses it on one thread only. Prefills keep the fused node (the rewrite is used only where an 8-bit prefill copy
// exists): its per-head loop keeps the score matrix in cache, and with the whole-matrix Softmax here an int8
// file's prefill fell to 0.34x of transformers.js' (bench/results/runtime-2026-12-05-decomposed-every-file.md).
//
// Semantics follow the contrib op's CPU kernel: positions are past length + i (no padding; seqlens_k = total - 1 per
// batch row), key j is visible to query i when j <= its position, scale 1/sqrt(head size) unless `scale` is set. The
// variant for the runtime that keeps the cache itself (kvArena.ts) also outputs each pass's own key and value rows. The
// query stays float32 where the fused graph cast it to float16; new keys and values are rounded to the cache's type
// before use, as before. A graph with any attention this does not reproduce is left as it is. Pure bytes-to-bytes,
// like int8PrefillModel.ts.
import { onnx } from 'onnx-proto';
import { halfToFloat } from './float16';
import { hasSubgraphs, type ByteSource, type FieldReplacement, type GraphSkeleton } from './onnxSkeleton';
import { presentRowsName } from './signature';

const MS_DOMAIN = 'com.microsoft';
const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;
/** Shape with start/end (opset 15) is the newest op form used here. */
const MIN_OPSET = 15;

export interface DecomposedAttentionModel {
  bytes: Uint8Array;
  /** GroupQueryAttention nodes rewritten (all of the graph's). */
  decomposed: number;
}

type AttributeValue = number | number[] | { float: number };

function node(opType: string, input: string[], output: string[], attributes: Record<string, AttributeValue> = {}, domain = ''): onnx.NodeProto {
  const attribute = Object.entries(attributes).map(([name, v]) =>
    typeof v === 'number'
      ? onnx.AttributeProto.create({ name, type: AttributeType.INT, i: v })
      : Array.isArray(v)
        ? onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: v })
        : onnx.AttributeProto.create({ name, type: AttributeType.FLOAT, f: v.float }),
  );
  return onnx.NodeProto.create({ name: output[0], opType, domain, input, output, attribute });
}

function attributes(n: onnx.INodeProto): Map<string, number> {
  const out = new Map<string, number>();
  for (const a of n.attribute ?? []) {
    if (a.type === AttributeType.INT) out.set(a.name ?? '', Number(a.i ?? 0));
    else if (a.type === AttributeType.FLOAT) out.set(a.name ?? '', a.f ?? 0);
  }
  return out;
}

function elemType(v: onnx.IValueInfoProto | undefined): number | undefined {
  return v?.type?.tensorType?.elemType ?? undefined;
}

function tableAsFloat32(t: onnx.ITensorProto): Float32Array | undefined {
  const raw = t.rawData;
  const width = t.dataType === DataType.FLOAT ? 4 : 2;
  if (raw && raw.length % width !== 0) return undefined;
  if (t.dataType === DataType.FLOAT) {
    if (raw && raw.length > 0) return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    return Float32Array.from(t.floatData ?? []);
  }
  if (t.dataType === DataType.FLOAT16) {
    // float16 values travel as raw bytes, or one per int32 in int32Data.
    const bits = raw && raw.length > 0 ? new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)) : Uint16Array.from(t.int32Data ?? []);
    return Float32Array.from(bits, halfToFloat);
  }
  return undefined;
}

/**
 * Whether this rewrite reproduces the node: no local window, softcap or smooth softmax; a packed query/key/value;
 * nothing from input 9 on (position_ids, attention_bias, head_sink) and no returned scores; rotary with its tables.
 */
function supported(a: Map<string, number>, inputs: string[], outputs: string[]): boolean {
  const rotary = a.get('do_rotary') ?? 0;
  return (
    (a.get('local_window_size') ?? -1) === -1 &&
    (a.get('softcap') ?? 0) === 0 &&
    (a.get('smooth_softmax') ?? 0) === 0 &&
    inputs.length >= 7 &&
    !inputs[1] &&
    !inputs[2] &&
    !inputs.slice(9).some(Boolean) &&
    !outputs.slice(3).some(Boolean) &&
    Boolean(outputs[1] && outputs[2]) &&
    (rotary === 0 || (rotary === 1 && Boolean(inputs[7] && inputs[8])))
  );
}

/** A decoder graph as the decomposition reads it: from a decoded model, or from a file's skeleton (onnxSkeleton.ts). */
interface AttentionGraph {
  nodes: onnx.INodeProto[];
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
  opset?: number;
  /** A weight with its values (read only for rotary tables). */
  table(name: string): onnx.ITensorProto | undefined;
}

/** What decomposing a graph's attention changes. */
interface Decomposition {
  /** The nodes that stand for each GroupQueryAttention node, in order (the graph-wide mask and positions with the first). */
  replacing: Map<onnx.INodeProto, onnx.NodeProto[]>;
  /** The Casts around the fused nodes that go with them. */
  removed: Set<onnx.INodeProto>;
  added: onnx.ITensorProto[];
  rowsOutputs: onnx.ValueInfoProto[];
  decomposed: number;
}

/**
 * The decode-step copy of `bytes` with its attention decomposed, or undefined when the graph is kept as it is. With
 * `room`, each past is a buffer with room for the pass's rows after the valid ones (kvArena.ts): the rows are written
 * at their positions there, `present` is that whole buffer and `present.N.key/rows` the rows; else `present` is the
 * past with the rows appended.
 * Either way every key sits at the index of its position, so a position's sums run in the same order in a one-token
 * step and in a speculative pass of several (whose greedy tokens must match), with or without room.
 */
export function decomposedAttentionModel(bytes: Uint8Array, room = false): DecomposedAttentionModel | undefined {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  // Same limits as the 8-bit copy: external weights cannot travel in memory, local functions could lose fields.
  if (!graph?.node || !graph.initializer || (model.functions?.length ?? 0) > 0) return undefined;
  if (graph.initializer.some((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)) return undefined;
  const opsetVersion = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version;
  const initializers = new Map(graph.initializer.map((t) => [t.name ?? '', t]));
  const d = decomposition(
    { nodes: graph.node, inputs: graph.input ?? [], outputs: graph.output ?? [], opset: opsetVersion === undefined || opsetVersion === null ? undefined : Number(opsetVersion), table: (name) => initializers.get(name) },
    room,
  );
  if (!d) return undefined;
  const rewritten = graph.node.flatMap((n) => (d.removed.has(n) ? [] : (d.replacing.get(n) ?? [n])));
  graph.node = rewritten;
  graph.output = [...(graph.output ?? []), ...d.rowsOutputs];
  const used = new Set(rewritten.flatMap((n) => n.input ?? []));
  graph.initializer = [...graph.initializer.filter((t) => used.has(t.name ?? '')), ...d.added];
  // Shapes inferred for tensors that no longer exist would only confuse onnxruntime's checker.
  const produced = new Set([...rewritten.flatMap((n) => n.output ?? []), ...(graph.input ?? []).map((v) => v.name ?? '')]);
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => produced.has(v.name ?? ''));
  return { bytes: onnx.ModelProto.encode(model).finish(), decomposed: d.decomposed };
}

/**
 * decomposedAttentionModel (with room) of a large file, as edits of its graph's fields (onnxSkeleton.ts): the fused
 * nodes and their Casts dropped, the new nodes, constants and rows outputs appended (onnxruntime orders nodes
 * itself), so the weights are copied, never decoded.
 */
export function decomposedAttentionSplice(source: ByteSource, skeleton: GraphSkeleton): { replaced: FieldReplacement[]; appended: Uint8Array; decomposed: number } | undefined {
  if (skeleton.initializers.some((w) => w.location !== undefined)) return undefined;
  const fields = new Map(skeleton.initializers.map((w) => [w.name, w.field]));
  const d = decomposition(
    {
      nodes: skeleton.nodes,
      inputs: skeleton.inputs,
      outputs: skeleton.outputs,
      opset: skeleton.opset,
      table: (name) => {
        const f = fields.get(name);
        return f && onnx.GraphProto.decode(source.read(f.start, f.end - f.start)).initializer[0];
      },
    },
    true,
  );
  if (!d) return undefined;
  const gone = (n: onnx.INodeProto) => d.removed.has(n) || d.replacing.has(n);
  const added = [...d.replacing.values()].flat();
  // Weights nothing reads any more go too, or onnxruntime warns of each as it loads.
  const read = new Set([...skeleton.nodes.filter((n) => !gone(n)), ...added].flatMap((n) => n.input ?? []));
  const inputs = new Set(skeleton.inputs.map((v) => v.name));
  const unread = skeleton.initializers.filter((w) => !read.has(w.name) && !inputs.has(w.name)).map((w) => w.field);
  const nodeFields = skeleton.nodes.flatMap((n, i) => (gone(n) ? [skeleton.nodeFields[i]!] : []));
  const replaced = [...nodeFields, ...unread].sort((a, b) => a.start - b.start).map((f) => ({ ...f, bytes: new Uint8Array(0) }));
  const appended = onnx.GraphProto.encode({ node: added, initializer: d.added, output: d.rowsOutputs }).finish();
  return { replaced, appended, decomposed: d.decomposed };
}

function decomposition(graph: AttentionGraph, room: boolean): Decomposition | undefined {
  const opset = graph.opset;
  if (opset === undefined || opset < MIN_OPSET) return undefined;
  const fused = graph.nodes.filter((n) => n.opType === 'GroupQueryAttention' && n.domain === MS_DOMAIN);
  if (fused.length === 0) return undefined;
  if (!fused.every((n) => supported(attributes(n), n.input ?? [], n.output ?? []))) return undefined;
  // Subgraphs (If/Loop bodies, as in merged decoders) read tensors this rewrite does not track.
  if (hasSubgraphs(graph.nodes)) return undefined;

  const declared = new Map([...graph.inputs, ...graph.outputs].map((v) => [v.name ?? '', v]));
  const graphOutputs = new Set(graph.outputs.map((v) => v.name ?? ''));
  const producer = new Map<string, onnx.INodeProto>();
  const consumers = new Map<string, onnx.INodeProto[]>();
  for (const n of graph.nodes) {
    for (const o of n.output ?? []) producer.set(o, n);
    for (const i of n.input ?? []) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  }
  const added: onnx.ITensorProto[] = [];
  const constants = new Set<string>();
  const constant = (name: string, dataType: number, dims: number[], values: ArrayLike<number> | BigInt64Array): string => {
    if (!constants.has(name)) {
      constants.add(name);
      const array = dataType === DataType.INT64 ? BigInt64Array.from(values as ArrayLike<number>, (v) => BigInt(v)) : Float32Array.from(values as ArrayLike<number>);
      added.push(onnx.TensorProto.create({ name, dataType, dims, rawData: new Uint8Array(array.buffer) }));
    }
    return name;
  };
  const ints = (name: string, values: number[], dims: number[] = [values.length]) => constant(`decomposed_attention/${name}`, DataType.INT64, dims, values);
  const float = (name: string, value: number) => constant(`decomposed_attention/${name}`, DataType.FLOAT, [], [value]);

  /** Each rotary table as the float32 weight RotaryEmbedding reads, or undefined where it is not one. */
  const rotaryTables = new Map<string, string | undefined>();
  const rotaryTable = (name: string, headSize: number): string | undefined => {
    const t = graph.table(name);
    const values = t && tableAsFloat32(t);
    const dims = (t?.dims ?? []).map(Number);
    if (!values || dims.length !== 2 || dims[1]! * 2 !== headSize) return undefined;
    return t!.dataType === DataType.FLOAT ? name : constant(`${name}_float32`, DataType.FLOAT, dims, values);
  };
  const removed = new Set<onnx.INodeProto>();
  const replacing = new Map<onnx.INodeProto, onnx.NodeProto[]>();
  const rowsOutputs: onnx.ValueInfoProto[] = [];
  let shared: { positions: string; mask: string; group: number; seqlens: string; rowIndices?: string } | undefined;
  for (const n of fused) {
    const emitted: onnx.NodeProto[] = [];
    replacing.set(n, emitted);
    const a = attributes(n);
    const inputs = n.input ?? [];
    const outputs = n.output ?? [];
    const heads = a.get('num_heads') ?? 0;
    const kvHeads = a.get('kv_num_heads') ?? 0;
    const pastKey = inputs[3]!;
    const pastValue = inputs[4]!;
    const pastDims = declared.get(pastKey)?.type?.tensorType?.shape?.dim ?? [];
    const headSize = Number(pastDims[3]?.dimValue ?? 0);
    const cacheType = elemType(declared.get(pastKey));
    if (!heads || !kvHeads || heads % kvHeads !== 0 || !headSize || (cacheType !== DataType.FLOAT && cacheType !== DataType.FLOAT16)) return undefined;
    if (!graphOutputs.has(outputs[1]!) || !graphOutputs.has(outputs[2]!)) return undefined;
    const group = heads / kvHeads;
    const p = `${n.name || outputs[0]}_decomposed/`;

    // The float32 query/key/value: the fused node's input, or what its Cast to float16 read.
    let qkv = inputs[0]!;
    const cast = producer.get(qkv);
    if (cast?.opType === 'Cast' && consumers.get(qkv)?.length === 1 && !graphOutputs.has(qkv) && attributes(cast).get('to') === DataType.FLOAT16) {
      qkv = cast.input![0]!;
      removed.add(cast);
    } else if (cacheType !== DataType.FLOAT) {
      return undefined; // a float16 query from the graph itself: the float32 MatMuls below would not fit it
    }
    // The float32 output: read by the one Cast back to float32, or the fused output of a float32 graph.
    let result = outputs[0]!;
    const uses = consumers.get(result) ?? [];
    const castBack = uses.length === 1 && uses[0]!.opType === 'Cast' && attributes(uses[0]!).get('to') === DataType.FLOAT && !graphOutputs.has(result) ? uses[0]! : undefined;
    if (castBack) {
      removed.add(castBack);
      result = castBack.output![0]!;
    } else if (cacheType !== DataType.FLOAT) {
      return undefined;
    }

    // Every node is named after the attention it stands for (graph outputs keep their own tensor names).
    const emit = (x: onnx.NodeProto) => {
      if (!x.name.startsWith('decomposed_attention/') && !x.name.startsWith(p)) x.name = `${p}${x.name}`;
      emitted.push(x);
    };
    if (shared === undefined) {
      // Once per graph: positions [B, S] = past length + i (seqlens_k = total - 1) and the additive mask
      // [B, 1, group * S, T] that hides the keys after each query's position; T = cache length + S.
      const s = 'decomposed_attention/';
      emit(node('Shape', [qkv], [`${s}qkv_shape`]));
      emit(node('Gather', [`${s}qkv_shape`, ints('one', [1], [])], [`${s}steps`], { axis: 0 }));
      emit(node('Cast', [inputs[5]!], [`${s}last`], { to: DataType.INT64 }));
      emit(node('Add', [`${s}last`, ints('one', [1], [])], [`${s}total`]));
      emit(node('Sub', [`${s}total`, `${s}steps`], [`${s}past`]));
      emit(node('Range', [ints('zero', [0], []), `${s}steps`, ints('one', [1], [])], [`${s}offsets`]));
      emit(node('Unsqueeze', [`${s}past`, ints('axis1', [1])], [`${s}past_column`]));
      emit(node('Add', [`${s}past_column`, `${s}offsets`], [`${s}position_ids`]));
      // Key j is position j: the pass's rows follow the past (concatenated) or are written at their positions in a
      // buffer with room (scattered), whose rows after them are masked like any later position.
      emit(node('Shape', [pastKey], [`${s}cache_length`], { start: 2, end: 3 }));
      const keysLength = room ? `${s}cache_length` : `${s}keys_length`;
      if (!room) emit(node('Add', [`${s}cache_length`, `${s}steps`], [`${s}keys_length`]));
      emit(node('Squeeze', [keysLength], [`${s}keys_count`]));
      emit(node('Range', [ints('zero', [0], []), `${s}keys_count`, ints('one', [1], [])], [`${s}keys`]));
      emit(node('Unsqueeze', [`${s}position_ids`, ints('axis2', [2])], [`${s}position_column`]));
      emit(node('LessOrEqual', [`${s}keys`, `${s}position_column`], [`${s}visible`]));
      if (room) emit(node('Unsqueeze', [`${s}position_ids`, ints('axes13', [1, 3])], [`${s}row_positions`]));
      emit(node('Where', [`${s}visible`, float('zero_float', 0), float('minus_infinity', -Infinity)], [`${s}mask_rows`]));
      emit(node('Tile', [`${s}mask_rows`, ints(`tile_${group}`, [1, group, 1])], [`${s}mask_groups`]));
      emit(node('Unsqueeze', [`${s}mask_groups`, ints('axis1', [1])], [`${s}mask`]));
      shared = { positions: `${s}position_ids`, mask: `${s}mask`, group, seqlens: inputs[5]! };
    }
    // One mask and one set of positions serve every layer: they must read the same lengths.
    if (shared.group !== group || shared.seqlens !== inputs[5]) return undefined;

    let qk = `${p}qk`;
    emit(node('Split', [qkv, ints(`split_${heads + kvHeads}_${kvHeads}_${headSize}`, [(heads + kvHeads) * headSize, kvHeads * headSize])], [qk, `${p}v`], { axis: 2 }));
    if ((a.get('do_rotary') ?? 0) === 1) {
      const tables = [inputs[7]!, inputs[8]!].map((name) => {
        // Every layer reads the same tables: converted once (a 32K-position table is a million values).
        const key = `${name}/${headSize}`;
        if (!rotaryTables.has(key)) rotaryTables.set(key, rotaryTable(name, headSize));
        return rotaryTables.get(key);
      });
      if (tables.some((t) => t === undefined)) return undefined;
      emit(node('RotaryEmbedding', [qk, shared.positions, tables[0]!, tables[1]!], [`${p}qk_rotated`], { num_heads: heads + kvHeads, interleaved: a.get('rotary_interleaved') ?? 0 }, MS_DOMAIN));
      qk = `${p}qk_rotated`;
    }
    emit(node('Reshape', [qk, ints(`bshd_${heads + kvHeads}_${headSize}`, [0, 0, heads + kvHeads, headSize])], [`${p}qk_heads`]));
    emit(node('Transpose', [`${p}qk_heads`], [`${p}qk_bnsh`], { perm: [0, 2, 1, 3] }));
    // With room, the new rows are outputs of their own (`present.N.key/rows`): named so where they are made.
    const rowsName = (present: string, name: string) => (room && cacheType === DataType.FLOAT ? presentRowsName(present) : name);
    const castName = (present: string, name: string) => (room ? presentRowsName(present) : name);
    emit(node('Split', [`${p}qk_bnsh`, ints(`split_${heads}_${kvHeads}`, [heads, kvHeads])], [`${p}q`, rowsName(outputs[1]!, `${p}k`)], { axis: 1 }));
    // Query head h reads key/value head floor(h / group): [B, kv heads, group * S, D], rows in (g, s) order.
    emit(node('Reshape', [`${p}q`, ints(`groups_${kvHeads}_${headSize}`, [0, kvHeads, -1, headSize])], [`${p}q_groups`]));
    emit(node('Reshape', [`${p}v`, ints(`bshd_${kvHeads}_${headSize}`, [0, 0, kvHeads, headSize])], [`${p}v_heads`]));
    emit(node('Transpose', [`${p}v_heads`], [rowsName(outputs[2]!, `${p}v_bnsh`)], { perm: [0, 2, 1, 3] }));
    let kNew = rowsName(outputs[1]!, `${p}k`);
    let vNew = rowsName(outputs[2]!, `${p}v_bnsh`);
    if (cacheType !== DataType.FLOAT) {
      emit(node('Cast', [kNew], [castName(outputs[1]!, `${p}k_cache_type`)], { to: cacheType }));
      emit(node('Cast', [vNew], [castName(outputs[2]!, `${p}v_cache_type`)], { to: cacheType }));
      kNew = castName(outputs[1]!, `${p}k_cache_type`);
      vNew = castName(outputs[2]!, `${p}v_cache_type`);
    }
    if (room) {
      // The rows' positions for every head and element, [B, kv heads, S, D]: the same for every layer.
      if (shared.rowIndices === undefined) {
        shared.rowIndices = 'decomposed_attention/row_indices';
        emit(node('Shape', [kNew], ['decomposed_attention/rows_shape']));
        emit(node('Expand', ['decomposed_attention/row_positions', 'decomposed_attention/rows_shape'], [shared.rowIndices]));
      }
      emit(node('ScatterElements', [pastKey, shared.rowIndices, kNew], [outputs[1]!], { axis: 2 }));
      emit(node('ScatterElements', [pastValue, shared.rowIndices, vNew], [outputs[2]!], { axis: 2 }));
      for (const present of [outputs[1]!, outputs[2]!]) {
        rowsOutputs.push(onnx.ValueInfoProto.create({ name: presentRowsName(present), type: { tensorType: { elemType: cacheType } } }));
      }
    } else {
      emit(node('Concat', [pastKey, kNew], [outputs[1]!], { axis: 2 }));
      emit(node('Concat', [pastValue, vNew], [outputs[2]!], { axis: 2 }));
    }
    let keys = outputs[1]!;
    let values = outputs[2]!;
    if (cacheType !== DataType.FLOAT) {
      emit(node('Cast', [keys], [`${p}keys`], { to: DataType.FLOAT }));
      emit(node('Cast', [values], [`${p}values`], { to: DataType.FLOAT }));
      keys = `${p}keys`;
      values = `${p}values`;
    }
    const scale = a.get('scale') || 1 / Math.sqrt(headSize);
    emit(node('FusedMatMul', [`${p}q_groups`, keys], [`${p}scores`], { transA: 0, transB: 1, alpha: { float: scale } }, MS_DOMAIN));
    emit(node('Add', [`${p}scores`, shared.mask], [`${p}masked`]));
    emit(node('Softmax', [`${p}masked`], [`${p}probs`], { axis: -1 }));
    emit(node('MatMul', [`${p}probs`, values], [`${p}context`]));
    emit(node('Reshape', [`${p}context`, ints(`heads_${heads}_${headSize}`, [0, heads, -1, headSize])], [`${p}context_heads`]));
    emit(node('Transpose', [`${p}context_heads`], [`${p}context_bshd`], { perm: [0, 2, 1, 3] }));
    emit(node('Reshape', [`${p}context_bshd`, ints('merge_heads', [0, 0, -1])], [result]));
  }
  return { replacing, removed, added, rowsOutputs, decomposed: fused.length };
}
