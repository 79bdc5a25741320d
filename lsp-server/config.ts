// The server's settings: defaults in one place, validated once at the border (initializationOptions and
// workspace/didChangeConfiguration). Anything invalid falls back to its default with a warning.
import { homedir } from 'node:os';
import * as path from 'node:path';
import { excludesChanged as workspaceExcludesChanged, type ExcludeGlobs, type WorkspaceExcludes } from './context/workspaceExcludes';
import { filePathOf } from './fileUri';
import { canonicalLanguageId } from './languageIds';
import { completesLanguage, type CompletionTriggerSetting, type LocusSettingsInput, type QuantizationSetting, type SpeculationSetting } from './protocol';

export interface ServerConfig {
  /** Absolute model directory. */
  modelDir: string;
  /** Absolute draft directory, or undefined for none. */
  draftDir: string | undefined;
  /** True when `modelDir` is the embedded model (`locus.model.path` is empty). */
  usesEmbeddedModel: boolean;
  /**
   * True when `draftDir` is the embedded draft (the embedded model with no draft set): the one draft that may be
   * missing without a word (it is optional); a draft the user set is always loaded or reported.
   */
  usesEmbeddedDraft: boolean;
  quantization: QuantizationSetting;
  threads: number;
  maxNewTokens: number;
  promptTokenBudget: number;
  speculation: SpeculationSetting;
  /** Continuations kept by beam search for a line; 1 decodes greedily. Blocks are always greedy. */
  beamWidth: number;
  /** Language id → enabled; `*` applies to languages not listed. */
  languages: Record<string, boolean>;
  /** Milliseconds a completion may decode after its first token; 0: no limit. */
  timeLimitMs: number;
  /** `manual`: automatic requests get cached completions only; the model runs when the user asks. */
  trigger: CompletionTriggerSetting;
  /** `locus.efficiency.*`: efficiency checks (lsp-server/efficiency/), opt-in. */
  efficiency: { enabled: boolean; samples: number };
  /**
   * Globs kept out of the workspace index (`locus.exclude` plus VS Code's `files.exclude`) and out of prompts
   * (`locus.exclude`): the window's, and those of the folders whose own settings give them (`folders`).
   */
  excludes: WorkspaceExcludes;
  /** Absolute folder for the copies 4-bit models load from, or null for the user's cache folder (runtime/prefillCopyCache.ts). */
  modelCacheDir: string | null;
  /** Absolute folder for the workspace index cache, or null for the OS temp folder. Honoured from initializationOptions only. */
  indexCacheDir: string | null;
  /** `locus.telemetry.enabled`. */
  telemetryEnabled: boolean;
  /** Absolute folder for telemetry records, or null to keep none (the CLI). Honoured from initializationOptions only. */
  telemetryDir: string | null;
}

/** Where the embedded default pair lives, relative to the bundle (`dist/server.js`). */
export interface EmbeddedModelDirs {
  target: string;
  draft: string;
}

export function embeddedModelDirs(bundleDir: string): EmbeddedModelDirs {
  return {
    target: path.resolve(bundleDir, '..', 'models', 'default', 'target'),
    draft: path.resolve(bundleDir, '..', 'models', 'default', 'draft'),
  };
}

export const DEFAULTS = {
  quantization: 'auto',
  threads: 0,
  maxNewTokens: 96,
  promptTokenBudget: 512,
  speculation: 'auto',
  // Held-out single-line exact match 17.4% -> 20.3% at a new place for ~14 ms at the median (MODEL_CARD.md).
  beamWidth: 3,
  // Prose gets little from a code model and ghost text there is mostly noise.
  languages: { '*': true, plaintext: false, markdown: false, scminput: false },
  // A block from a large model on a slow machine (0.5B, ~50 tok/s: 96 tokens in ~2 s) shows its first lines after
  // a second instead; the embedded model's blocks finish well within it (multi-line p95 ~200 ms on 2 cores).
  timeLimitMs: 1000,
  trigger: 'automatic',
  // Opt-in: the checks run model-written code (sandboxed) and cost a few extra generations per function.
  efficiency: { enabled: false, samples: 4 },
  // Nothing leaves the machine, so recording is on unless the user turns it off.
  telemetryEnabled: true,
} as const satisfies Partial<ServerConfig>;

