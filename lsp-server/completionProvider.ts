// Inline completions: document → FIM prompt → one scheduled model run → post-processed ghost text.
import type { InlineCompletionItem, Position, Range } from 'vscode-languageserver-protocol';
import { GREEDY_SAMPLING, type GenerateResult, type InferenceEngine, type ModelInfo, type SamplingOptions, type TokenScore } from '../runtime/engine';
import { limitToBlock } from './blockScope';
import { completableText } from './completableDocument';
import type { CachedRest, CompletionCache } from './completionCache';
import { completionMode, stopStringsFor, type CompletionMode } from './completionMode';
import type { CompletionTrigger } from './completionTrigger';
import { BlockSettling, unsureLine } from './confidentLines';
import { DEFAULTS, isLanguageEnabled, type ServerConfig } from './config';
import type { CompletionPrompt, CursorText } from './context/contextPromptBuilder';
import { listedMemberAccess, sourceKindOf } from './context/memberAccess';
import { cursorContext, type CursorContext } from './cursorContext';
import { asModelText, withLineEnding } from './modelText';
import type { CompletionRefiner } from './efficiency/efficiencyChecker';
import { finishedPart } from './finishedText';
import { buildFimPrompt, type FimTokenIds, type PromptTokenizer } from './fimPrompt';
import { newTokensFor, promptBudgetFor } from './generationRoom';
import { describeError, type Logger } from './logger';
import { postProcess } from './postProcess';
import { samePosition } from './samePosition';
import { withoutTextAfterCursor } from './suffixOverlap';
import { healPrefix } from './tokenHealing';
import type { CompletionTimings } from './protocol';
import type { RequestScheduler } from './requestScheduler';
import type { CompletionTelemetry } from './telemetry/telemetryFeature';
import type { RequestTrace } from './telemetry/telemetryRecorder';

/** A model ready to complete: what `ModelHost` hands out. */
export interface LoadedModel {
  engine: InferenceEngine;
  tokenizer: PromptTokenizer;
  info: ModelInfo;
  fim: FimTokenIds | null;
}

/** The part of a text document the provider reads (the server's LineArrayDocument). */
export interface CompletionDocument {
  uri: string;
  languageId: string;
  version: number;
  /** Characters in the text, known without reading it: a document too large to complete is never joined. */
  length: number;
  getText(): string;
  offsetAt(position: Position): number;
}

export interface CompletionProviderDeps {
  model: () => LoadedModel | undefined;
  config: () => ServerConfig;
  scheduler: RequestScheduler;
  logger: Logger;
  /** Milliseconds, monotonic. */
  clock: () => number;
  onTimings: (timings: CompletionTimings) => void;
  /** Recent completions, answered without a model run while the user types them; without it every request runs the model. */
  cache?: CompletionCache;
  /** Local latency telemetry; tests that do not look at it leave it out. */
  telemetry?: CompletionTelemetry;
  /** The prompt with workspace context (retrieved snippets, compressed to the budget); undefined means the plain FIM prompt. */
  contextPrompt?: (model: LoadedModel, uri: string, text: Omit<CursorText, 'file'>, signal: AbortSignal) => Promise<CompletionPrompt | undefined>;
  /**
   * The words a completion must start with on a member access: a workspace module's names, else the editor's
   * members there (contextFeature.ts, editorMemberNames.ts); undefined leaves it free; null leaves it free too, but
   * the editor's list was still missing, so the completion is not cached for the next request to replay.
   */
  wordChoices?: (document: CompletionDocument, position: Position, typedPrefix: string, suffix: string, signal: AbortSignal) => Promise<string[] | null | undefined>;
  /** Efficiency checks: a finished refinement for this exact position answers first; plain suggestions are handed over. */
  efficiency?: CompletionRefiner;
  /** Why a document's text must stay out of prompts (promptPrivacy.ts); undefined when it may go in. */
  privateReason?: (uri: string) => string | undefined;
  /** A document is skipped, with the sentence saying why, or completed again (null): once per change, not per request. */
  onSkipped?: (uri: string, reason: string | null) => void;
  /**
   * Documents skipped or completed as one (a notebook's cells: its path decides), named by one key; a document is
   * its own group without it. A cell that completes clears what another cell of its notebook was told.
   */
  skipGroup?: (uri: string) => string;
}

