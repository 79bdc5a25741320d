// Fuses attention as PyTorch's TorchScript exporter writes it (Optimum's exports, onnx-community's files among them:
// the cache concatenated with the new keys and values, repeat_kv through Unsqueeze/Expand/Reshape, MatMul, a
// scale, an additive mask, Softmax, MatMul) into onnxruntime's GroupQueryAttention, the node the shipped default
// model and onnxruntime-genai's builder use. The plain form runs ~20 kernels per layer, builds the causal mask from
// the attention mask every pass and copies the whole cache through Concat and Expand on every step; the fused node
// appends to the cache and reads each key/value head once per group. Measured in bench/results/attention-fusion-*.md.
//
// Where config.json describes a plain rotary embedding (rope_theta, no rope_scaling) and every layer rotates the
// plain way (x·cos + rotate_half(x)·sin, tables from position_ids alone), the node also rotates, from tables
// computed here, and takes the three projections packed: the export's per-layer rotary ops and head reshapes go.
// Otherwise it gets query and keys already rotated (do_rotary 0), so other rotary variants need no reproducing.
// What the node assumes and this checks in the graph: the scale (the constants that multiply or divide the
// scores), query head h reading key and value head h / (heads per key/value head) (repeat_kv inserting its copies
// after the head axis), and nothing between the scores and Softmax but the scale and one additive mask. It masks
// causally by position and, like the shipped model's node, takes each row's length from position_ids: the runtime's
// passes are unpadded rows at positions past length + i. Sliding-window attention is not reproduced: callers leave
// such models out. A graph with anything else on these paths is left as it is. Pure: reads the graph's skeleton,
// returns fields to splice.
import { onnx } from 'onnx-proto';
import { halfToFloat } from './float16';
import { type FieldReplacement, type GraphSkeleton, hasSubgraphs, intAttribute } from './onnxSkeleton';
import { pastKeyName, pastValueName, presentKeyName, presentValueName } from './signature';

/** The attention's head counts, from config.json. */
export interface AttentionShape {
  numHeads: number;
  kvHeads: number;
  headDim: number;
  /** The plain rotary embedding's base and the positions to tabulate, where config.json has one (else it stays as exported). */
  rotary?: { theta: number; maxPositions: number };
}

export interface AttentionFusionSplice {
  replaced: FieldReplacement[];
  /** GraphProto fields to add (the new constants). */
  appended: Uint8Array;
  /** Layers fused (all of the graph's). */
  layers: number;
  /** Node fields dropped or replaced, by start offset (other splices must leave them alone). */
  touched: Set<number>;
}

const MS_DOMAIN = 'com.microsoft';
const PREFIX = 'locus_fused_attention/';
const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;
/** Unsqueeze and ReduceMax read their axes from an input from opset 13 and 18. */
const MIN_OPSET = 13;
/** Ops a key or value may pass through between the cache and its matrix product. */
const KV_PATH = new Set(['Unsqueeze', 'Expand', 'Reshape', 'Transpose', 'Mul', 'Div']);

/** Maps over the graph: who produces and who reads each tensor, and the scalars Constant nodes hold. */
class GraphIndex {
  readonly producer = new Map<string, number>();
  readonly readers = new Map<string, number[]>();

  constructor(readonly nodes: onnx.NodeProto[]) {
    nodes.forEach((n, i) => {
      n.output.forEach((o) => o && this.producer.set(o, i));
      n.input.forEach((x) => x && this.readers.set(x, [...(this.readers.get(x) ?? []), i]));
    });
  }

  producerOf(name: string): onnx.NodeProto | undefined {
    const at = this.producer.get(name);
    return at === undefined ? undefined : this.nodes[at];
  }

  /** The nodes reading `name` for its values (a Shape reads only its dims). */
  dataReaders(name: string): number[] {
    return (this.readers.get(name) ?? []).filter((i) => this.nodes[i]!.opType !== 'Shape');
  }

  /** The one data reader of `name`, or undefined where there are none or several. */
  onlyReader(name: string): { at: number; node: onnx.NodeProto } | undefined {
    const readers = this.dataReaders(name);
    return readers.length === 1 ? { at: readers[0]!, node: this.nodes[readers[0]!]! } : undefined;
  }