const QUANTIZATIONS: readonly QuantizationSetting[] = ['auto', 'q4', 'int8', 'fp16', 'fp32'];
const SPECULATIONS: readonly SpeculationSetting[] = ['auto', 'draft', 'lookup', 'off'];
const TRIGGERS: readonly CompletionTriggerSetting[] = ['automatic', 'manual'];
export const LIMITS = {
  threads: { min: 0, max: 64 },
  maxNewTokens: { min: 1, max: 1024 },
  beamWidth: { min: 1, max: 8 },
  timeLimitMs: { min: 0, max: 600_000 },
  promptTokenBudget: { min: 32, max: 32768 },
  efficiencySamples: { min: 1, max: 8 },
};

export interface ValidationResult {
  config: ServerConfig;
  /** One line per ignored value, for the log. */
  warnings: string[];
}

type KeySet<T> = { readonly [K in keyof Required<T>]: true };

/** Keys whose value is replaced whole, never merged key by key: a list, and the folders' settings (sent for every folder). */
type WholeValueKey = 'exclude' | 'folders';

/**
 * Every key of {@link LocusSettingsInput} (the type makes the list complete): anything else is a misspelling worth a
 * warning, not a silent default. `null`: a value replaced whole, not a section.
 */
const KNOWN_KEYS: { readonly [K in keyof Required<LocusSettingsInput>]: K extends WholeValueKey ? null : KeySet<NonNullable<LocusSettingsInput[K]>> } = {
  model: { path: true, draftPath: true, quantization: true, threads: true, cacheDir: true },
  completion: { maxNewTokens: true, promptTokenBudget: true, speculation: true, beamWidth: true, languages: true, timeLimitMs: true, trigger: true },
  efficiency: { enabled: true, samples: true },
  exclude: null,
  folders: null,
  context: { filesExclude: true, cacheDir: true },
  telemetry: { enabled: true, dir: true },
};

function knownKeysOf(key: string): Readonly<Record<string, true>> | null | undefined {
  return Object.hasOwn(KNOWN_KEYS, key) ? KNOWN_KEYS[key as keyof LocusSettingsInput] : undefined;
}

/**
 * The `locus` section from a client's `initializationOptions` or settings: editors other than VS Code often pass
 * their whole configuration block, `{ "locus": { ... } }`, which is unwrapped.
 */
export function locusSection(input: unknown): unknown {
  // Unwrapped when it holds a `locus` object and no Locus setting of its own (other servers' sections may sit beside it).
  if (!isRecord(input) || !isRecord(input.locus)) return input;
  return Object.keys(input).some((key) => knownKeysOf(key) !== undefined) ? input : input.locus;
}

/**
 * `update` over `base`, section by section: a section `update` has replaces each of its keys in `base`'s, so a
 * client may send only what changed. A key's value (a language table, a glob list) is replaced whole, never merged.
 * Keys that are not Locus settings are left out (validateSettings warns about them once, where they arrive).
 */
export function mergeSettings(base: unknown, update: unknown): Record<string, unknown> {
  const merged: Record<string, unknown> = isRecord(base) ? { ...base } : {};
  if (!isRecord(update)) return merged;
  for (const [key, value] of Object.entries(update)) {
    const known = knownKeysOf(key);
    // `null` changes nothing at any level, as the README says (for one key it reset the setting to its default).
    if (known === undefined || value === null) continue;
    if (known === null) {
      merged[key] = value;
      continue;
    }
    // A section that is not an object is ignored, as a `locus` that is not one is: its settings stay as they were
    // (it wiped the values only `initializationOptions` carried, such as the storage folders).
    if (!isRecord(value)) continue;
    const section: Record<string, unknown> = isRecord(merged[key]) ? { ...(merged[key] as Record<string, unknown>) } : {};
    for (const [inner, innerValue] of Object.entries(value)) if (Object.hasOwn(known, inner) && innerValue !== null) section[inner] = innerValue;
    merged[key] = section;
  }
  return merged;
}