/** Whether a generation stopped mid-text: out of time, or at the token cap. */
function endedUnfinished(result: GenerateResult): boolean {
  return result.stopReason === 'time' || result.stopReason === 'length';
}

/** A model run's result; `stoppedUnsure`: stopped at a line the model was unsure of, before the model ended it. */
type RunResult = GenerateResult & { stoppedUnsure?: true };

/** A cache answer: the rests it shows, each with its place in the answer it came from, and that answer's request. */
interface CachedAnswer {
  suggestions: { text: string; rank: number }[];
  origin?: string;
}

/**
 * The text offered for a generation: post-processed, and only its finished part when it stopped mid-text;
 * `confidentLines`: of a block, that many leading lines (confidentLines.ts).
 */
function shownText(result: GenerateResult, mode: CompletionMode, ctx: CursorContext, confidentLines = Infinity): string {
  return postProcess(endedUnfinished(result) ? finishedPart(result.text, mode) : result.text, mode, ctx, confidentLines);
}

/** What a block shows: its lines up to where the model grew unsure of them; `whole` where it never did. */
function confidentText(result: GenerateResult, mode: CompletionMode, ctx: CursorContext, whole: string): string {
  if (mode !== 'multi-line' || result.tokenScores === undefined || whole === '') return whole;
  const unsure = unsureLine(result.text, result.tokenScores);
  return unsure === undefined ? whole : shownText(result, mode, ctx, unsure);
}

/**
 * Beam search's runners-up as the editor offers them after the answer (VS Code: Alt+] cycles through them): each
 * post-processed like the answer, none empty, none shown twice. They ended at a line end or the text's end (never
 * at the token cap), so none is cut to a finished part.
 */
function runnersUp(result: GenerateResult, shown: string, mode: CompletionMode, ctx: CursorContext): string[] {
  const texts = new Set([shown]);
  for (const alternative of result.alternatives ?? []) {
    const text = postProcess(alternative, mode, ctx);
    if (text.trim() !== '') texts.add(text);
  }
  return [...texts].slice(1);
}

/**
 * What a cached rest shows. Where the editor auto-closed openers typed from the completion, the rest is the one a new
 * completion would show there: without its copy of the closers that now follow the cursor ('' when nothing of it is
 * left); undefined where the rest and those closers would not spell the completion's start (`{ a: [` + `]}` before
 * `1, 2] }` would give `1, 2] }]}`), so the model is asked with the text as it is.
 */
function restToShow(hit: CachedRest, ctx: CursorContext): string | undefined {
  if (hit.autoClosed === '') return hit.text;
  const rest = withoutTextAfterCursor(hit.text, ctx);
  if (!hit.text.startsWith(rest + hit.autoClosed)) return undefined;
  return rest.trim() === '' ? '' : rest;
}

function tokenCount(n: number): string {
  return n === 1 ? '1 token' : `${n} tokens`;
}

/**
 * The suggest widget's selected item, as LSP's `selectedCompletionInfo` gives it: while the widget is open, an inline
 * completion is shown only if it extends that item's text over the same range (VS Code's rule), so the completion is
 * made after the item and offered as the item's text followed by it.
 */
export interface SelectedItem {
  range: Range;
  text: string;
}

/** Where an item goes: its range, and the text before the completion (the selected item's). */
interface ItemPlace {
  lead: string;
  range: Range;
}

interface CompletionSite {
  text: string;
  offset: number;
  /** The cursor in the document's coordinates (for the editor's member list); undefined when it has none there. */
  cursor: Position | undefined;
  place: ItemPlace;
}

function atCursor(document: CompletionDocument, text: string, position: Position): CompletionSite {
  return { text, offset: document.offsetAt(position), cursor: position, place: { lead: '', range: { start: position, end: position } } };
}

function afterSelectedItem(document: CompletionDocument, documentText: string, selected: SelectedItem): CompletionSite {
  const start = document.offsetAt(selected.range.start);
  const end = Math.max(start, document.offsetAt(selected.range.end));
  const cursor = selected.text.includes('\n') ? undefined : { line: selected.range.start.line, character: selected.range.start.character + selected.text.length };
  return {
    text: documentText.slice(0, start) + selected.text + documentText.slice(end),
    offset: start + selected.text.length,
    cursor,
    place: { lead: selected.text, range: selected.range },
  };
}

/**
 * A cursor place, kept without the whole file: its model, document, the length of the text before it and the
 * characters on either side. Typing anywhere before the cursor changes the length; edits far from it that keep the
 * length are so rare that treating them as the same place costs one unlimited run at most.
 */