  /** The numbers a Constant node's tensor holds (float, double, half or int64), or undefined. */
  constantValues(name: string): number[] | undefined {
    const n = this.producerOf(name);
    if (!n || n.opType !== 'Constant' || (n.domain ?? '') !== '') return undefined;
    const a = n.attribute.find((x) => x.name === 'value' || x.name === 'value_float' || x.name === 'value_ints' || x.name === 'value_int');
    if (!a) return undefined;
    if (a.name === 'value_float') return [a.f ?? 0];
    if (a.name === 'value_int') return [Number(a.i ?? 0)];
    if (a.name === 'value_ints') return (a.ints ?? []).map(Number);
    return tensorValues(a.t);
  }

  constantScalar(name: string): number | undefined {
    const values = this.constantValues(name);
    return values?.length === 1 ? values[0] : undefined;
  }
}

function tensorValues(t: onnx.ITensorProto | null | undefined): number[] | undefined {
  if (!t) return undefined;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const view = raw && new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (t.dataType) {
    case DataType.FLOAT:
      return view ? Array.from({ length: raw.length / 4 }, (_, i) => view.getFloat32(4 * i, true)) : [...(t.floatData ?? [])];
    case DataType.DOUBLE:
      return view ? Array.from({ length: raw.length / 8 }, (_, i) => view.getFloat64(8 * i, true)) : [...(t.doubleData ?? [])];
    case DataType.FLOAT16:
      return view ? Array.from({ length: raw.length / 2 }, (_, i) => halfToFloat(view.getUint16(2 * i, true))) : (t.int32Data ?? []).map(halfToFloat);
    case DataType.INT64:
      return view ? Array.from({ length: raw.length / 8 }, (_, i) => Number(view.getBigInt64(8 * i, true))) : (t.int64Data ?? []).map(Number);
    default:
      return undefined;
  }
}

function ints(n: onnx.NodeProto, name: string): number[] | undefined {
  const a = n.attribute.find((x) => x.name === name);
  return a && a.type === AttributeType.INTS ? (a.ints ?? []).map(Number) : undefined;
}

const same = (a: number[] | undefined, b: number[]) => a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);

/** Where a key or value from the cache meets its matrix product, and what it went through on the way. */
interface KvPath {
  product: number;
  slot: number;
  scale: number;
  transposed: boolean;
  /** Repeated per query head by repeat_kv (Unsqueeze at axis 2, then Expand). */
  grouped: boolean;
  nodes: number[];
}

function kvPath(g: GraphIndex, from: string): KvPath | undefined {
  let t = from;
  let scale = 1;
  let transposed = false;
  let unsqueezed = false;
  let grouped = false;
  const nodes: number[] = [];
  for (let step = 0; step < 16; step++) {
    const reader = g.onlyReader(t);
    if (!reader || (reader.node.domain ?? '') !== '') return undefined;
    const { at, node } = reader;
    if (node.opType === 'MatMul') return { product: at, slot: node.input.indexOf(t), scale, transposed, grouped, nodes };
    if (!KV_PATH.has(node.opType ?? '') || node.output.length !== 1) return undefined;
    if (node.opType === 'Mul' || node.opType === 'Div') {
      const other = node.input[node.input[0] === t ? 1 : 0]!;
      const c = g.constantScalar(other);
      if (c === undefined || c === 0 || (node.opType === 'Div' && node.input[0] !== t)) return undefined;
      scale *= node.opType === 'Mul' ? c : 1 / c;
    } else {
      if (node.input[0] !== t) return undefined;
      if (node.opType === 'Transpose') {
        if (transposed || !same(ints(node, 'perm'), [0, 1, 3, 2])) return undefined;
        transposed = true;
      } else if (node.opType === 'Unsqueeze') {
        // repeat_kv: [B, kv heads, 1, P, D] expanded to [B, kv heads, group, P, D], reshaped to [B, heads, P, D].
        const axes = node.input[1] ? g.constantValues(node.input[1]) : ints(node, 'axes');
        if (unsqueezed || !same(axes, [2])) return undefined;
        unsqueezed = true;
      } else if (node.opType === 'Expand') {
        if (!unsqueezed) return undefined;
        grouped = true;
      }
    }
    nodes.push(at);
    t = node.output[0]!;
  }
  return undefined;
}