/** Validates the client's `locus` section. Relative model paths are resolved against `baseDir`. */
export function validateSettings(input: unknown, embedded: EmbeddedModelDirs, baseDir = process.cwd()): ValidationResult {
  const warnings: string[] = [];
  const root = isRecord(input) ? input : {};
  warnUnknownKeys(root, warnings);
  if (input !== undefined && input !== null && !isRecord(input)) warnings.push('locus settings are not an object; using defaults');
  const model = section(root, 'model', warnings);
  const completion = section(root, 'completion', warnings);
  const contextSection = section(root, 'context', warnings);
  const telemetry = section(root, 'telemetry', warnings);
  const efficiency = section(root, 'efficiency', warnings);
  const exclude = globsSetting(root.exclude, 'exclude', warnings);
  const filesExclude = globsSetting(contextSection.filesExclude, 'context.filesExclude', warnings);

  const modelPath = stringSetting(model.path, 'model.path', warnings);
  const draftPath = stringSetting(model.draftPath, 'model.draftPath', warnings);
  const usesEmbeddedModel = modelPath === '';
  const modelDir = usesEmbeddedModel ? embedded.target : path.resolve(baseDir, withHome(modelPath));
  const draftDir = draftPath !== '' ? path.resolve(baseDir, withHome(draftPath)) : usesEmbeddedModel ? embedded.draft : undefined;

  return {
    config: {
      modelDir,
      draftDir,
      usesEmbeddedModel,
      usesEmbeddedDraft: usesEmbeddedModel && draftPath === '',
      quantization: enumSetting(model.quantization, QUANTIZATIONS, DEFAULTS.quantization, 'model.quantization', warnings),
      threads: intSetting(model.threads, LIMITS.threads, DEFAULTS.threads, 'model.threads', warnings),
      maxNewTokens: intSetting(completion.maxNewTokens, LIMITS.maxNewTokens, DEFAULTS.maxNewTokens, 'completion.maxNewTokens', warnings),
      promptTokenBudget: intSetting(
        completion.promptTokenBudget,
        LIMITS.promptTokenBudget,
        DEFAULTS.promptTokenBudget,
        'completion.promptTokenBudget',
        warnings,
      ),
      speculation: enumSetting(completion.speculation, SPECULATIONS, DEFAULTS.speculation, 'completion.speculation', warnings),
      beamWidth: intSetting(completion.beamWidth, LIMITS.beamWidth, DEFAULTS.beamWidth, 'completion.beamWidth', warnings),
      languages: languagesSetting(completion.languages, warnings),
      timeLimitMs: intSetting(completion.timeLimitMs, LIMITS.timeLimitMs, DEFAULTS.timeLimitMs, 'completion.timeLimitMs', warnings),
      trigger: enumSetting(completion.trigger, TRIGGERS, DEFAULTS.trigger, 'completion.trigger', warnings),
      excludes: { window: excludeGlobs(exclude, filesExclude), folders: folderExcludes(root.folders, { exclude, filesExclude, rawExclude: root.exclude, rawFilesExclude: contextSection.filesExclude }, warnings) },
      modelCacheDir: absoluteDirSetting(model.cacheDir, 'model.cacheDir', "the user's cache folder", warnings),
      indexCacheDir: absoluteDirSetting(contextSection.cacheDir, 'context.cacheDir', 'the temp folder', warnings),
      efficiency: {
        enabled: booleanSetting(efficiency.enabled, DEFAULTS.efficiency.enabled, 'efficiency.enabled', warnings),
        samples: intSetting(efficiency.samples, LIMITS.efficiencySamples, DEFAULTS.efficiency.samples, 'efficiency.samples', warnings),
      },
      telemetryEnabled: booleanSetting(telemetry.enabled, DEFAULTS.telemetryEnabled, 'telemetry.enabled', warnings),
      telemetryDir: telemetryDirSetting(telemetry.dir, warnings),
    },
    warnings,
  };
}

