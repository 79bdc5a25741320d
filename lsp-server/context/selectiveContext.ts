// Selective Context for code: score each line by self-information (how surprising its tokens are), then drop
// the least informative lines per token until the context fits the budget. Imports and signatures are never
// dropped, so what remains still says what exists and how to call it. Scores are cached per chunk content,
// so a keystroke re-scores only the text that changed. With a slow scorer (the draft model) and a fast fallback,
// a completion does not wait for the slow one: it compresses with the fallback's scores while the missing chunks
// are scored in the background once requests pause, and later completions use the model's scores. A completion
// aborts the background chunk in hand, so it waits at most for a model pass already running.
import { createHash } from 'node:crypto';
import { identifiers, termsOfIdentifier } from './codeTerms';

export interface LineScores {
  /** Model tokens of each line (newline included). */
  tokens: number[];
  /** Self-information of each line in nats (sum over its tokens of -log p). */
  information: number[];
}

export interface TokenScorer {
  /** Part of the cache key, and shown by `locus/compress`. */
  readonly name: 'draft-model' | 'unigram';
  scoreLines(lines: readonly string[], signal?: AbortSignal): Promise<LineScores>;
}

export interface LineTokenizer {
  encode(text: string): number[];
}

/** How often index terms occur; `WorkspaceIndex` satisfies it. */
export interface TermStatistics {
  readonly documentCount: number;
  documentFrequency(term: string): number;
}

/** Self-information of keywords and short names: they are everywhere. */
const COMMON_WORD_INFO = 0.5;
/** Per punctuation or digit character: cheap to predict, nearly free to keep. */
const SYMBOL_INFO = 0.05;

/** No model needed: -log of how many indexed chunks use each name (rare names carry the information). */
export class UnigramScorer implements TokenScorer {
  readonly name = 'unigram';

  constructor(
    private readonly tokenizer: LineTokenizer,
    private readonly stats: TermStatistics,
  ) {}

  async scoreLines(lines: readonly string[]): Promise<LineScores> {
    const n = Math.max(1, this.stats.documentCount);
    const tokens = lines.map((line) => this.tokenizer.encode(line + '\n').length);
    const information = lines.map((line) => {
      let info = 0;
      for (const id of identifiers(line)) {
        const whole = termsOfIdentifier(id)[0];
        info += whole === undefined ? COMMON_WORD_INFO : -Math.log((this.stats.documentFrequency(whole) + 0.5) / (n + 1));
      }
      return info + line.replace(/[\w$\s]/g, '').length * SYMBOL_INFO;
    });
    return { tokens, information };
  }
}

/** log p(ids[i] | ids[0..i)) for every position (position 0 may be 0): a forward pass of the draft model. */
export type LogProbFunction = (ids: number[], signal?: AbortSignal) => Promise<number[]>;

/** Selective Context proper: self-information under a small causal model (the draft of the speculative pair). */
export class DraftModelScorer implements TokenScorer {
  readonly name = 'draft-model';

  constructor(
    private readonly tokenizer: LineTokenizer,
    private readonly logProbs: LogProbFunction,
  ) {}

  async scoreLines(lines: readonly string[], signal?: AbortSignal): Promise<LineScores> {
    const perLine = lines.map((line) => this.tokenizer.encode(line + '\n'));
    const lp = await this.logProbs(perLine.flat(), signal);
    const information: number[] = [];
    let at = 0;
    for (const ids of perLine) {
      let info = 0;
      for (let i = 0; i < ids.length; i++) info -= lp[at + i] ?? 0;
      information.push(info);
      at += ids.length;
    }
    return { tokens: perLine.map((ids) => ids.length), information };
  }
}

const IMPORT_LINE = /^\s*(import\b|from\s+\S+\s+import\b|export\s+(\*|\{[^}]*\})\s+from\b|(const|let|var)\s[\w${}\s,:]+=\s*require\(|using\s|#include\b|use\s|package\s)/;
// No two runs that match spaces meet across an optional part (a return type's `:\s*[^{=]+` between two `\s*` took
// cubic time in a run of spaces: 1.2 s for one line with 2,000).
const SIGNATURE_LINE =
  /^\s*(@\w|(export\s+)?(default\s+)?(declare\s+)?(abstract\s+)?(async\s+)?(function\b|class\b|interface\b|type\s+\w+|enum\b|namespace\b|module\b)|(async\s+)?def\s|class\s|(pub(\(\w+\))?\s+)?(fn|struct|trait|impl|enum|mod)\b|func\s|((public|private|protected|static|readonly|abstract|override|async|get|set)\s+)*[\w$]+\s*(<[^>]*>\s*)?\((?:[^)]*\)\s*(:[^{=]*)?(\{\s*)?|[^)]*)$|(export\s+)?(const|let|var)\s+[\w$]+\s*(:[^=]+)?=\s*(async\s*)?(\([^)]*\)|[\w$]+)\s*(:[^=]+)?=>)/;
