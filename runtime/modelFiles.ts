// Finds a model directory's files, picks the ONNX variant for the requested quantization, and checks the files
// before anything loads them: present, plausibly sized, not Git LFS pointers, external data present.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Quantization } from './engine';
import { availableMemory } from './availableMemory';
import { ModelFileCorruptError, ModelNotFoundError, OutOfMemoryError, QUANTIZATION_MISSING_FIX } from './errors';
import { assertNotLfsPointer, readHead } from './fileHead';
import { fileGraphSkeleton } from './onnxSkeleton';
import { outputLayerQuantization } from './outputLayerQuantization';
import { stepWeightBytes, stepWeights, type StepWeights } from './stepWeightBytes';
import { tokenizerDirectory } from './tokenizerFiles';

export type ResolvedQuantization = Exclude<Quantization, 'auto'>;

export interface ModelFiles {
  dir: string;
  config: string;
  generationConfig?: string;
  tokenizer: string;
  tokenizerConfig?: string;
  /** Absolute path of the chosen ONNX file. */
  onnx: string;
  /** The ONNX file relative to `dir`, e.g. `onnx/model_q4.onnx`. */
  onnxFile: string;
  quantization: ResolvedQuantization;
  /** External weight files the ONNX file refers to (all present). */
  externalData: string[];
  /**
   * The folder's 8-bit file beside a chosen 4-bit one, as Optimum-style folders ship both: a large 4-bit model
   * prefills long prompts on it (prefillFile.ts; small ones have a copy built in memory). Absent when there is none
   * or it is a Git LFS pointer or a stub: it only makes prefills faster.
   */
  prefill?: PrefillFile;
  /** Why `auto` took a file other than its first choice, in words (the Output channel shows it). */
  autoChoice?: string;
  /** A 4-bit file that left much of what a step reads in float32: why it decodes slowly, and the fix. */
  weightWarning?: string;
}

export interface PrefillFile {
  onnx: string;
  /** Its size with its external data: what loading it costs in memory. */
  bytes: number;
}

/** File names per quantization, in the order they are tried (transformers.js suffixes). */
export const ONNX_FILE_NAMES: Record<ResolvedQuantization, string[]> = {
  q4: ['model_q4.onnx'],
  int8: ['model_int8.onnx', 'model_quantized.onnx'],
  fp16: ['model_fp16.onnx'],
  fp32: ['model.onnx'],
};

/** `auto`: the fastest variant on CPU first (fp16 last: CPU kernels for it are slow); see autoChoice for the exception. */
const AUTO_ORDER: ResolvedQuantization[] = ['q4', 'int8', 'fp32', 'fp16'];

/** Smaller than any real ONNX decoder; catches empty and placeholder files. */
const MIN_ONNX_BYTES = 1024;
/** Only graph files this small are scanned for external-data references (big ones embed their weights). */
const MAX_SCANNED_ONNX_BYTES = 64 * 1024 * 1024;

function requireFile(dir: string, name: string, what: string): string {
  const path = join(dir, name);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new ModelNotFoundError(`The model directory ${dir} has no ${name} (${what}).`);
  }
  assertNotLfsPointer(path);
  if (statSync(path).size === 0) throw new ModelFileCorruptError(`${path} is empty.`);
  return path;
}


function optionalFile(dir: string, name: string): string | undefined {
  const path = join(dir, name);
  if (!existsSync(path)) return undefined;
  assertNotLfsPointer(path);
  return path;
}

/**
 * External data locations named in an ONNX file: each is a StringStringEntryProto {key: "location", value}, i.e.
 * the bytes 0x0A 0x08 "location" 0x12 <varint length> <value>. A byte scan avoids a protobuf dependency.
 */