export function isLanguageEnabled(config: ServerConfig, languageId: string): boolean {
  return completesLanguage(config.languages, languageId);
}

/** Whether going from `before` to `after` needs the model reloaded. */
export function needsModelReload(before: ServerConfig, after: ServerConfig): boolean {
  return typedModelSettingChanged(before, after) || before.quantization !== after.quantization;
}

/**
 * Whether a model setting typed in a text box (a folder's path, the thread count) changed: the Settings editor writes
 * such a value at each pause, so its reload waits for the typing to settle; a value picked from a list reloads at once.
 */
export function typedModelSettingChanged(before: ServerConfig, after: ServerConfig): boolean {
  return before.modelDir !== after.modelDir || before.draftDir !== after.draftDir || before.threads !== after.threads;
}

function warnUnknownKeys(root: Record<string, unknown>, warnings: string[]): void {
  for (const [key, value] of Object.entries(root)) {
    const known = knownKeysOf(key);
    if (known === undefined) {
      warnings.push(`locus.${key} is not a Locus setting; ignored (settings: ${Object.keys(KNOWN_KEYS).join(', ')})`);
      continue;
    }
    if (known === null || !isRecord(value)) continue;
    for (const inner of Object.keys(value)) {
      if (!Object.hasOwn(known, inner)) warnings.push(`locus.${key}.${inner} is not a Locus setting; ignored (locus.${key} has ${Object.keys(known).join(', ')})`);
    }
  }
}

function section(root: Record<string, unknown>, key: keyof LocusSettingsInput, warnings: string[]): Record<string, unknown> {
  const value = root[key];
  if (value === undefined || value === null) return {};
  if (isRecord(value)) return value;
  warnings.push(`locus.${key} is not an object; it is ignored`);
  return {};
}

function stringSetting(value: unknown, name: string, warnings: string[]): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value.trim();
  warnings.push(`locus.${name} must be a string; using the default`);
  return '';
}

function enumSetting<T extends string>(value: unknown, allowed: readonly T[], fallback: T, name: string, warnings: string[]): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  warnings.push(`locus.${name} must be one of ${allowed.join(', ')}; using ${fallback}`);
  return fallback;
}

function intSetting(value: unknown, limits: { min: number; max: number }, fallback: number, name: string, warnings: string[]): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= limits.min && value <= limits.max) return value;
  warnings.push(`locus.${name} must be an integer from ${limits.min} to ${limits.max}; using ${fallback}`);
  return fallback;
}

function booleanSetting(value: unknown, fallback: boolean, name: string, warnings: string[]): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  warnings.push(`locus.${name} must be true or false; using ${fallback}`);
  return fallback;
}

/** Exclude globs kept at most (a longer list is cut, with a warning). */
const MAX_EXCLUDE_GLOBS = 500;

function globsSetting(value: unknown, name: string, warnings: string[]): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    warnings.push(`locus.${name} must be a list of glob patterns; ignored`);
    return [];
  }
  const globs = value.filter((g): g is string => typeof g === 'string' && g.trim() !== '').map((g) => g.trim());
  if (globs.length < value.length) warnings.push(`locus.${name}: entries that are not non-empty strings were ignored`);
  if (globs.length > MAX_EXCLUDE_GLOBS) warnings.push(`locus.${name}: only the first ${MAX_EXCLUDE_GLOBS} patterns are used`);
  return globs.slice(0, MAX_EXCLUDE_GLOBS);
}