const CONTROL_KEYWORD = /^\s*(if|for|while|switch|catch|return|else|do|try|with|elif|except)\b/;

/** Imports and declaration headers: kept whatever their score. */
export function isStructuralLine(line: string): boolean {
  if (IMPORT_LINE.test(line)) return true;
  return !CONTROL_KEYWORD.test(line) && SIGNATURE_LINE.test(line);
}

export interface CompressibleSection {
  /** Shown in reports (`path:line` of a snippet). */
  id: string;
  lines: string[];
  /** Lines that must stay (imports, signatures; the caller may add more). */
  keep: boolean[];
  /** Tokens the section costs when any of it is kept (a file separator and its path). */
  overheadTokens: number;
  /** Sections with a lower priority lose lines first on ties and are dropped whole first. */
  priority: number;
}

export interface DroppedLine {
  sectionId: string;
  line: number;
  text: string;
  information: number;
  tokens: number;
}

export interface CompressedSection {
  id: string;
  kept: boolean[];
  tokens: number;
}

export interface CompressionResult {
  /** The scorer whose scores decided what was dropped. */
  scorer: TokenScorer['name'];
  sections: CompressedSection[];
  dropped: DroppedLine[];
  tokensBefore: number;
  tokensAfter: number;
}

/** Scored chunks remembered (by content and scorer). */
const CACHE_ENTRIES = 4096;

/** Quiet time after the last compression before background scoring starts (requests come faster while typing). */
const IDLE_MS = 400;
/** Chunks waiting for background scoring, at most. */
const MAX_PENDING = 256;

export interface BackgroundScoring {
  /** The fast scorer a completion uses while the main scorer has not seen its chunks. */
  fallback: TokenScorer;
  idleMs?: number;
}

export class SelectiveContext {
  private readonly cache = new Map<string, LineScores>();
  /** Chunks waiting for the main scorer, by cache key. */
  private readonly pending = new Map<string, readonly string[]>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pumping = false;
  private backgroundJob: AbortController | undefined;
  private lastUse = 0;
  cacheHits = 0;
  cacheMisses = 0;

  constructor(
    readonly scorer: TokenScorer,
    private readonly background?: BackgroundScoring,
  ) {}

  async score(lines: readonly string[], signal?: AbortSignal, scorer: TokenScorer = this.scorer): Promise<LineScores> {
    const key = cacheKey(scorer, lines);
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.cacheHits++;
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    this.cacheMisses++;
    const scores = await scorer.scoreLines(lines, signal);
    // An aborted scorer may stop early and leave lines unscored: such scores are used once, never cached.
    if (!signal?.aborted) this.remember(key, scores);
    return scores;
  }