interface CutPlace {
  model: LoadedModel;
  uri: string;
  prefixLength: number;
  prefixTail: string;
  suffixHead: string;
  suffixLength: number;
}

const PLACE_CHARS = 256;

function cutPlace(model: LoadedModel, uri: string, ctx: CursorContext): CutPlace {
  return { model, uri, prefixLength: ctx.prefix.length, prefixTail: ctx.prefix.slice(-PLACE_CHARS), suffixHead: ctx.suffix.slice(0, PLACE_CHARS), suffixLength: ctx.suffix.length };
}

function samePlace(a: CutPlace, b: CutPlace): boolean {
  return a.model === b.model && a.uri === b.uri && a.prefixLength === b.prefixLength && a.prefixTail === b.prefixTail && a.suffixHead === b.suffixHead && a.suffixLength === b.suffixLength;
}

export class CompletionProvider {
  /**
   * Document (or its group, `skipGroup`) → why it was last said to be skipped, the document it was said for, and
   * whether the reason was its privacy (the exclude settings may lift it); gone once it can be completed again.
   */
  private readonly skipped = new Map<string, { reason: string; uri: string; private: boolean }>();
  /** The model the cached completions came from. */
  private cachedModel: LoadedModel | undefined;
  /** Model and setting last warned of a capped generation (once per pair). */
  private cappedWarning = '';
  /** Where the last model run stopped at the time limit: the user's asking again there (Alt+\) lets it finish. */
  private lastCut: CutPlace | undefined;
  /** The last answer with items, where and for which text it was given (a look at that place gets it again). */
  private lastAnswer: { uri: string; version: number; position: Position; items: InlineCompletionItem[] } | undefined;
  /** Model and time limit last said to cut a completion (once per pair). */
  private timeLimitNoted = '';
  /** Model and token cap last said to leave a completion with nothing finished (once per pair). */
  private tokenLimitNoted = '';

  constructor(private readonly deps: CompletionProviderDeps) {}

  /**
   * The workspace context that prompts are built from changed (folders added or removed, files newly excluded): the
   * cached completions go, since they may continue code of a folder or file that must no longer reach a suggestion.
   */
  contextChanged(): void {
    this.deps.cache?.clear();
    // A document skipped for its privacy that the new excludes let in (or name otherwise) is said so now: its status
    // bar kept "locus.exclude names it" until the next request there, and with manual completions none may come.
    for (const [group, said] of this.skipped) {
      if (!said.private) continue;
      const reason = this.deps.privateReason?.(said.uri);
      if (reason === said.reason) continue;
      if (reason === undefined) this.skipped.delete(group);
      else this.skipped.set(group, { ...said, reason });
      this.deps.onSkipped?.(said.uri, reason ?? null);
    }
  }

  /**
   * A document opened whose privacy keeps it out of prompts (a secret, `locus.exclude`) is said so at once: its status
   * bar showed Locus ready until the first request there, which with manual completions may never come.
   */
  documentOpened(uri: string): void {
    const reason = this.deps.privateReason?.(uri);
    if (reason !== undefined) this.noteSkipped(uri, reason, true);
  }

  /** The client forgets a closed document's skip reason (extension/skippedDocuments.ts): it is said again on reopening. */
  documentClosed(uri: string): void {
    this.skipped.delete(this.skipGroupOf(uri));
  }

  /**
   * Never throws: a failure is logged and answers no items. `trigger`: why the editor asks ({@link CompletionTrigger});
   * with `locus.completion.trigger` manual only explicit requests run the model. A look gets the last answer again
   * where it was given for this place and text, else the cache's suggestion at the cursor, else a model run shown as
   * typing would show it. `selected`: the suggest widget's selected item, which the completion continues (see
   * {@link SelectedItem}).
   */
  async provide(document: CompletionDocument, position: Position, signal: AbortSignal, trigger: CompletionTrigger = 'typing', selected?: SelectedItem): Promise<InlineCompletionItem[]> {
    const version = document.version;
    const items = await this.answer(document, position, signal, trigger, selected);
    this.lastAnswer = items.length > 0 && document.version === version && selected === undefined ? { uri: document.uri, version, position, items } : undefined;
    return items;
  }