function absoluteDirSetting(value: unknown, name: string, fallback: string, warnings: string[]): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'string' && path.isAbsolute(value)) return value;
  warnings.push(`locus.${name} must be an absolute path; using ${fallback}`);
  return null;
}

/** Whether going from `before` to `after` changes what the workspace index or prompts may hold, in any folder. */
export function excludesChanged(before: ServerConfig, after: ServerConfig): boolean {
  return workspaceExcludesChanged(before.excludes, after.excludes);
}

function excludeGlobs(exclude: string[], filesExclude: string[]): ExcludeGlobs {
  return { index: [...exclude, ...filesExclude], prompt: exclude };
}

/**
 * `locus.folders`: folder URI → that folder's own `exclude` and `filesExclude` (a multi-root workspace's folder
 * settings). What a folder's entry leaves out is the window's; a folder without a local path is never indexed.
 */
/** The window's globs, and its values as received: a folder's entry that repeats them is the window's, warned about once. */
interface WindowExcludes {
  exclude: string[];
  filesExclude: string[];
  rawExclude: unknown;
  rawFilesExclude: unknown;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function folderExcludes(value: unknown, window: WindowExcludes, warnings: string[]): Map<string, ExcludeGlobs> {
  const folders = new Map<string, ExcludeGlobs>();
  if (value === undefined || value === null) return folders;
  if (!isRecord(value)) {
    warnings.push('locus.folders must be an object of folder URI → { exclude, filesExclude }; ignored');
    return folders;
  }
  for (const [uri, entry] of Object.entries(value)) {
    const folder = filePathOf(uri);
    if (entry === null || folder === undefined) continue;
    if (!isRecord(entry)) {
      warnings.push(`locus.folders["${uri}"] must be an object with exclude and filesExclude; ignored`);
      continue;
    }
    for (const key of Object.keys(entry)) if (key !== 'exclude' && key !== 'filesExclude') warnings.push(`locus.folders["${uri}"].${key} is not a folder setting; ignored (a folder has exclude, filesExclude)`);
    // VS Code gives a folder without a value of its own the workspace's: the client sends it for every folder.
    const exclude = entry.exclude === undefined || entry.exclude === null || sameValue(entry.exclude, window.rawExclude) ? window.exclude : globsSetting(entry.exclude, `folders["${uri}"].exclude`, warnings);
    const filesExclude = entry.filesExclude === undefined || entry.filesExclude === null || sameValue(entry.filesExclude, window.rawFilesExclude) ? window.filesExclude : globsSetting(entry.filesExclude, `folders["${uri}"].filesExclude`, warnings);
    folders.set(path.resolve(folder), excludeGlobs(exclude, filesExclude));
  }
  return folders;
}

function telemetryDirSetting(value: unknown, warnings: string[]): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'string' && path.isAbsolute(value)) return value;
  warnings.push('locus.telemetry.dir must be an absolute path; recording nothing');
  return null;
}

function languagesSetting(value: unknown, warnings: string[]): Record<string, boolean> {
  const result: Record<string, boolean> = { ...DEFAULTS.languages };
  if (value === undefined || value === null) return result;
  if (!isRecord(value)) {
    warnings.push('locus.completion.languages must be an object of language id → true/false; using the default');
    return result;
  }
  for (const [language, enabled] of Object.entries(value)) {
    // Documents carry VS Code's language ids (languageIds.ts), whichever editor sent them: so do these keys.
    if (typeof enabled === 'boolean') result[canonicalLanguageId(language)] = enabled;
    else warnings.push(`locus.completion.languages.${language} must be true or false; ignored`);
  }
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `~` or `~/...` as a shell reads it: the folder settings name is often written that way, and no server cwd means it. */
export function withHome(dir: string): string {
  return dir === '~' || dir.startsWith('~/') || dir.startsWith('~\\') ? path.join(homedir(), dir.slice(1)) : dir;
}