  /**
   * Drops lines (least information per token first) and then whole sections until all fit `budget` tokens.
   * `waitForScores: false` (completions) uses the fallback scorer unless the main one has every section cached,
   * and queues the rest for background scoring.
   */
  async compress(sections: readonly CompressibleSection[], budget: number, signal?: AbortSignal, waitForScores = true): Promise<CompressionResult> {
    let scorer = this.scorer;
    if (!waitForScores && this.background) {
      this.lastUse = Date.now();
      this.backgroundJob?.abort();
      const missing = sections.map((s) => ({ key: cacheKey(this.scorer, s.lines), lines: s.lines })).filter(({ key }) => !this.cache.has(key));
      if (missing.length > 0) {
        for (const { key, lines } of missing) {
          // Re-inserted so that the most recent chunks sit last in the queue.
          this.pending.delete(key);
          this.pending.set(key, lines);
        }
        // The most recent chunks matter most; older ones are scored again if they come back.
        while (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
        this.schedule();
        scorer = this.background.fallback;
      }
    }
    const scores = await Promise.all(sections.map((s) => this.score(s.lines, signal, scorer)));
    const kept = sections.map((s) => s.lines.map(() => true));
    const keptCount = sections.map((s) => s.lines.length);
    const sectionTokens = (i: number): number => {
      if (keptCount[i] === 0) return 0;
      let t = sections[i]!.overheadTokens;
      for (let l = 0; l < kept[i]!.length; l++) if (kept[i]![l]) t += scores[i]!.tokens[l]!;
      return t;
    };
    let total = sections.reduce((sum, _s, i) => sum + sectionTokens(i), 0);
    const tokensBefore = total;
    const dropped: DroppedLine[] = [];
    const drop = (i: number, l: number): void => {
      kept[i]![l] = false;
      keptCount[i]!--;
      const tokens = scores[i]!.tokens[l]!;
      total -= tokens + (keptCount[i] === 0 ? sections[i]!.overheadTokens : 0);
      dropped.push({ sectionId: sections[i]!.id, line: l, text: sections[i]!.lines[l]!, information: scores[i]!.information[l]!, tokens });
    };

    if (total > budget) {
      const candidates: { i: number; l: number; density: number }[] = [];
      sections.forEach((s, i) =>
        s.lines.forEach((_line, l) => {
          if (s.keep[l]) return;
          candidates.push({ i, l, density: scores[i]!.information[l]! / Math.max(1, scores[i]!.tokens[l]!) });
        }),
      );
      candidates.sort((a, b) => a.density - b.density || sections[a.i]!.priority - sections[b.i]!.priority || b.l - a.l);
      for (const c of candidates) {
        if (total <= budget) break;
        drop(c.i, c.l);
      }
    }
    if (total > budget) {
      // Protected lines alone are over budget: sections go whole, least important first, except that the one
      // whose removal would overshoot keeps its leading lines (where a snippet's declarations are).
      const order = sections.map((_s, i) => i).sort((a, b) => sections[a]!.priority - sections[b]!.priority);
      for (const i of order) {
        if (total <= budget) break;
        const wholeSectionFits = total - sectionTokens(i) <= budget;
        for (let l = kept[i]!.length - 1; l >= 0 && total > budget; l--) {
          if (!kept[i]![l]) continue;
          if (wholeSectionFits && keptCount[i] === 1) break;
          drop(i, l);
        }
        if (total > budget && keptCount[i]! > 0) for (let l = 0; l < kept[i]!.length; l++) if (kept[i]![l]) drop(i, l);
      }
    }
    return {
      scorer: scorer.name,
      sections: sections.map((s, i) => ({ id: s.id, kept: kept[i]!, tokens: sectionTokens(i) })),
      dropped,
      tokensBefore,
      tokensAfter: total,
    };
  }

  /** Scores queued chunks with the main scorer, one at a time, while no compression has asked for a while. */
  private schedule(): void {
    if (this.timer !== undefined || this.pumping) return;
    const idleMs = this.background?.idleMs ?? IDLE_MS;
    this.timer = setTimeout(() => void this.pump(idleMs), idleMs);
    this.timer.unref?.();
  }

  private async pump(idleMs: number): Promise<void> {
    this.timer = undefined;
    this.pumping = true;
    try {
      while (this.pending.size > 0) {
        if (Date.now() - this.lastUse < idleMs) break;
        const [key, lines] = [...this.pending.entries()].pop()!;
        if (this.cache.has(key)) {
          this.pending.delete(key);
          continue;
        }
        const job = new AbortController();
        this.backgroundJob = job;
        const scores = await this.scorer.scoreLines(lines, job.signal);
        this.backgroundJob = undefined;
        // An aborted chunk stays queued for the next pause.
        if (job.signal.aborted) break;
        this.pending.delete(key);
        this.remember(key, scores);
      }
    } catch {
      // The engine is reloading or gone: completions keep the fallback, and queue their chunks again.
      this.pending.clear();
    } finally {
      this.backgroundJob = undefined;
      this.pumping = false;
    }
    if (this.pending.size > 0) this.schedule();
  }

  private remember(key: string, scores: LineScores): void {
    this.cache.set(key, scores);
    if (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
  }
}

function cacheKey(scorer: TokenScorer, lines: readonly string[]): string {
  return createHash('sha1').update(scorer.name).update('\0').update(lines.join('\n')).digest('base64');
}
