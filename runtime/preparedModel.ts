// The file as the runtime runs it, where the export leaves out what makes it fast: the `num_logits_to_keep` input
// (logitsToKeepModel.ts), int8 compute on 4-bit matrix products that leave it unset (accuracyLevel.ts), a 4-bit
// output layer where a 4-bit export left it in float32 (outputLayerQuantization.ts) and attention as one
// GroupQueryAttention per layer (attentionFusion.ts). All are edits of graph fields, spliced into one copy of the
// file (onnxSkeleton.ts); undefined where none applies.
import { onnx } from 'onnx-proto';
import { accuracyReplacements, int8AccuracySkeleton } from './accuracyLevel';
import { attentionFusionSplice, type AttentionShape } from './attentionFusion';
import { logitsToKeepSplice } from './logitsToKeepModel';
import { graphSkeleton, splicedModel, withFile, type ByteSource, type FieldReplacement, type GraphSkeleton, type LazyBytes } from './onnxSkeleton';
import { outputLayerQuantization } from './outputLayerQuantization';

/** What preparing a file changes. */
export interface Preparation {
  /** Whether the input is added. */
  addsLogitsToKeep: boolean;
  /** MatMulNBits nodes set to int8 compute. */
  int8Accuracy: number;
  /** Layers whose attention became one GroupQueryAttention. */
  fusedAttention: number;
  /** Whether the float32 output layer of a 4-bit file became 4-bit. */
  quantizedOutputLayer: boolean;
  /** Whether the embedding lookup that shares the output layer's table became 4-bit too (the float32 table goes). */
  quantizedLookup: boolean;
}

export interface PreparedSplice extends Preparation {
  replaced: FieldReplacement[];
  appended: (Uint8Array | LazyBytes)[];
  modelAppended?: Uint8Array;
}

export interface PrepareOptions {
  /** Whether to add the input where it is missing. */
  logitsToKeep: boolean;
  /** The model's head counts, to fuse its attention; absent: left as it is. */
  attention?: AttentionShape;
}

/** The preparation in words, for the load line; undefined where nothing changed. */
export function describePreparation(p: Preparation | undefined, onnxFile: string): string | undefined {
  if (p === undefined) return undefined;
  const changes = [
    ...(p.addsLogitsToKeep ? ['added num_logits_to_keep (prefills compute logits for the last position only)'] : []),
    ...(p.int8Accuracy > 0 ? [`set int8 compute on ${p.int8Accuracy} 4-bit matrix products that left accuracy_level unset`] : []),
    ...(p.quantizedOutputLayer
      ? [`quantized the output layer the export left in float32 to 4 bits${p.quantizedLookup ? ', with the embedding lookup that shares its table' : ''}`]
      : []),
    ...(p.fusedAttention > 0 ? [`fused the attention of ${p.fusedAttention} layers into GroupQueryAttention`] : []),
  ];
  return changes.length === 0 ? undefined : `Prepared ${onnxFile} as it loaded: ${changes.join('; ')}.`;
}

/** What preparing the graph `skeleton` describes changes. */
export function preparedSplice(skeleton: GraphSkeleton, options: PrepareOptions): PreparedSplice | undefined {
  const accuracy = int8AccuracySkeleton(skeleton);
  const head = outputLayerQuantization(accuracy.skeleton);
  // The input's splice re-encodes the output layer's nodes from this skeleton, so it carries their new form too.
  const keep = options.logitsToKeep ? logitsToKeepSplice(head?.skeleton ?? accuracy.skeleton) : undefined;
  const fusion = options.attention ? attentionFusionSplice(skeleton, options.attention) : undefined;
  if (keep === undefined && accuracy.changed.length === 0 && fusion === undefined && head === undefined) return undefined;
  const byKeep = new Set(keep?.replaced.map((r) => r.start));
  const headFields: FieldReplacement[] = head
    ? [
        { ...skeleton.nodeFields[head.product]!, bytes: onnx.GraphProto.encode({ node: [head.skeleton.nodes[head.product]!] }).finish() },
        ...(head.dropped !== undefined ? [{ ...skeleton.nodeFields[head.dropped]!, bytes: new Uint8Array(0) }] : []),
        ...(head.lookup ? [{ ...skeleton.nodeFields[head.lookup.at]!, bytes: onnx.GraphProto.encode({ node: [head.lookup.node] }).finish() }] : []),
        ...(head.droppedWeight ? [{ ...head.droppedWeight, bytes: new Uint8Array(0) }] : []),
      ].filter((r) => !byKeep.has(r.start))
    : [];
  const byHead = new Set(headFields.map((r) => r.start));
  // Fusion drops only nodes nothing reads any more, so the other edits never touch them; where one would, the drop wins.
  const replaced = [
    ...(keep?.replaced ?? []),
    ...headFields,
    ...accuracyReplacements(accuracy.skeleton, accuracy.changed).filter((r) => !byKeep.has(r.start) && !byHead.has(r.start)),
  ].filter((r) => !fusion?.touched.has(r.start));
  // Either adds contrib ops a float32 export may not import the domain of.
  const msImported = skeleton.domains.includes(MS_DOMAIN);
  return {
    replaced: dedupeFields([...replaced, ...(fusion?.replaced ?? [])]),
    appended: [...(keep ? [keep.appended] : []), ...(fusion ? [fusion.appended] : []), ...(head ? [head.appended] : [])],
    modelAppended: (fusion || head) && !msImported ? MS_OPSET_IMPORT : undefined,
    addsLogitsToKeep: keep !== undefined,
    int8Accuracy: accuracy.changed.length,
    fusedAttention: fusion?.layers ?? 0,
    quantizedOutputLayer: head !== undefined,
    quantizedLookup: head?.lookup !== undefined,
  };
}

const MS_DOMAIN = 'com.microsoft';
const MS_OPSET_IMPORT = onnx.ModelProto.encode({ opsetImport: [onnx.OperatorSetIdProto.create({ domain: MS_DOMAIN, version: 1 })] }).finish();

/** Fields in file order, each once (an initializer two edits drop is dropped once). */
function dedupeFields(fields: FieldReplacement[]): FieldReplacement[] {
  const sorted = [...fields].sort((a, b) => a.start - b.start);
  return sorted.filter((r, i) => i === 0 || r.start !== sorted[i - 1]!.start);
}

/** The prepared model, or undefined where there is nothing to change. */
export function preparedModel(source: ByteSource, skeleton: GraphSkeleton | undefined = graphSkeleton(source), options: PrepareOptions = { logitsToKeep: true }): Uint8Array | undefined {
  const splice = skeleton && preparedSplice(skeleton, options);
  return splice && splicedModel(source, skeleton!, splice.replaced, splice.appended, splice.modelAppended);
}

/** preparedModel of a file, its weights read once into the new model; undefined where nothing changes or it cannot be read. */
export function filePreparedModel(path: string, skeleton?: GraphSkeleton, options: PrepareOptions = { logitsToKeep: true }): Uint8Array | undefined {
  try {
    return withFile(path, (source) => preparedModel(source, skeleton ?? graphSkeleton(source), options));
  } catch {
    return undefined;
  }
}