  private async answer(document: CompletionDocument, position: Position, signal: AbortSignal, trigger: CompletionTrigger, selected: SelectedItem | undefined): Promise<InlineCompletionItem[]> {
    const started = this.deps.clock();
    // The document object follows the client's edits (TextDocuments updates it in place).
    const version = document.version;
    // Requests that stop before the model (language off, document too large, no model) never call done(): not recorded.
    const trace = this.deps.telemetry?.begin({ language: document.languageId, model: this.deps.model()?.info.name ?? 'none' });
    try {
      const config = this.deps.config();
      if (!isLanguageEnabled(config, document.languageId)) return [];
      const documentText = this.completableText(document);
      if (documentText === undefined) return [];
      const model = this.deps.model();
      if (model === undefined) return [];

      // With an item selected, the model writes on from the text as it would be with that item accepted.
      const site = selected === undefined ? atCursor(document, documentText, position) : afterSelectedItem(document, documentText, selected);
      const { place } = site;
      let { text, offset, cursor } = site;
      let ctx = cursorContext(text, offset, document.languageId);
      // A refined answer needs no model run (and, like other early answers, is not recorded as a completion). Refinements
      // belong to the document's own text, not to one with a suggested item in it.
      if (selected === undefined) {
        this.deps.efficiency?.cancelOthers(document.uri, document.version, offset);
        const refined = this.deps.efficiency?.offerFirst(document.uri, document.version, offset);
        if (refined !== undefined) return refined.map((insertText) => ({ insertText, range: { start: position, end: position } }));
        // A look asks for what is on screen: the last answer, where it was given for this place and text.
        const last = this.lastAnswer;
        if (trigger === 'look' && last?.uri === document.uri && last.version === document.version && samePosition(last.position, position)) return last.items;
      }
      this.forgetCacheOfOtherModel(model);
      if (selected === undefined) this.noteTypedOut(document.uri, ctx);
      // Asked for (Alt+\) in a suggestion shown only in part (a block cut where the model grew unsure, or at the time
      // limit), the model runs where that suggestion was made, the characters typed into it since taken out again: the
      // user wants the rest, which a run at the cursor (one line, in the middle of one) would not write.
      let partial = trigger === 'asked' && selected === undefined ? this.deps.cache?.partialAt(document.uri, ctx.prefix, ctx.suffix) : undefined;
      // In the document's own line ends (the cache keeps LF); '' where the run is at the cursor.
      let typedInto = withLineEnding(partial?.typed ?? '', ctx.eol);
      const typingCtx = ctx;
      if (typedInto !== '' && text.slice(offset - typedInto.length, offset) !== typedInto) {
        // Not the document's characters before the cursor (mixed line ends): the cache's rest, as before.
        partial = undefined;
        typedInto = '';
      }
      if (typedInto !== '') {
        text = text.slice(0, offset - typedInto.length) + text.slice(offset);
        offset -= typedInto.length;
        cursor = undefined;
        ctx = cursorContext(text, offset, document.languageId);
      }
      const mode = completionMode(ctx);
      // An explicit request gets the suggestion on screen, also at the cursor it was made for, where it was whole (a new
      // run would write it again); typing there again (a retrigger) asks the model.
      const cached = partial !== undefined ? undefined : this.fromCache(document, ctx, selected !== undefined || trigger !== 'typing');
      if (cached !== undefined) {
        const suggestions = cached.suggestions.map((suggestion) => ({ ...suggestion, text: withLineEnding(suggestion.text, ctx.eol) }));
        return this.answerFromCache(document.uri, place, { ...cached, suggestions }, started, trace);
      }
      // The rest of a suggestion the user asked for keeps showing while it is typed (above); nothing new is made.
      if (config.trigger === 'manual' && trigger === 'typing') return [];
      if (mode === 'none') return [];
      const budget = promptBudgetFor(model.info.maxContext, config.promptTokenBudget, config.maxNewTokens);
      this.warnIfGenerationCapped(model, config);
      const healed = healPrefix(model.tokenizer, ctx.prefix);
      // Asked first: the editor works out its member list while the prompt is built.
      // A selected item of several lines puts the cursor where the document has no such place to ask about.
      const wordChoices = cursor === undefined ? undefined : this.deps.wordChoices?.(document, cursor, ctx.prefix, ctx.suffix, signal).catch(() => undefined);
      const context = await this.deps.contextPrompt?.(model, document.uri, { prefix: healed.prefix, typedPrefix: ctx.prefix, suffix: ctx.suffix }, signal);
      const prompt = context ?? buildFimPrompt(model.tokenizer, model.fim, healed.prefix, ctx.suffix, budget);
      const choices = await wordChoices;
      const words = choices ?? undefined;
      trace?.promptBuilt({
        promptTokens: context?.uncompressedTokens ?? prompt.ids.length,
        promptTokensCompressed: prompt.ids.length,
        retrievalMs: context?.retrievalMs,
        compressionMs: context?.compressionMs,
      });
      // The user asked again where the last completion was cut: this one may take the time it needs.
      const finishing = trigger === 'asked' && this.lastCut !== undefined && samePlace(this.lastCut, cutPlace(model, document.uri, ctx));
      const runConfig = finishing ? { ...config, timeLimitMs: 0 } : config;
      const result = await this.deps.scheduler.schedule(signal, async (runSignal) =>
        // A reload while the prompt was built disposed this model's engine: nothing to ask it.
        this.deps.model() !== model
          ? undefined
          : this.generate(model, { ids: prompt.ids, required: healed.required, words }, runConfig, mode, ctx, runSignal, () => trace?.firstToken(), {
              wholeBlock: trigger === 'asked' || this.deps.efficiency?.checksBlocks() === true,
            }),
      );
      if (result === undefined) {
        trace?.done({ outcome: 'cancelled', generatedTokens: 0 });
        return [];
      }
      trace?.modelRunFinished(result.timings);
      // A finished place stays marked: asking there once more gives the whole completion again, not a cut one.
      this.lastCut = result.timeLimited || finishing ? cutPlace(model, document.uri, ctx) : undefined;

      const whole = shownText(result, mode, ctx);
      // Asked for (Alt+\, or any explicit request from a client that does not mark asks), a block shows whole: what the
      // model would write. A look the cache could not answer shows what typing would.
      const shown = trigger === 'asked' ? whole : confidentText(result, mode, ctx, whole);
      if (result.timeLimited) this.noteTimeLimit(model, config, result);
      // The cap cut the text before any of it was finished: nothing shows, and only the cap's setting is to blame.
      const tokenLimited = result.stopReason === 'length' && !result.timeLimited && whole === '';
      if (tokenLimited) this.noteTokenLimit(model, config);
      // Runners-up only after an answer: they are less likely than the one that came out empty.
      const offered = shown === '' ? [] : [shown, ...runnersUp(result, shown, mode, ctx)];
      // Stopped at a line the model was unsure of, the run wrote less than the model would, though all of it shows
      // (the unsure line had only its indentation).
      const partlyShown = result.timeLimited || result.stoppedUnsure || shown !== whole;
      // Asked in a suggestion typed into: what follows the typed characters, where the new run still starts with them
      // (each with its place in the run's answer).
      const afterTyped = offered.flatMap((t, rank) => (typedInto !== '' && t.startsWith(typedInto) ? [{ text: t.slice(typedInto.length), rank }] : []));
      // Made without the editor's member list that the next request may have (its language server starting).
      // Kept as the model text it continues (LF), so that typing its line breaks into a CRLF document matches it.
      // Named by this request's telemetry id: its answers from the cache are the same suggestion (suggestionOutcomes.ts).
      // A re-run that left what was typed keeps the suggestion typed into in the cache.
      if (choices !== null && (typedInto === '' || afterTyped.length > 0)) this.deps.cache?.storeOffered(document.uri, ctx.prefix, ctx.suffix, offered.map((text) => asModelText(text, false)), { origin: trace?.id, partial: partlyShown });
      // The text changed while this ran and the client did not cancel: the item's position may not be the cursor's.
      if (document.version !== version) {
        trace?.done({ outcome: 'cancelled', generatedTokens: result.timings.generatedTokens });
        return [];
      }
      const { timings } = result;
      this.deps.onTimings({
        uri: document.uri,
        promptTokens: timings.promptTokens,
        generatedTokens: timings.generatedTokens,
        firstTokenMs: timings.firstTokenMs,
        totalMs: timings.totalMs,
        requestMs: this.deps.clock() - started,
        tokensPerSecond: timings.decodeTokensPerSecond,
        shownChars: shown.length,
        speculation: {
          mode: result.speculation?.mode ?? 'off',
          drafted: result.speculation?.drafted ?? 0,
          accepted: result.speculation?.accepted ?? 0,
          acceptanceRate: result.speculation?.acceptanceRate ?? 0,
        },
        cacheHit: false,
        ...(result.timeLimited && { timeLimited: true }),
        ...(tokenLimited && { tokenLimited: true }),
      });
      const speculation = result.speculation?.mode === 'off' ? undefined : result.speculation;
      trace?.done({
        outcome: shown === '' ? 'empty' : 'offered',
        generatedTokens: timings.generatedTokens,
        tokensPerSecond: timings.decodeTokensPerSecond,
        prefixCacheHit: timings.cachedPromptTokens === undefined ? null : timings.cachedPromptTokens > 0,
        draftProposed: speculation?.drafted ?? null,
        draftAccepted: speculation?.accepted ?? null,
      });
      if (shown === '') return [];
      if (typedInto !== '') {
        if (afterTyped.length > 0) return afterTyped.map((rest) => this.item(rest.text, rest.rank, place, trace));
        // The suggestion typed into keeps showing; it is another run's, so this one's trace does not report it.
        const cachedRest = this.fromCache(document, typingCtx, false);
        return cachedRest === undefined ? [] : cachedRest.suggestions.map((suggestion) => this.item(withLineEnding(suggestion.text, ctx.eol), suggestion.rank, place, undefined));
      }
      // Handed over only once the plain suggestion is decided, and whole (a cut one is no baseline for a function),
      // and only where it writes a block (a line in the middle of a body is no function body to compare; the checker
      // also requires the block to be the whole body); the refinement runs in the background.
      if (mode === 'multi-line' && !endedUnfinished(result) && selected === undefined) this.deps.efficiency?.afterSuggestion({
        uri: document.uri,
        version: document.version,
        languageId: document.languageId,
        text,
        offset,
        greedy: whole,
        sample: async (sampling, sampleSignal) => {
          // In the background, so without the time limit, which bounds what the user waits for.
          const sampled = await this.generate(model, { ids: prompt.ids, required: healed.required, words }, { ...config, timeLimitMs: 0 }, mode, ctx, sampleSignal, () => undefined, { sampling, wholeBlock: true });
          return sampled === undefined ? '' : shownText(sampled, mode, ctx);
        },
      });
      return offered.map((text, index) => this.item(text, index, place, trace));
    } catch (error) {
      trace?.done({ outcome: 'error', generatedTokens: 0 });
      this.deps.logger.error(`Completion failed for ${document.uri}: ${describeError(error)}`);
      return [];
    }
  }

