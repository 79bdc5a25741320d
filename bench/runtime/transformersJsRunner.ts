// transformers.js (@huggingface/transformers, Node, onnxruntime-node underneath) on the same ONNX file and the
// same token ids: greedy `generate()` with a streamer that timestamps every token. Offline only.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AutoModelForCausalLM, BaseStreamer, env, Tensor } from '@huggingface/transformers';
import { aggregate, promptResult, timedRuns } from './timing';
import type { BenchPrompt, PromptResult, Runner } from './types';

/** transformers.js picks the file from `dtype` (`model${suffix}.onnx`); map our file names back to it. */
const DTYPE_BY_FILE: Record<string, string> = {
  'model.onnx': 'fp32',
  'model_fp16.onnx': 'fp16',
  'model_int8.onnx': 'int8',
  'model_uint8.onnx': 'uint8',
  'model_quantized.onnx': 'q8',
  'model_q4.onnx': 'q4',
  'model_q4f16.onnx': 'q4f16',
};

class TimingStreamer extends BaseStreamer {
  times: number[] = [];
  private sawPrompt = false;

  override put(value: bigint[][]): void {
    // The first put is the prompt itself; each later one is one generated token.
    if (!this.sawPrompt) { this.sawPrompt = true; return; }
    void value;
    this.times.push(performance.now());
  }

  override end(): void {}
}

export const runTransformersJs: Runner = async (input) => {
  const fileName = basename(input.file);
  const dtype = DTYPE_BY_FILE[fileName];
  if (!dtype || dirname(input.file) !== 'onnx') throw new Error(`transformers.js cannot address ${input.file} by dtype`);
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = dirname(input.modelDir) + '/';
  const t0 = performance.now();
  const model = await AutoModelForCausalLM.from_pretrained(basename(input.modelDir), {
    dtype: dtype as 'q4',
    device: 'cpu',
    local_files_only: true,
    use_external_data_format: existsSync(join(input.modelDir, input.file + '_data')),
    session_options: { intraOpNumThreads: input.threads, interOpNumThreads: 1, executionMode: 'sequential' },
  });
  const loadMs = performance.now() - t0;

  const runOnce = async (prompt: BenchPrompt, newTokens: number): Promise<PromptResult> => {
    const n = prompt.ids.length;
    const streamer = new TimingStreamer();
    const start = performance.now();
    const out = (await model.generate({
      input_ids: new Tensor('int64', BigInt64Array.from(prompt.ids, BigInt), [1, n]),
      attention_mask: new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
      max_new_tokens: newTokens,
      min_new_tokens: newTokens, // suppresses EOS so every run decodes the same number of tokens
      do_sample: false,
      // The declared type wants a TextStreamer; generate() only calls put() and end().
      streamer: streamer as never,
    })) as Tensor;
    const generated = Array.from(out.data as BigInt64Array, Number).slice(n);
    return promptResult(prompt, start, streamer.times, generated);
  };

  const perPrompt = await timedRuns(input, runOnce);
  await model.dispose();
  return { runner: 'transformers.js', file: input.file, threads: input.threads, loadMs, ...aggregate(perPrompt), perPrompt };
};
