// Generates an explanation in one or more runs of the model. The worker answers one request at a time, so a run
// gives way as soon as a completion starts (a 320-token explanation held every keystroke's completion, and its
// cancellation, for up to its whole length); the next run goes on from the tokens so far, whose state the prefix
// cache keeps. The text is decoded here from the tokens of every run, so a character or a stop string that two runs
// share comes out whole, and the line rules (explanationLines.ts) apply to it. A run that goes on where another gave
// way keeps the start constraints the tokens so far have not met yet (runtime/continuedStart.ts). An end the model
// chose mid-sentence is refused: a run goes on from there, and may not end before it writes more.
import { continuedStart } from '../../runtime/continuedStart';
import { GREEDY_SAMPLING, type GenerateResult, type InferenceEngine } from '../../runtime/engine';
import { ModelNotReadyError } from '../../runtime/errors';
import { StopStringFilter } from '../../runtime/stopRules';
import { StreamingDecoder } from '../../runtime/tokenizer';
import type { StartRequest } from '../../runtime/tokenHealing';
import { ExplanationLines } from './explanationLines';

/** Ends refused mid-sentence, each costing a run: the embedded model rarely needed more than one. */
const MAX_REFUSED_ENDS = 4;

export interface ExplanationRunsDeps {
  engine: Pick<InferenceEngine, 'generate'>;
  decode: (ids: readonly number[]) => string;
  /** Resolves once no completion is being answered. */
  foregroundIdle: () => Promise<void>;
  /** Aborted as soon as a completion starts (at once while one is being answered). */
  foregroundStarts: () => AbortSignal;
}

export interface ExplanationRequest {
  promptIds: number[];
  maxNewTokens: number;
  stopStrings: string[];
  /** Every line after the first starts with it (ExplanationLines). */
  linesStartWith?: string;
  /** How the text must start (GenerateRequest's constraints); the required prefix is not part of the text. */
  start?: StartRequest;
}

export interface Explanation {
  text: string;
  stopReason: GenerateResult['stopReason'];
  generatedTokens: number;
  /** Runs of the model: one more for each time it gave way to a completion. */
  runs: number;
}

export async function generateExplanation(deps: ExplanationRunsDeps, request: ExplanationRequest, signal: AbortSignal, onText: (delta: string) => void): Promise<Explanation> {
  const ids: number[] = [];
  const decoder = new StreamingDecoder((run) => deps.decode(run));
  const stops = new StopStringFilter(request.stopStrings);
  const lines = new ExplanationLines(request.linesStartWith);
  const start = request.start ?? {};
  let hidden = start.requiredPrefix?.length ?? 0;
  let text = '';
  const show = (delta: string) => {
    if (delta === '') return;
    text += delta;
    onText(delta);
  };
  const afterRequired = (delta: string) => {
    const cut = Math.min(hidden, delta.length);
    hidden -= cut;
    return delta.slice(cut);
  };
  /** Takes one token; true when the text ends with it. */
  const take = (id: number): boolean => {
    const { text: safe, stopped } = stops.push(afterRequired(decoder.push(id)));
    show(lines.push(safe));
    return stopped || lines.ended;
  };
  let stopReason: GenerateResult['stopReason'] = 'length';
  let ended = false;
  let runs = 0;
  let endsRefused = 0;
  /** Where the text stood when its end was last refused: the next run may not end before it writes something. */
  let refusedAt: number | undefined;
  let limited = false;
  while (ids.length < request.maxNewTokens) {
    // A cancel must not wait for the user to stop typing either.
    await untilAborted(deps.foregroundIdle(), signal);
    if (signal.aborted) {
      stopReason = 'aborted';
      break;
    }
    const textEnded = new AbortController();
    runs++;
    // The engine answers one request at a time: a run queued behind another Explain's must not hold a cancel until
    // that one ends, so the wait stops at the cancel and the run, aborted too, ends without effect when its turn comes.
    const run = deps.engine.generate(
      {
        promptIds: [...request.promptIds, ...ids],
        maxNewTokens: request.maxNewTokens - ids.length,
        sampling: GREEDY_SAMPLING,
        stopStrings: request.stopStrings,
        ...continuedStart(start, deps.decode(ids)),
        ...(refusedAt !== undefined && deps.decode(ids.slice(refusedAt)).trim() === '' && { nonBlank: true }),
      },
      {
        signal: AbortSignal.any([signal, deps.foregroundStarts(), textEnded.signal]),
        onToken: (id) => {
          if (ended || signal.aborted) return;
          ids.push(id);
          ended = take(id);
          if (ended) textEnded.abort();
        },
      },
    ).catch((error: unknown) => {
      // The model was reloaded (a settings change) while the explanation gave way: its tokens are not the new model's.
      if (runs > 1 && error instanceof ModelNotReadyError) throw new Error('The model was reloaded during the explanation: run Explain again.');
      throw error;
    });
    const result = await untilAborted(run, signal);
    if (result === undefined) {
      // A rejection after the cancel has nobody to tell.
      run.catch(() => undefined);
      stopReason = 'aborted';
      break;
    }
    if (ended) {
      stopReason = 'stop';
      break;
    }
    // Gave way to a completion: go on once it is answered.
    if (result.stopReason === 'aborted') continue;
    // Ended mid-sentence (`… a single item from a`, shown as finished): the end token is not taken there, and the
    // next run must write on first. A run that wrote nothing (an engine without the constraint) ends it.
    if (result.stopReason === 'eos' && lines.midSentence && endsRefused < MAX_REFUSED_ENDS && result.tokenIds.length > 0) {
      endsRefused++;
      refusedAt = ids.length;
      continue;
    }
    stopReason = result.stopReason;
    // The token cap, or an end mid-sentence taken only once no more are refused: a limit, not the model, ended the
    // text, and its unfinished sentence goes.
    limited = stopReason === 'length' || (stopReason === 'eos' && lines.midSentence);
    break;
  }
  if (!ended) {
    const { text: rest, stopped } = stops.push(afterRequired(decoder.flush()));
    show(lines.push(rest));
    if (!stopped && !lines.ended) show(lines.push(stops.flush()));
  }
  // What the line rules still hold back, the text ended by a stop string too.
  show(lines.flush(limited));
  return { text, stopReason, generatedTokens: ids.length, runs };
}

/** What `work` resolves to, or undefined at once when `signal` is aborted first (a cancel waits for nothing). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return resolve(undefined);
    const aborted = () => resolve(undefined);
    signal.addEventListener('abort', aborted, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', aborted);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', aborted);
        reject(error);
      },
    );
  });
}