  /**
   * Runs the model. A multi-line completion is stopped as soon as its text has left the block, or has reached a line
   * the model was unsure of (the rest would be cut anyway), unless `wholeBlock` asks for all of it (a sample, or a
   * suggestion the efficiency checks will run). Answers `undefined` when the request was aborted from outside.
   */
  private async generate(
    model: LoadedModel,
    prompt: { ids: number[]; required: string; words?: string[] },
    config: ServerConfig,
    mode: CompletionMode,
    ctx: CursorContext,
    signal: AbortSignal,
    onFirstText: () => void,
    { sampling = GREEDY_SAMPLING, wholeBlock = false }: { sampling?: SamplingOptions; wholeBlock?: boolean } = {},
  ): Promise<RunResult | undefined> {
    if (signal.aborted) return undefined;
    const blockDone = new AbortController();
    let text = '';
    const scores: TokenScore[] = [];
    const confidentOnly = mode === 'multi-line' && !wholeBlock;
    const settling = new BlockSettling(ctx.languageId);
    let stoppedUnsure = false;
    // Streamed in every mode: the first piece of text marks the first token for telemetry (until the engine's own times
    // come with its result: a beam run writes its text at its end).
    const onText = (delta: string) => {
      onFirstText();
      if (mode !== 'multi-line') return;
      text += delta;
      const lines = text.split('\n');
      if (limitToBlock(lines, ctx).length < lines.length) blockDone.abort();
      else if (confidentOnly && settling.settled(text, scores)) {
        stoppedUnsure = true;
        blockDone.abort();
      }
    };
    const result = await model.engine.generate(
      {
        promptIds: prompt.ids,
        requiredPrefix: prompt.required || undefined,
        wordChoices: prompt.words,
        maxNewTokens: newTokensFor(model.info.maxContext, config.promptTokenBudget, config.maxNewTokens),
        sampling,
        stopStrings: stopStringsFor(mode),
        speculation: config.speculation,
        // A block is long and streamed (its end is found while it is written): greedy. A line takes beams, also
        // on a cold prompt: with the default pair they add ~14 ms at the median there and 2.9 points of exact
        // match (bench/results/completion-locus-target-release4-cold-beams-*, model-eval-*-release4-cold-beams-*).
        beamWidth: mode === 'multi-line' ? 1 : config.beamWidth,
        scoreTokens: mode === 'multi-line',
        // At the end of a block's header with no body below, the embedded model most often ends at once (every one of
        // a probe's headers): the body must get a character of code first (bench/results/header-end-blocks-2026-12-07.md).
        nonBlank: mode === 'multi-line' && ctx.linePrefix.trim() !== '',
        ...(config.timeLimitMs > 0 && { maxDecodeMs: config.timeLimitMs }),
      },
      { signal: AbortSignal.any([signal, blockDone.signal]), onText, ...(confidentOnly && { onTokenScore: (score: TokenScore) => scores.push(score) }) },
    );
    if (signal.aborted) return undefined;
    // A run the model ended itself as the stop came (its end of text) wrote all it would.
    return stoppedUnsure && result.stopReason === 'aborted' ? { ...result, stoppedUnsure: true } : result;
  }