/** Back from a matrix product's input through scalings by constants; the tensor before them and their product. */
function unscaled(g: GraphIndex, name: string): { tensor: string; scale: number; nodes: number[] } | undefined {
  let t = name;
  let scale = 1;
  const nodes: number[] = [];
  for (let step = 0; step < 4; step++) {
    const at = g.producer.get(t);
    const node = at === undefined ? undefined : g.nodes[at]!;
    if (!node || (node.opType !== 'Mul' && node.opType !== 'Div') || (node.domain ?? '') !== '') break;
    const [a, b] = node.input as [string, string];
    const cb = g.constantScalar(b);
    const ca = node.opType === 'Mul' ? g.constantScalar(a) : undefined;
    if (cb !== undefined && cb !== 0) [t, scale] = [a, scale * (node.opType === 'Mul' ? cb : 1 / cb)];
    else if (ca !== undefined) [t, scale] = [b, scale * ca];
    else break;
    if (g.dataReaders(node.output[0]!).length !== 1) return undefined;
    nodes.push(at!);
  }
  return { tensor: t, scale, nodes };
}

/** An export's rotary embedding of one projection: x·cos + rotate_half(x)·sin, x the projection's heads. */
interface Rotary {
  /** The projection, [batch, positions, heads * head size], before its reshape into heads. */
  projection: string;
  cos: string;
  sin: string;
}

/** The projection behind `heads` = Transpose([0, 2, 1, 3]) of Reshape(projection), or undefined. */
function projectionOf(g: GraphIndex, heads: string): string | undefined {
  const transpose = g.producerOf(heads);
  if (!transpose || transpose.opType !== 'Transpose' || !same(ints(transpose, 'perm'), [0, 2, 1, 3])) return undefined;
  const reshape = g.producerOf(transpose.input[0]!);
  return reshape && reshape.opType === 'Reshape' && (reshape.domain ?? '') === '' ? reshape.input[0] : undefined;
}

/** Whether `name` is rotate_half(x): Concat of Neg(second half of x) and the first half, along the last axis. */
function isRotateHalf(g: GraphIndex, name: string, x: string): boolean {
  const concat = g.producerOf(name);
  if (!concat || concat.opType !== 'Concat' || concat.input.length !== 2) return false;
  const axis = intAttribute(concat, 'axis');
  if (axis !== -1 && axis !== 3) return false;
  const neg = g.producerOf(concat.input[0]!);
  const second = neg?.opType === 'Neg' ? g.producerOf(neg.input[0]!) : undefined;
  const first = g.producerOf(concat.input[1]!);
  return second?.opType === 'Slice' && first?.opType === 'Slice' && second.input[0] === x && first.input[0] === x;
}

function rotaryOf(g: GraphIndex, rotated: string): Rotary | undefined {
  const add = g.producerOf(rotated);
  if (!add || add.opType !== 'Add' || (add.domain ?? '') !== '') return undefined;
  const [a, b] = add.input.map((x) => g.producerOf(x));
  for (const [plain, turned] of [[a, b], [b, a]]) {
    if (plain?.opType !== 'Mul' || turned?.opType !== 'Mul') continue;
    for (const slot of [0, 1]) {
      const x = plain.input[slot]!;
      const projection = projectionOf(g, x);
      const halves = turned.input.findIndex((t) => isRotateHalf(g, t, x));
      if (projection !== undefined && halves >= 0) return { projection, cos: plain.input[1 - slot]!, sin: turned.input[1 - halves]! };
    }
  }
  return undefined;
}

/** The graph inputs `name` is computed from. */
function inputsBehind(g: GraphIndex, name: string, graphInputs: Set<string>): Set<string> {
  const found = new Set<string>();
  const seen = new Set<string>();
  const pending = [name];
  while (pending.length > 0) {
    const t = pending.pop()!;
    if (!t || seen.has(t)) continue;
    seen.add(t);
    if (graphInputs.has(t)) found.add(t);
    const n = g.producerOf(t);
    if (n) pending.push(...n.input);
  }
  return found;
}

interface LayerMatch {
  layer: number;
  /** Rotated query, [batch, heads, positions, head size], before any scaling. */
  query: string;
  /** The new keys and values, as concatenated to the cache: [batch, kv heads, positions, head size]. */
  key: string;
  value: string;
  /** What the output projection reads: [batch, positions, heads * head size]. */
  output: string;
  scale: number;
  /** Nodes whose outputs the fused node and its inputs produce: the two Concats and the output Reshape. */
  replaced: number[];
  /** The output Reshape: its field takes the new nodes. */
  anchor: number;
  /** The attention's own nodes, which must all go. */
  core: number[];
}

