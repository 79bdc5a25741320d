// An InferenceEngine that "generates" a scripted text one character per step, checking the abort signal and the
// time limit before every step like the real decode loop does.
import { ModelNotReadyError } from '../../runtime/errors';
import type { EngineLoadOptions, GenerateHooks, LoadHooks, GenerateRequest, GenerateResult, InferenceEngine, ModelInfo, SpeculationStats } from '../../runtime/engine';

export class FakeEngine implements InferenceEngine {
  readonly requests: GenerateRequest[] = [];
  /** Steps taken by each generate() call, in call order. */
  readonly steps: number[] = [];
  running = 0;
  maxConcurrent = 0;
  /** What the next results report about speculative decoding, when a test sets it. */
  speculation?: SpeculationStats;
  /** Beam search's runners-up the next results report, when a test sets them. */
  alternatives?: string[];
  /** Each generated character's log-probability (a token each), for requests that ask (`scoreTokens`); 0 when unset. */
  logProbOf?: (text: string, index: number) => number;

  constructor(
    private readonly script: (request: GenerateRequest) => string,
    private readonly stepMs = 1,
  ) {}

  /** A fake load has no long steps to report: tests that want some wrap this (hence the hooks in its type). */
  async load(options: EngineLoadOptions, _hooks?: LoadHooks): Promise<ModelInfo> {
    return fakeModelInfo(options.modelDir);
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks = {}): Promise<GenerateResult> {
    this.requests.push(request);
    const call = this.steps.push(0) - 1;
    this.running++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.running);
    try {
      const target = this.script(request);
      let text = '';
      let stopReason: GenerateResult['stopReason'] = 'eos';
      for (const ch of target) {
        if (hooks.signal?.aborted) {
          stopReason = 'aborted';
          break;
        }
        // Time as the steps add it up (stepMs each after the first), so a limit cuts at a known character.
        if (request.maxDecodeMs !== undefined && text.length > 0 && (text.length - 1) * this.stepMs >= request.maxDecodeMs) {
          stopReason = 'time';
          break;
        }
        if (text.length >= request.maxNewTokens) {
          stopReason = 'length';
          break;
        }
        const stop = request.stopStrings.find((s) => (text + ch).endsWith(s));
        if (stop !== undefined) {
          stopReason = 'stop';
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, this.stepMs));
        this.steps[call]!++;
        text += ch;
        if (request.scoreTokens) hooks.onTokenScore?.({ logProb: this.logProbOf?.(text, text.length - 1) ?? 0, textEnd: text.length });
        hooks.onText?.(ch);
      }
      return {
        text,
        tokenIds: [...text].map((c) => c.charCodeAt(0)),
        stopReason,
        ...(stopReason === 'time' && { timeLimited: true as const }),
        timings: { promptTokens: request.promptIds.length, generatedTokens: text.length, prefillMs: 1, firstTokenMs: 2, totalMs: 10, decodeTokensPerSecond: 100 },
        ...(this.speculation && { speculation: this.speculation }),
        ...(this.alternatives && { alternatives: this.alternatives }),
        ...(request.scoreTokens && { tokenScores: [...text].map((_, i) => ({ logProb: this.logProbOf?.(text, i) ?? 0, textEnd: i + 1 })) }),
      };
    } finally {
      this.running--;
    }
  }

  async draftLogProbs(): Promise<number[]> {
    throw new ModelNotReadyError('The fake engine has no draft model.');
  }

  async dispose(): Promise<void> {}
}

export function fakeModelInfo(dir: string): ModelInfo {
  return { name: 'fake', dir, onnxFile: 'onnx/model.onnx', quantization: 'fp32', vocabSize: 0x110000, maxContext: 4096, eosTokenIds: [0], fim: null };
}