  /**
   * The cached rest of a completion for this cursor, then those of the other suggestions offered with it that the typed
   * text still continues (none empty, each once), with each one's place in the answer it came from (`rank`).
   */
  private fromCache(document: CompletionDocument, ctx: CursorContext, atCachedCursor: boolean): CachedAnswer | undefined {
    const { cache } = this.deps;
    if (cache === undefined) return undefined;
    const hits = cache.lookupRests(document.uri, ctx.prefix, ctx.suffix, this.typedSinceMemberDot(document, ctx), atCachedCursor).flatMap((hit) => {
      const text = restToShow(hit, ctx);
      // Typed up to the closers the editor put after the cursor, and nothing else left: all of it is on screen.
      if (text === '' && hit.text === hit.autoClosed && hit.origin !== undefined) this.deps.telemetry?.typedOut(hit.origin, hit.rank);
      return text === undefined ? [] : [{ text, rank: hit.rank, origin: hit.origin }];
    });
    const [first, ...rest] = hits;
    if (first === undefined) return undefined;
    const suggestions = [{ text: first.text, rank: first.rank }];
    for (const { text, rank } of rest) {
      if (text !== '' && !suggestions.some((shown) => shown.text === text)) suggestions.push({ text, rank });
    }
    return { suggestions, ...(first.origin !== undefined && { origin: first.origin }) };
  }