/**
 * Whether `name` is the cache input `past` itself, or it passed through identities (a one-input Concat, Identity)
 * that read it alone: the exporter leaves those where a cache object concatenated the past to an empty tensor.
 */
function isPast(g: GraphIndex, name: string, past: string): boolean {
  let t = name;
  for (let step = 0; step < 4 && t !== past; step++) {
    const n = g.producerOf(t);
    const identity = n && (n.domain ?? '') === '' && n.input.length === 1 && (n.opType === 'Identity' || n.opType === 'Concat');
    if (!identity || g.dataReaders(n.input[0]!).length !== 1) return false;
    t = n.input[0]!;
  }
  // The past is read on this path alone (a Shape may read its length).
  return t === past && g.dataReaders(past).length === 1;
}

/** scaled_dot_product_attention's Where(IsNaN(p), 0, p) after Softmax output `p`: its output and nodes, or undefined. */
function nanGuard(g: GraphIndex, p: string): { output: string; nodes: number[] } | undefined {
  const readers = g.dataReaders(p);
  if (readers.length !== 2) return undefined;
  const isNan = readers.find((i) => g.nodes[i]!.opType === 'IsNaN');
  const where = readers.find((i) => g.nodes[i]!.opType === 'Where');
  if (isNan === undefined || where === undefined) return undefined;
  const w = g.nodes[where]!;
  const zero = g.constantValues(w.input[1]!);
  if (w.input[0] !== g.nodes[isNan]!.output[0] || w.input[2] !== p || !zero?.every((v) => v === 0)) return undefined;
  if (g.dataReaders(g.nodes[isNan]!.output[0]!).length !== 1) return undefined;
  return { output: w.output[0]!, nodes: [isNan, where] };
}

function matchLayer(g: GraphIndex, layer: number, shape: AttentionShape): LayerMatch | undefined {
  const concat = (past: string, present: string) => {
    const at = g.producer.get(present);
    const n = at === undefined ? undefined : g.nodes[at]!;
    if (!n || n.opType !== 'Concat' || (n.domain ?? '') !== '' || n.input.length !== 2 || !isPast(g, n.input[0]!, past)) return undefined;
    const axis = intAttribute(n, 'axis');
    if (axis !== 2 && axis !== -2) return undefined;
    return { at, added: n.input[1]! };
  };
  const kc = concat(pastKeyName(layer), presentKeyName(layer));
  const vc = concat(pastValueName(layer), presentValueName(layer));
  if (!kc || !vc) return undefined;
  const keyPath = kvPath(g, presentKeyName(layer));
  const valuePath = kvPath(g, presentValueName(layer));
  if (!keyPath || !valuePath || keyPath.slot !== 1 || valuePath.slot !== 1 || !keyPath.transposed || valuePath.transposed) return undefined;
  if (valuePath.scale !== 1) return undefined;
  const grouped = shape.numHeads > shape.kvHeads;
  if (keyPath.grouped !== grouped || valuePath.grouped !== grouped) return undefined;

  const scores = g.nodes[keyPath.product]!;
  const query = unscaled(g, scores.input[0]!);
  if (!query) return undefined;
  // Scores to Softmax: scalings and one additive mask.
  let scale = keyPath.scale * query.scale;
  let t = scores.output[0]!;
  let masked = false;
  const core = [keyPath.product, ...keyPath.nodes, ...valuePath.nodes, ...query.nodes];
  let softmax: onnx.NodeProto | undefined;
  for (let step = 0; step < 6 && !softmax; step++) {
    const reader = g.onlyReader(t);
    if (!reader || (reader.node.domain ?? '') !== '' || reader.node.output.length !== 1) return undefined;
    const { at, node } = reader;
    const other = node.input.find((x) => x !== t) ?? '';
    if (node.opType === 'Softmax') {
      const axis = intAttribute(node, 'axis');
      if (axis !== -1 && axis !== 3) return undefined;
      softmax = node;
    } else if (node.opType === 'Mul' || (node.opType === 'Div' && node.input[0] === t)) {
      const c = g.constantScalar(other);
      if (c === undefined || c === 0) return undefined;
      scale *= node.opType === 'Mul' ? c : 1 / c;
    } else if (node.opType === 'Add' && !masked) masked = true;
    else if (node.opType !== 'Cast') return undefined;
    core.push(at);
    t = node.output[0]!;
  }
  if (!softmax || !masked) return undefined;
  // Probabilities (a Cast back is allowed, and scaled_dot_product_attention's guard that zeroes rows with no key
  // visible, which the runtime's causal passes never have) to the product with the values.
  const guard = nanGuard(g, t);
  if (guard) {
    core.push(...guard.nodes);
    t = guard.output;
  }
  for (let step = 0; step < 3; step++) {
    const reader = g.onlyReader(t);
    if (!reader) return undefined;
    if (reader.at === valuePath.product) break;
    if (reader.node.opType !== 'Cast') return undefined;
    core.push(reader.at);
    t = reader.node.output[0]!;
  }
  const weighted = g.nodes[valuePath.product]!;
  if (weighted.input[0] !== t) return undefined;
  core.push(valuePath.product);
  const transpose = g.onlyReader(weighted.output[0]!);
  if (!transpose || transpose.node.opType !== 'Transpose' || !same(ints(transpose.node, 'perm'), [0, 2, 1, 3])) return undefined;
  const reshape = g.onlyReader(transpose.node.output[0]!);
  if (!reshape || reshape.node.opType !== 'Reshape' || reshape.node.input[0] !== transpose.node.output[0]) return undefined;
  core.push(transpose.at);
  if (!Number.isFinite(scale) || scale <= 0) return undefined;
  return {
    layer,
    query: query.tensor,
    key: kc.added,
    value: vc.added,
    output: reshape.node.output[0]!,
    scale,
    replaced: [kc.at!, vc.at!, reshape.at],
    anchor: reshape.at,
    core,
  };
}

