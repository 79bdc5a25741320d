// Turns the uncompressed and compressed prompts for a cursor into the `locus/compress` answer.
import type { CompressResult, PromptView } from '../protocol';
import type { ContextPrompt } from './contextPromptBuilder';

export interface CompressReportInput {
  budget: number;
  scorer: 'draft-model' | 'unigram';
  before: ContextPrompt;
  after: ContextPrompt;
  index: { files: number; chunks: number; building: boolean };
}

export function compressReport(input: CompressReportInput): CompressResult {
  const result: Omit<CompressResult, 'report'> = {
    budget: input.budget,
    scorer: input.scorer,
    before: promptView(input.before),
    after: promptView(input.after),
    retrieved: input.after.snippets.map((s) => ({
      path: s.path,
      startLine: s.startLine + 1,
      endLine: s.endLine,
      score: round(s.score),
      lexical: round(s.lexical),
      similarity: round(s.similarity),
      declaresNearbyName: s.declaresNearbyName,
      imported: s.imported,
      fileWeight: round(s.fileWeight),
    })),
    dropped: input.after.dropped.map((d) => ({ section: d.sectionId, line: d.line, text: d.text, information: round(d.information), tokens: d.tokens })),
    index: input.index,
    timings: { retrievalMs: round(input.after.retrievalMs), compressionMs: round(input.after.assemblyMs) },
  };
  return { ...result, report: renderCompressReport(result) };
}

function promptView(prompt: ContextPrompt): PromptView {
  return {
    tokens: prompt.ids.length,
    parts: prompt.pieces.map((p) => ({
      kind: p.kind,
      ...(p.path === undefined ? {} : { path: p.path }),
      ...(p.startLine === undefined ? {} : { line: p.startLine + 1 }),
      text: p.text,
      tokens: p.tokens,
    })),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** `locus/compress` shows the uncompressed prompt at this multiple of the budget. */
export const BEFORE_BUDGET_FACTOR = 4;

/** The report as plain text, for the read-only document the client opens. */
export function renderCompressReport(result: Omit<CompressResult, 'report'>): string {
  const out: string[] = [];
  out.push(`Locus: prompt for the cursor, budget ${result.budget} tokens (scorer: ${result.scorer})`);
  // The command's reader may not know what it shows: one sentence on what this is and why it matters.
  out.push('What a completion here would give the model, on this machine only: code retrieved from other files, thinned (its least informative lines dropped) to fit the budget beside the current file.');
  // Not a ratio: the uncompressed prompt has a larger budget, so more of the current file too, which compression never cuts.
  out.push(`Uncompressed, at up to ${BEFORE_BUDGET_FACTOR} times the budget: ${result.before.tokens} tokens. Compressed to the budget: ${result.after.tokens} tokens.`);
  out.push(`Index: ${result.index.files} files, ${result.index.chunks} chunks${result.index.building ? ' (still building)' : ''}. Retrieval ${result.timings.retrievalMs} ms, assembly ${result.timings.compressionMs} ms.`);
  out.push('', '## Retrieved');
  if (result.retrieved.length === 0) out.push('(nothing)');
  for (const r of result.retrieved) {
    out.push(`- ${r.path}:${r.startLine}-${r.endLine}  score ${r.score} (bm25 ${r.lexical}, similarity ${r.similarity}${r.declaresNearbyName ? ', declares a name used at the cursor' : ''}${r.imported === 'no' ? '' : r.imported === 'receiver' ? ', the module before the cursor' : ', imported'}, file weight ${r.fileWeight})`);
  }
  // Declarations are protected until nothing else is left to drop, so they come last, whatever their score.
  out.push('', `## Dropped (${count(result.dropped.length, 'line')}, in the order dropped: least information per token first, declarations last)`);
  if (result.dropped.length === 0) out.push('(nothing: everything retrieved fits the budget)');
  for (const d of result.dropped) out.push(`- ${d.section} +${d.line}  ${d.information} nats / ${count(d.tokens, 'token')}  ${d.text.trim()}`);
  for (const [title, view] of [['Before', result.before], ['After', result.after]] as const) {
    out.push('', `## ${title} (${count(view.tokens, 'token')})`);
    for (const part of view.parts) {
      const where = part.path === undefined ? '' : ` ${part.path}${part.line === undefined ? '' : `:${part.line}`}`;
      out.push(`--- ${part.kind}${where} (${count(part.tokens, 'token')})`, part.text);
    }
  }
  return out.join('\n') + '\n';
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