  /** Suggestions the user typed to their end instead of accepting them are told to telemetry, and leave the cache. */
  private noteTypedOut(uri: string, ctx: CursorContext): void {
    for (const { origin, rank } of this.deps.cache?.takeTypedOut(uri, ctx.prefix, ctx.suffix) ?? []) {
      if (origin !== undefined) this.deps.telemetry?.typedOut(origin, rank);
    }
  }

  /** The cache holds another model's completions: they go. */
  private forgetCacheOfOtherModel(model: LoadedModel): void {
    if (this.cachedModel === model) return;
    this.deps.cache?.clear();
    this.cachedModel = model;
  }

  /** Says once per model and setting when `maxNewTokens` is cut to leave the prompt its share (generationRoom.ts). */
  private warnIfGenerationCapped(model: LoadedModel, config: ServerConfig): void {
    const { maxContext, name } = model.info;
    const allowed = newTokensFor(maxContext, config.promptTokenBudget, config.maxNewTokens);
    const key = `${name}\n${maxContext}\n${config.maxNewTokens}\n${config.promptTokenBudget}`;
    if (allowed === config.maxNewTokens || key === this.cappedWarning) return;
    this.cappedWarning = key;
    this.deps.logger.warn(
      `locus.completion.maxNewTokens ${config.maxNewTokens} would leave ${name}'s ${maxContext}-token context too little room for the prompt; completions generate at most ${allowed} tokens. Lower the setting to silence this.`,
    );
  }

  /** Says once per model and limit that completions are cut at the time limit, so a user missing long ones knows why. */
  private noteTokenLimit(model: LoadedModel, config: ServerConfig): void {
    const key = `${model.info.name}\n${config.maxNewTokens}`;
    if (key === this.tokenLimitNoted) return;
    this.tokenLimitNoted = key;
    this.deps.logger.info(
      `A completion from ${model.info.name} reached locus.completion.maxNewTokens (${tokenCount(config.maxNewTokens)}) before a word or line of it was finished, so it showed nothing; raise the setting (its default is ${DEFAULTS.maxNewTokens}).`,
    );
  }

