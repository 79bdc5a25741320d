// Deterministic telemetry records for the aggregation and dashboard tests: a few hours of typing across
// languages and two models, with realistic phase times, acceptances, cancellations and one error.
import { RECORD_VERSION, type RequestRecord, type TelemetryEntry } from '../../lsp-server/telemetry/telemetryRecord';

/** Park–Miller LCG: the same sequence on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed % 2147483647 || 1;
  return () => {
    state = (state * 48271) % 2147483647;
    return (state - 1) / 2147483646;
  };
}

const LANGUAGES = [
  { id: 'typescript', weight: 0.42 },
  { id: 'python', weight: 0.3 },
  { id: 'rust', weight: 0.16 },
  { id: 'go', weight: 0.12 },
];

const MODELS = [
  { id: 'locus-small-q4', tokensPerSecond: 95, prefillPerToken: 0.11 },
  { id: 'locus-small-fp32', tokensPerSecond: 38, prefillPerToken: 0.29 },
];

export const FIXTURE_START = Date.UTC(2026, 10, 23, 9, 0, 0);

function pick<T extends { weight: number }>(items: readonly T[], r: number): T {
  let acc = 0;
  for (const item of items) {
    acc += item.weight;
    if (r < acc) return item;
  }
  return items[items.length - 1] as T;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

/**
 * `count` model requests over about four hours, some followed by a request answered from the completion cache
 * (the user typed into the suggestion), plus the acceptance lines the editor would have sent.
 */
export function fixtureEntries(count = 240, seed = 7): TelemetryEntry[] {
  const random = seededRandom(seed);
  const typedOn = seededRandom(seed + 1);
  const entries: TelemetryEntry[] = [];
  let at = FIXTURE_START;
  for (let i = 0; i < count; i++) {
    at += Math.round(20_000 + random() * 100_000);
    const language = pick(LANGUAGES, random()).id;
    const model = MODELS[random() < 0.7 ? 0 : 1] as (typeof MODELS)[number];
    const promptTokens = Math.round(600 + random() * 2400);
    const promptTokensCompressed = Math.min(promptTokens, Math.round(512 + random() * 512));
    const prefixCacheHit = random() < 0.62;
    const retrievalMs = round1(2 + random() * 14);
    const compressionMs = round1(0.5 + random() * 4);
    const promptBuiltMs = round1(retrievalMs + compressionMs + 1 + random() * 4);
    const prefill = (prefixCacheHit ? 0.35 : 1) * promptTokensCompressed * model.prefillPerToken * (0.85 + random() * 0.3);
    const firstTokenMs = round1(promptBuiltMs + prefill);
    const generatedTokens = Math.round(4 + random() ** 2 * 60);
    const tokensPerSecond = round1(model.tokensPerSecond * (0.8 + random() * 0.4));
    const doneMs = round1(firstTokenMs + ((generatedTokens - 1) / tokensPerSecond) * 1000);
    const roll = random();
    const outcome: RequestRecord['outcome'] = i === 17 ? 'error' : roll < 0.08 ? 'cancelled' : roll < 0.16 ? 'empty' : 'offered';
    const drafted = model.id === 'locus-small-q4' ? Math.round(generatedTokens * 0.9) : null;
    const id = `fx${String(i).padStart(4, '0')}`;
    entries.push({
      v: RECORD_VERSION,
      kind: 'request',
      id,
      receivedAt: at,
      promptBuiltMs,
      firstTokenMs: outcome === 'cancelled' || outcome === 'error' ? null : firstTokenMs,
      doneMs: outcome === 'cancelled' ? round1(promptBuiltMs + prefill / 2) : outcome === 'error' ? promptBuiltMs : doneMs,
      retrievalMs,
      compressionMs,
      promptTokens,
      promptTokensCompressed,
      generatedTokens: outcome === 'offered' || outcome === 'empty' ? generatedTokens : 0,
      tokensPerSecond: outcome === 'offered' || outcome === 'empty' ? tokensPerSecond : null,
      draftProposed: drafted,
      draftAccepted: drafted === null ? null : Math.round(drafted * (0.55 + random() * 0.3)),
      prefixCacheHit,
      servedFromCache: false,
      cachedFrom: null,
      model: model.id,
      language,
      outcome,
    });
    if (outcome === 'offered') {
      const acceptance = random();
      const acceptProbability = language === 'python' ? 0.42 : language === 'typescript' ? 0.36 : 0.28;
      if (acceptance < acceptProbability) {
        // Some users cycle to a runner-up (Alt+]) before accepting; no random draw, so the other figures stay put.
        entries.push({ v: RECORD_VERSION, kind: 'outcome', id, at: at + Math.round(doneMs) + 900, acceptance: 'accepted', item: i % 5 === 0 ? 1 : 0 });
      } else if (typedOn() < 0.3) {
        const cachedId = `fc${String(i).padStart(4, '0')}`;
        entries.push({
          v: RECORD_VERSION,
          kind: 'request',
          id: cachedId,
          receivedAt: at + Math.round(doneMs) + 1500,
          promptBuiltMs: null,
          firstTokenMs: null,
          doneMs: round1(0.4 + typedOn()),
          retrievalMs: null,
          compressionMs: null,
          promptTokens: null,
          promptTokensCompressed: null,
          generatedTokens: 0,
          tokensPerSecond: null,
          draftProposed: null,
          draftAccepted: null,
          prefixCacheHit: null,
          servedFromCache: true,
          cachedFrom: id,
          model: model.id,
          language,
          outcome: 'offered',
        });
        if (typedOn() < 0.6) entries.push({ v: RECORD_VERSION, kind: 'outcome', id: cachedId, at: at + Math.round(doneMs) + 2500, acceptance: 'accepted' });
        // Some type the suggestion out to its end instead (the server reports it); no random draw here either.
        else if (i % 2 === 0) entries.push({ v: RECORD_VERSION, kind: 'outcome', id, at: at + Math.round(doneMs) + 2600, acceptance: 'typedOut', item: 0 });
      }
    }
  }
  return entries;
}