function node(opType: string, input: string[], output: string[], attribute: onnx.IAttributeProto[] = [], domain = ''): onnx.NodeProto {
  return onnx.NodeProto.create({ name: `${PREFIX}${output[0]}`, opType, domain, input, output, attribute });
}

const intAttr = (name: string, i: number) => onnx.AttributeProto.create({ name, type: AttributeType.INT, i });
const floatAttr = (name: string, f: number) => onnx.AttributeProto.create({ name, type: AttributeType.FLOAT, f });
const intsAttr = (name: string, values: number[]) => onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: values });

/**
 * The fields to splice so that every layer's attention is one GroupQueryAttention, or undefined where the graph does
 * not qualify (any layer unmatched, subgraphs, no position_ids, opset under 13, GroupQueryAttention there already).
 */
export function attentionFusionSplice(skeleton: GraphSkeleton, shape: AttentionShape): AttentionFusionSplice | undefined {
  if ((skeleton.opset ?? 0) < MIN_OPSET || hasSubgraphs(skeleton.nodes)) return undefined;
  if (!skeleton.inputs.some((v) => v.name === 'position_ids')) return undefined;
  if (skeleton.nodes.some((n) => n.opType === 'GroupQueryAttention' || (n.name ?? '').startsWith(PREFIX))) return undefined;
  const layers = skeleton.inputs.filter((v) => /^past_key_values\.\d+\.key$/.test(v.name ?? '')).length;
  if (layers === 0) return undefined;
  const g = new GraphIndex(skeleton.nodes);
  const matches: LayerMatch[] = [];
  for (let layer = 0; layer < layers; layer++) {
    const m = matchLayer(g, layer, shape);
    if (!m) return undefined;
    matches.push(m);
  }

  // The packed width written out: onnxruntime infers the node's output width from it.
  const packedShape = `${PREFIX}packed_shape`;
  const one = `${PREFIX}one_i32`;
  const seqlens = `${PREFIX}seqlens_k`;
  const total = `${PREFIX}total_sequence_length`;
  // seqlens_k (total length - 1 per row) and the total length, from the last position id of each row, as the
  // shipped model's graph computes them.
  const reduceLast = (skeleton.opset ?? 0) >= 18
    ? node('ReduceMax', ['position_ids', `${PREFIX}axis1`], [`${PREFIX}last_position`], [intAttr('keepdims', 0)])
    : node('ReduceMax', ['position_ids'], [`${PREFIX}last_position`], [intsAttr('axes', [1]), intAttr('keepdims', 0)]);
  const lengths = [
    reduceLast,
    node('Cast', [`${PREFIX}last_position`], [seqlens], [intAttr('to', DataType.INT32)]),
    node('ReduceMax', [seqlens], [`${PREFIX}max_seqlen`], [intAttr('keepdims', 0)]),
    node('Add', [`${PREFIX}max_seqlen`, one], [total]),
  ];
  const rotary = rotaryProjections(g, skeleton, matches, shape);
  const cosCache = `${PREFIX}cos_cache`;
  const sinCache = `${PREFIX}sin_cache`;
  const produced = new Map<string, onnx.NodeProto>();
  const added = new Map<number, onnx.NodeProto[]>();
  for (const [i, m] of matches.entries()) {
    const p = `${PREFIX}${m.layer}/`;
    const attention = (packed: string, rotate: boolean) =>
      node(
        'GroupQueryAttention',
        [packed, '', '', pastKeyName(m.layer), pastValueName(m.layer), seqlens, total, ...(rotate ? [cosCache, sinCache] : [])],
        [m.output, presentKeyName(m.layer), presentValueName(m.layer)],
        [
          intAttr('num_heads', shape.numHeads),
          intAttr('kv_num_heads', shape.kvHeads),
          floatAttr('scale', m.scale),
          intAttr('do_rotary', rotate ? 1 : 0),
          ...(rotate ? [intAttr('rotary_interleaved', 0)] : []),
        ],
        MS_DOMAIN,
      );
    if (rotary) {
      // The projections themselves, packed; the node rotates query and keys by position from its own tables.
      const { q, k, v } = rotary[i]!;
      const nodes = [node('Concat', [q, k, v], [`${p}qkv`], [intAttr('axis', -1)]), attention(`${p}qkv`, true)];
      for (const n of nodes) n.output.forEach((o) => produced.set(o, n));
      added.set(m.anchor, nodes);
      continue;
    }
    // Query, key and value heads stacked ([batch, heads + 2 kv heads, positions, head size]) and laid out as the
    // fused node's packed input, [batch, positions, (heads + 2 kv heads) * head size]: three nodes per layer, and the
    // form decomposedAttention.ts rewrites for a small file's one-thread steps.
    const nodes = [
      node('Concat', [m.query, m.key, m.value], [`${p}qkv_bnsh`], [intAttr('axis', 1)]),
      node('Transpose', [`${p}qkv_bnsh`], [`${p}qkv_bsnh`], [intsAttr('perm', [0, 2, 1, 3])]),
      node('Reshape', [`${p}qkv_bsnh`, packedShape], [`${p}qkv`]),
      attention(`${p}qkv`, false),
    ];
    for (const n of nodes) n.output.forEach((o) => produced.set(o, n));
    added.set(m.anchor, nodes);
  }
  const first = Math.min(...matches.map((m) => m.anchor));
  added.set(first, [...lengths, ...added.get(first)!]);
  for (const n of lengths) n.output.forEach((o) => produced.set(o, n));

  // What still runs: everything the graph's outputs need, through the new nodes.
  const replacedNodes = new Set(matches.flatMap((m) => m.replaced));
  const live = new Set<number>();
  const seen = new Set<string>();
  const pending = skeleton.outputs.map((v) => v.name ?? '');
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (!name || seen.has(name)) continue;
    seen.add(name);
    const fresh = produced.get(name);
    if (fresh) {
      pending.push(...fresh.input);
      continue;
    }
    const at = g.producer.get(name);
    if (at === undefined || replacedNodes.has(at)) continue;
    live.add(at);
    pending.push(...g.nodes[at]!.input);
  }
  // The attention's nodes must all have gone (nothing else, such as an output, reads what they compute), and the
  // fused nodes must be all that reads the cache, as in the shipped model's graph (the runtime may then hand them a
  // buffer longer than its valid rows: attentionReadsOnlyValidRows).
  if (matches.some((m) => m.core.some((i) => live.has(i)))) return undefined;
  const pasts = new Set(matches.flatMap((m) => [pastKeyName(m.layer), pastValueName(m.layer)]));
  if ([...live].some((i) => g.nodes[i]!.input.some((x) => pasts.has(x)))) return undefined;

  const replaced: FieldReplacement[] = [];
  const touched = new Set<number>();
  skeleton.nodes.forEach((_, i) => {
    if (live.has(i)) return;
    const field = skeleton.nodeFields[i]!;
    const nodes = added.get(i);
    replaced.push({ ...field, bytes: nodes ? onnx.GraphProto.encode({ node: nodes }).finish() : new Uint8Array(0) });
    touched.add(field.start);
  });
  // Weights only the removed nodes read (the rotary's inverse frequencies, a mask's constants) go too: onnxruntime
  // would warn about each one left.
  const graphInputs = new Set(skeleton.inputs.map((v) => v.name));
  for (const w of skeleton.initializers) {
    if (!seen.has(w.name) && !graphInputs.has(w.name)) replaced.push({ ...w.field, bytes: new Uint8Array(0) });
  }
  replaced.sort((a, b) => a.start - b.start);

  const int64s = (name: string, values: number[]) =>
    onnx.TensorProto.create({ name, dataType: DataType.INT64, dims: [values.length], rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) });
  const appended = onnx.GraphProto.encode({
    initializer: [
      ...(rotary ? rotaryTables(shape.rotary!, shape.headDim, cosCache, sinCache) : [int64s(packedShape, [0, 0, (shape.numHeads + 2 * shape.kvHeads) * shape.headDim])]),
      ...((skeleton.opset ?? 0) >= 18 ? [int64s(`${PREFIX}axis1`, [1])] : []),
      onnx.TensorProto.create({ name: one, dataType: DataType.INT32, dims: [], rawData: new Uint8Array(Int32Array.of(1).buffer) }),
    ],
  }).finish();
  return { replaced, appended, layers: matches.length, touched };
}