  private noteTimeLimit(model: LoadedModel, config: ServerConfig, result: GenerateResult): void {
    const key = `${model.info.name}\n${config.timeLimitMs}`;
    if (key === this.timeLimitNoted) return;
    this.timeLimitNoted = key;
    this.deps.logger.info(
      `A completion from ${model.info.name} reached locus.completion.timeLimitMs (${config.timeLimitMs} ms) after ${tokenCount(result.timings.generatedTokens)}` +
        `${result.timings.generatedTokens > 1 ? ` (${result.timings.decodeTokensPerSecond.toFixed(0)} tokens/s)` : ''}; completions show what is finished by then. Ask again at the same place (Alt+\\) to let one finish; raise the setting, or set 0, for longer ones everywhere.`,
    );
  }

  /**
   * On a member access that member names may constrain, the characters typed since its dot: a completion made before
   * the dot was typed (`tally|` suggesting `.count = 0;`) must not answer after it, where the names decide what
   * follows. Infinity elsewhere.
   */
  private typedSinceMemberDot(document: CompletionDocument, ctx: CursorContext): number {
    if (this.deps.wordChoices === undefined) return Infinity;
    const access = listedMemberAccess(ctx.prefix, sourceKindOf(document.uri, document.languageId));
    return access === undefined ? Infinity : access.typed.length;
  }

  private answerFromCache(uri: string, place: ItemPlace, cached: CachedAnswer, started: number, trace: RequestTrace | undefined): InlineCompletionItem[] {
    // The first may be typed up to the closers the editor put after the cursor (nothing left of it) while another goes on.
    const offered = cached.suggestions.filter((shown) => shown.text !== '');
    this.deps.onTimings({
      uri,
      promptTokens: 0,
      generatedTokens: 0,
      firstTokenMs: 0,
      totalMs: 0,
      requestMs: this.deps.clock() - started,
      tokensPerSecond: 0,
      shownChars: offered[0]?.text.length ?? 0,
      speculation: { mode: 'off', drafted: 0, accepted: 0, acceptanceRate: 0 },
      cacheHit: true,
    });
    trace?.done({ outcome: offered.length === 0 ? 'empty' : 'offered', generatedTokens: 0, servedFromCache: true, ...(cached.origin !== undefined && { cachedFrom: cached.origin }) });
    // Each keeps its place in the model run's answer: a runner-up typed into is still the runner-up when accepted.
    return offered.map((shown) => this.item(shown.text, shown.rank, place, trace));
  }

  /**
   * A ghost-text item showing the `rank`th suggestion of a model run's answer (0 the answer itself); while telemetry
   * records, its command tells the server when the user accepts it, and which suggestion that was.
   */
  private item(text: string, rank: number, place: ItemPlace, trace: RequestTrace | undefined): InlineCompletionItem {
    const command = trace && this.deps.telemetry?.acceptanceCommand(trace, rank);
    return { insertText: place.lead + text, range: place.range, ...(command && { command }) };
  }

  private skipGroupOf(uri: string): string {
    return this.deps.skipGroup?.(uri) ?? uri;
  }

  /** The document's text, or undefined when it is too large (then never read) or binary. */
  private completableText(document: CompletionDocument): string | undefined {
    const privateReason = this.deps.privateReason?.(document.uri);
    const completable = completableText(document, privateReason);
    const group = this.skipGroupOf(document.uri);
    const said = this.skipped.get(group)?.reason;
    if ('text' in completable) {
      if (said !== undefined) {
        this.skipped.delete(group);
        this.deps.onSkipped?.(document.uri, null);
      }
      return completable.text;
    }
    this.noteSkipped(document.uri, completable.reason, completable.reason === privateReason);
    return undefined;
  }

  /** Said once per document and reason, not at every request or keystroke (each edit is a new version). */
  private noteSkipped(uri: string, reason: string, isPrivate: boolean): void {
    const group = this.skipGroupOf(uri);
    if (this.skipped.get(group)?.reason === reason) return;
    this.skipped.set(group, { reason, uri, private: isPrivate });
    this.deps.logger.info(`Skipping ${uri}: ${reason}`);
    this.deps.onSkipped?.(uri, reason);
  }
}
