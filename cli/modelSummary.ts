// The lines on stderr after a command's answer: the model that gave it, how fast, and what its load did. Pure.
import type { ReadyStatus } from './serverSession';

/** `── tiny-llama (onnx/model.onnx, fp32) · <latency>`, then the load's notes, one per line. */
export function modelSummary(ready: ReadyStatus, latency: string): string[] {
  const draft = ready.draft === undefined ? '' : `, draft ${ready.draft}`;
  const prefill = ready.prefillFile === undefined ? '' : `, prefills on ${ready.prefillFile}`;
  const lines = [`── ${ready.model} (${ready.onnxFile}, ${ready.quantization}${prefill}${draft}) · ${latency}`];
  if (ready.autoChoice !== undefined) lines.push(`   auto took ${ready.onnxFile}: ${ready.autoChoice}`);
  if (ready.prefillCopy !== undefined) lines.push(`   ${ready.prefillCopy}`);
  if (ready.prepared !== undefined) lines.push(`   ${ready.prepared}`);
  if (ready.keptCopies !== undefined) lines.push(`   Kept copies are in ${ready.keptCopies}.`);
  return lines;
}