/** Tables of the most rows written (float32, 2 x rows x head size / 2): 8 MB for Qwen2.5's 32k positions. */
const MAX_ROTARY_ROWS = 262_144;

/**
 * Each layer's query, key and value projections where every layer rotates its query and keys the plain way
 * (rotaryOf) with tables computed from position_ids alone, the cache is float32 and config.json describes the
 * rotation (shape.rotary); else undefined, and the export's rotary embedding stays.
 */
function rotaryProjections(g: GraphIndex, skeleton: GraphSkeleton, matches: LayerMatch[], shape: AttentionShape): { q: string; k: string; v: string }[] | undefined {
  if (!shape.rotary || shape.rotary.maxPositions > MAX_ROTARY_ROWS || shape.headDim % 2 !== 0) return undefined;
  const past = skeleton.inputs.find((v) => v.name === pastKeyName(0));
  if (past?.type?.tensorType?.elemType !== DataType.FLOAT) return undefined;
  const graphInputs = new Set(skeleton.inputs.map((v) => v.name ?? ''));
  const tables = new Set<string>();
  const out: { q: string; k: string; v: string }[] = [];
  for (const m of matches) {
    const q = rotaryOf(g, m.query);
    const k = rotaryOf(g, m.key);
    const v = projectionOf(g, m.value);
    if (!q || !k || v === undefined || q.cos !== k.cos || q.sin !== k.sin) return undefined;
    tables.add(q.cos).add(q.sin);
    out.push({ q: q.projection, k: k.projection, v });
  }
  for (const t of tables) {
    const behind = inputsBehind(g, t, graphInputs);
    if (behind.size !== 1 || !behind.has('position_ids')) return undefined;
  }
  return out;
}

/** cos and sin of position x inverse frequency, [positions, head size / 2], as GroupQueryAttention reads them. */
function rotaryTables(rotary: { theta: number; maxPositions: number }, headDim: number, cosName: string, sinName: string): onnx.TensorProto[] {
  const half = headDim / 2;
  const cos = new Float32Array(rotary.maxPositions * half);
  const sin = new Float32Array(rotary.maxPositions * half);
  for (let i = 0; i < half; i++) {
    const inverse = 1 / rotary.theta ** ((2 * i) / headDim);
    for (let pos = 0; pos < rotary.maxPositions; pos++) {
      cos[pos * half + i] = Math.cos(pos * inverse);
      sin[pos * half + i] = Math.sin(pos * inverse);
    }
  }
  const table = (name: string, values: Float32Array) =>
    onnx.TensorProto.create({ name, dataType: DataType.FLOAT, dims: [rotary.maxPositions, half], rawData: new Uint8Array(values.buffer) });
  return [table(cosName, cos), table(sinName, sin)];
}