export function externalDataLocations(onnxBytes: Buffer): string[] {
  const marker = Buffer.from([0x0a, 0x08, ...Buffer.from('location'), 0x12]);
  const found = new Set<string>();
  for (let at = onnxBytes.indexOf(marker); at >= 0; at = onnxBytes.indexOf(marker, at + 1)) {
    let p = at + marker.length;
    let len = 0;
    for (let shift = 0; p < onnxBytes.length && shift < 28; shift += 7) {
      const b = onnxBytes[p++];
      len |= (b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    if (len > 0 && len < 4096 && p + len <= onnxBytes.length) found.add(onnxBytes.subarray(p, p + len).toString('utf8'));
  }
  return [...found];
}

function checkOnnx(onnxDir: string, name: string): string[] {
  const path = join(onnxDir, name);
  assertNotLfsPointer(path);
  const size = statSync(path).size;
  if (size < MIN_ONNX_BYTES) {
    throw new ModelFileCorruptError(`${path} is only ${size} bytes; it cannot be an ONNX decoder.`);
  }
  const referenced = size <= MAX_SCANNED_ONNX_BYTES ? externalDataLocations(readHead(path, size)) : [];
  const external = [...new Set([...referenced, ...conventionalExternalData(onnxDir, name)])].map((f) => join(onnxDir, f));
  for (const file of external) {
    if (!existsSync(file)) {
      throw new ModelFileCorruptError(`${path} stores its weights in ${basename(file)}, which is missing.`);
    }
    assertNotLfsPointer(file);
  }
  return external;
}

/** Files beside `name` named as exporters name external weights. */
function conventionalExternalData(onnxDir: string, name: string): string[] {
  return readdirSync(onnxDir).filter((f) => f === `${name}_data` || f === `${name}.data` || f.startsWith(`${name}_data_`));
}

/**
 * The folder's first 8-bit file that is neither a Git LFS pointer nor a stub, checked without reading it whole: what
 * a 4-bit choice prefills on, or `auto` takes instead (int8ReadingLess). Anything else wrong with it shows when
 * onnxruntime loads it, and the 4-bit file then prefills.
 */
function folderInt8File(onnxDir: string, present: Set<string>): PrefillFile | undefined {
  for (const name of ONNX_FILE_NAMES.int8.filter((n) => present.has(n))) {
    const onnx = join(onnxDir, name);
    try {
      assertNotLfsPointer(onnx);
      const size = statSync(onnx).size;
      if (size < MIN_ONNX_BYTES) continue;
      return { onnx, bytes: conventionalExternalData(onnxDir, name).reduce((sum, f) => sum + statSync(join(onnxDir, f)).size, size) };
    } catch {
      // the next name, or none
    }
  }
  return undefined;
}

const MB = 1e6;

/**
 * The folder's 8-bit file when it reads fewer weight bytes per token than the 4-bit one, as where the exporter left
 * a tied output layer in float32 (stepWeightBytes.ts): decoding is bound by those bytes. Undefined when either file
 * cannot be read this way; the 4-bit file is then taken, as for any well-quantized export.
 */
function int8ReadingLess(onnxDir: string, q4Name: string, q4: number, int8File: PrefillFile | undefined): { name: string; reason: string } | undefined {
  if (!int8File) return undefined;
  const name = basename(int8File.onnx);
  // Read without its weights; its external data files must be there.
  const skeleton = fileGraphSkeleton(int8File.onnx);
  if (!skeleton || skeleton.initializers.some((w) => w.location !== undefined && !existsSync(join(onnxDir, w.location)))) return undefined;
  const int8 = stepWeightBytes(skeleton);
  if (!int8 || int8 >= q4) return undefined;
  return {
    name,
    reason: `it reads ${Math.round(int8 / MB)} MB of weights per token, onnx/${q4Name} ${Math.round(q4 / MB)} MB`,
  };
}

/** Share of a 4-bit file's step reads in float32 matrix products above which loading it warns. */
const FLOAT32_SHARE_WARNED = 0.25;
/** 4-bit blocks of 32 values with a float32 scale: 20 bytes where float32 takes 128. */
const Q4_BYTES_PER_FLOAT32_BYTE = 20 / 128;

/** What a decode step reads as the runtime runs the file: with a float32 output layer of a 4-bit file made 4-bit (outputLayerQuantization.ts). */
export function fileStepWeights(path: string): StepWeights | undefined {
  const skeleton = fileGraphSkeleton(path);
  const weights = skeleton && stepWeights(skeleton);
  const head = weights && outputLayerQuantization(skeleton!);
  if (!weights || !head) return weights;
  const { float32, quantized } = head.readBytes;
  return { bytes: weights.bytes - float32 + quantized, float32MatMulBytes: Math.max(0, weights.float32MatMulBytes - float32) };
}

function float32Warning(file: string, weights: StepWeights): string | undefined {
  if (weights.float32MatMulBytes <= weights.bytes * FLOAT32_SHARE_WARNED) return undefined;
  const asQ4 = weights.bytes - weights.float32MatMulBytes * (1 - Q4_BYTES_PER_FLOAT32_BYTE);
  return (
    `${file} reads ${Math.round(weights.float32MatMulBytes / MB)} of its ${Math.round(weights.bytes / MB)} MB of weights per token in float32, ` +
    'left unquantized as 4-bit quantizers leave a tied output layer, and decoding is bound by those bytes: an export with them in 4 bits ' +
    `(untie the output layer before quantizing) would read about ${Math.round(asQ4 / MB)} MB, and quantization auto takes the folder's 8-bit file when that reads less.`
  );
}

/** Throws ModelNotFoundError unless `dir` is a directory: checked before any file in it is read. */
export function assertModelDirectory(dir: string): void {
  if (!existsSync(dir)) throw new ModelNotFoundError(`The model directory ${dir} does not exist.`);
  if (!statSync(dir).isDirectory()) throw new ModelNotFoundError(`The model path ${dir} is a file, not a model directory.`);
}

/** Locates and checks every file of the model in `dir`, choosing the ONNX file by `quantization`. */
export function locateModelFiles(dir: string, quantization: Quantization): ModelFiles {
  assertModelDirectory(dir);
  const config = requireFile(dir, 'config.json', 'the model configuration');
  const tokenizerDir = tokenizerDirectory(dir);
  const tokenizer = requireFile(tokenizerDir, 'tokenizer.json', 'the tokenizer');
  const onnxDir = join(dir, 'onnx');
  const present = existsSync(onnxDir) ? new Set(readdirSync(onnxDir)) : new Set<string>();
  const order = quantization === 'auto' ? AUTO_ORDER : [quantization];
  for (const first of order) {
    const firstName = ONNX_FILE_NAMES[first].find((n) => present.has(n));
    if (!firstName) continue;
    const q4Weights = first === 'q4' ? fileStepWeights(join(onnxDir, firstName)) : undefined;
    const int8File = first === 'q4' ? folderInt8File(onnxDir, present) : undefined;
    const swap = quantization === 'auto' && q4Weights ? int8ReadingLess(onnxDir, firstName, q4Weights.bytes, int8File) : undefined;
    const [q, name] = swap ? (['int8', swap.name] as const) : [first, firstName];
    const weightWarning = q === 'q4' && q4Weights ? float32Warning(`onnx/${name}`, q4Weights) : undefined;
    return {
      dir,
      config,
      generationConfig: optionalFile(dir, 'generation_config.json'),
      tokenizer,
      tokenizerConfig: optionalFile(tokenizerDir, 'tokenizer_config.json'),
      onnx: join(onnxDir, name),
      onnxFile: `onnx/${name}`,
      quantization: q,
      externalData: checkOnnx(onnxDir, name),
      prefill: q === 'q4' ? int8File : undefined,
      ...(swap ? { autoChoice: swap.reason } : {}),
      ...(weightWarning ? { weightWarning } : {}),
    };
  }
  const wanted = order.flatMap((q) => ONNX_FILE_NAMES[q]).join(', ');
  const available = [...present].filter((f) => f.endsWith('.onnx'));
  throw new ModelNotFoundError(
    `The model directory ${dir} has no onnx/${wanted.includes(',') ? `{${wanted}}` : wanted}` + (available.length ? ` (it has ${available.join(', ')}).` : '.'),
    ...(available.length ? [QUANTIZATION_MISSING_FIX] : []),
  );
}

const GB = 1e9;

/**
 * Throws OutOfMemoryError when the chosen file and its external data alone are more than this process could hold:
 * what the machine has available plus what the process holds already (a previous model's memory, freed but perhaps
 * not returned). A larger model would not fail cleanly: the system would kill the server while it loads.
 */
export function assertModelFits(files: ModelFiles, budget: number = availableMemory() + process.memoryUsage().rss): void {
  const bytes = [files.onnx, ...files.externalData].reduce((sum, f) => sum + statSync(f).size, 0);
  if (bytes <= budget) return;
  throw new OutOfMemoryError(
    `${files.onnxFile} and its weights take ${(bytes / GB).toFixed(1)} GB, more than the ${(budget / GB).toFixed(1)} GB of memory this machine has available.`,
  );
}
