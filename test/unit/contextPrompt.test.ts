import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PromptAssembler, DEFAULT_PROMPT_OPTIONS, type PromptRequest } from '../../lsp-server/context/promptAssembler';
import type { RetrievedSnippet } from '../../lsp-server/context/retriever';
import { DraftModelScorer, isStructuralLine, SelectiveContext, UnigramScorer, type TokenScorer } from '../../lsp-server/context/selectiveContext';
import { TextTokenizer } from '../../runtime/tokenizer';
import { MATH_PY, SHAPES_TS, VECTOR_TS } from './contextFixtures';
import { TARGET_DIR } from './runtimeFixtures';

const tokenizer = TextTokenizer.fromDirectory(TARGET_DIR);
const id = (t: string): number => tokenizer.specialTokenId(t)!;

function snippet(path: string, text: string, score = 1): RetrievedSnippet {
  return { path, startLine: 0, endLine: text.split('\n').length, text, kind: 'syntax', symbols: [], score, lexical: 1, similarity: 0, declaresNearbyName: false, imported: 'no', fileWeight: 1 };
}

const stats = { documentCount: 100, documentFrequency: (term: string) => (term === 'distanceto' ? 1 : 50) };

describe('prompt assembler', () => {
  it('writes the training format: snippets, the current path, then suffix-prefix-middle, each piece tokenized alone', async () => {
    const assembler = new PromptAssembler(tokenizer);
    const request: PromptRequest = { currentPath: 'src/main.ts', prefix: 'const v = new Vec', suffix: '\n', snippets: [snippet('src/vector.ts', VECTOR_TS)] };
    const prompt = await assembler.assemble(request, { ...DEFAULT_PROMPT_OPTIONS, budget: 512 });
    const expected = [
      id('<|file_sep|>'), ...tokenizer.encode(`src/vector.ts\n${VECTOR_TS}\n`),
      id('<|file_sep|>'), ...tokenizer.encode('src/main.ts\n'),
      id('<|fim_suffix|>'), ...tokenizer.encode('\n'),
      id('<|fim_prefix|>'), ...tokenizer.encode('const v = new Vec'),
      id('<|fim_middle|>'),
    ];
    assert.deepEqual(prompt.ids, expected);
    assert.deepEqual(prompt.pieces.map((p) => p.kind), ['snippet', 'path', 'suffix', 'prefix']);
    assert.equal(prompt.pieces.reduce((n, p) => n + p.tokens, 0), prompt.ids.length);
  });

  it('encodes special-token literals in retrieved code as plain text', async () => {
    const assembler = new PromptAssembler(tokenizer);
    const text = "export const FIM = '<|fim_middle|>';";
    const prompt = await assembler.assemble({ currentPath: 'a.ts', prefix: 'x', suffix: '', snippets: [snippet('src/fimPrompt.ts', text)] }, { ...DEFAULT_PROMPT_OPTIONS, budget: 512 });
    assert.equal(prompt.ids.filter((t) => t === id('<|fim_middle|>')).length, 1, 'only the real FIM middle token');
    assert.ok(tokenizer.decode(prompt.ids).includes(text));
  });

  it('puts the best snippet nearest the file and never exceeds the budget, with or without compression', async () => {
    const assembler = new PromptAssembler(tokenizer);
    const file = (SHAPES_TS + MATH_PY).repeat(4);
    const snippets = [snippet('a/best.ts', VECTOR_TS, 2), snippet('b/second.py', MATH_PY, 1), snippet('c/third.ts', SHAPES_TS, 0.5)];
    const selective = new SelectiveContext(new UnigramScorer(tokenizer, stats));
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 40; i++) {
      const cut = Math.floor(random() * file.length);
      const budget = 64 + Math.floor(random() * 900);
      const request = { currentPath: 'src/current.ts', prefix: file.slice(0, cut), suffix: file.slice(cut), snippets };
      for (const compression of [undefined, selective]) {
        const prompt = await assembler.assemble(request, { ...DEFAULT_PROMPT_OPTIONS, budget, compression });
        assert.ok(prompt.ids.length <= budget, `${prompt.ids.length} > ${budget}`);
        assert.equal(prompt.ids[prompt.ids.length - 1], id('<|fim_middle|>'));
        const shown = prompt.pieces.filter((p) => p.kind === 'snippet').map((p) => p.path);
        if (shown.includes('a/best.ts')) assert.equal(shown[shown.length - 1], 'a/best.ts');
      }
    }
  });

  it("compression thins snippets to their share, keeping imports and signatures; the current file is cut, never thinned", async () => {
    const assembler = new PromptAssembler(tokenizer);
    const selective = new SelectiveContext(new UnigramScorer(tokenizer, stats));
    const prefix = `${SHAPES_TS}\n`.repeat(12) + 'function near() {\n  const a = 1;\n  const b = 2;\n  return a +';
    const request = { currentPath: 'src/current.ts', prefix, suffix: ' b;\n}\n', snippets: [snippet('src/vector.ts', VECTOR_TS), snippet('pkg/math.py', MATH_PY)] };
    const budget = 900;
    const prompt = await assembler.assemble(request, { ...DEFAULT_PROMPT_OPTIONS, budget, compression: selective });
    assert.ok(prompt.ids.length <= budget, `${prompt.ids.length} tokens`);
    assert.ok(prompt.snippetTokens <= Math.ceil(budget * DEFAULT_PROMPT_OPTIONS.contextShare), `${prompt.snippetTokens} snippet tokens within their share`);
    assert.ok(prompt.dropped.length > 0);
    assert.ok(prompt.dropped.every((d) => !isStructuralLine(d.text) && !d.sectionId.startsWith('prefix')), 'only non-structural snippet lines go');
    const snippets = prompt.pieces.filter((p) => p.kind === 'snippet').map((p) => p.text).join('\n');
    assert.ok(snippets.includes('export class Vector {') && snippets.includes('  distanceTo(other: Vector): number {'));
    const kept = prompt.pieces.find((p) => p.kind === 'prefix')!.text;
    assert.ok(kept.length < prefix.length && prefix.endsWith(kept), 'the prefix is one run of lines ending at the cursor');
    assert.ok(prompt.compression!.tokensAfter < prompt.compression!.tokensBefore);
    // A second keystroke re-scores nothing it has seen.
    const misses = selective.cacheMisses;
    await assembler.assemble({ ...request, prefix: prefix + ' ' }, { ...DEFAULT_PROMPT_OPTIONS, budget, compression: selective });
    assert.equal(selective.cacheMisses, misses);
  });

  it('when declarations alone overflow, drops the least important sections and cuts the best one short', async () => {
    const selective = new SelectiveContext({ name: 'unigram', scoreLines: async (lines) => ({ tokens: lines.map(() => 10), information: lines.map(() => 1) }) });
    const section = (id: string, priority: number) => ({ id, lines: ['function a() {', 'function b() {', 'function c() {'], keep: [true, true, true], overheadTokens: 2, priority });
    const result = await selective.compress([section('low', 1), section('best', 9)], 25);
    assert.ok(result.tokensAfter <= 25);
    assert.deepEqual(result.sections.map((s) => s.kept), [[false, false, false], [true, true, false]]);
  });

  it('recognises imports and signatures across languages', () => {
    for (const line of ["import x from 'y';", 'from a import b', 'export function f(a: number) {', 'def g(x):', 'class A:', '  async load(path: string): Promise<void> {', 'export const h = (x: number) =>', 'pub fn run() {', 'const fs = require("fs");']) {
      assert.ok(isStructuralLine(line), line);
    }
    // Calls whose arguments hold a colon were taken for signatures with a return type.
    for (const line of ['  return x;', '  if (a) {', '  total += value', 'for (const x of xs) {', '  mkdirSync(dir, { recursive: true });']) assert.ok(!isStructuralLine(line), line);
  });

  it('judges a line with a long run of spaces in linear time', { timeout: 5000 }, () => {
    // Cubic before: 1.2 s for 2,000 spaces, so hours for 50,000.
    const spaces = ' '.repeat(50_000);
    assert.equal(isStructuralLine(`foo(): ${spaces}{x`), false);
    assert.equal(isStructuralLine(`foo(): ${spaces}`), true);
    assert.equal(isStructuralLine(`foo(${spaces})=`), false);
    assert.equal(isStructuralLine(`foo${spaces}x`), false);
  });

  it('scores with a draft model through an injected log-probability function', async () => {
    const calls: number[][] = [];
    const scorer = new DraftModelScorer(tokenizer, async (ids) => {
      calls.push(ids);
      return ids.map((t) => (t % 2 === 0 ? -0.1 : -3));
    });
    const lines = ['const a = 1;', 'return a;'];
    const scores = await scorer.scoreLines(lines);
    assert.equal(calls.length, 1);
    assert.deepEqual(scores.tokens, lines.map((l) => tokenizer.encode(l + '\n').length));
    const expectedFirst = tokenizer.encode(lines[0] + '\n').reduce((s, t) => s + (t % 2 === 0 ? 0.1 : 3), 0);
    assert.ok(Math.abs(scores.information[0]! - expectedFirst) < 1e-9);
  });

  it("completions never wait for the draft model: fallback scores now, the model's once it has scored in the background", async () => {
    const scored: string[][] = [];
    const draft = new DraftModelScorer(tokenizer, async (ids) => ids.map((t) => (t % 3 === 0 ? -4 : -0.2)));
    const slowDraft: TokenScorer = {
      name: draft.name,
      scoreLines: async (lines: readonly string[]) => {
        scored.push([...lines]);
        return draft.scoreLines(lines);
      },
    };
    const selective = new SelectiveContext(slowDraft, { fallback: new UnigramScorer(tokenizer, stats), idleMs: 20 });
    const sections = [
      { id: 'a', lines: ['const a = distanceTo(x);', 'let b = 1;', 'b += 2;', 'return a + b;'], keep: [false, false, false, false], overheadTokens: 0, priority: 1 },
    ];
    const first = await selective.compress(sections, 12, undefined, false);
    assert.equal(first.scorer, 'unigram');
    assert.equal(scored.length, 0, 'the completion did not run the draft model');
    assert.ok(first.tokensAfter <= 12);

    // Requests keep coming: nothing is scored in the background while they do.
    await new Promise((r) => setTimeout(r, 10));
    await selective.compress(sections, 12, undefined, false);
    assert.equal(scored.length, 0);

    await new Promise((r) => setTimeout(r, 80));
    assert.equal(scored.length, 1, 'scored once requests paused');
    const later = await selective.compress(sections, 12, undefined, false);
    assert.equal(later.scorer, 'draft-model');
    assert.equal(scored.length, 1, 'from the cache');

    const waited = await new SelectiveContext(slowDraft, { fallback: new UnigramScorer(tokenizer, stats) }).compress(sections, 12);
    assert.equal(waited.scorer, 'draft-model', 'the compress view waits for the model');
  });

  it('a completion aborts the background scoring in hand; the chunk is scored again at the next pause', async () => {
    const runs: boolean[] = [];
    const draft = new DraftModelScorer(tokenizer, async (ids) => ids.map(() => -1));
    const abortable: TokenScorer = {
      name: draft.name,
      scoreLines: async (lines: readonly string[], signal?: AbortSignal) => {
        await new Promise((r) => setTimeout(r, 40));
        runs.push(signal?.aborted ?? false);
        return draft.scoreLines(lines);
      },
    };
    const selective = new SelectiveContext(abortable, { fallback: new UnigramScorer(tokenizer, stats), idleMs: 10 });
    const sections = [{ id: 'a', lines: ['const total = values.reduce(add, 0);', 'return total;'], keep: [false, false], overheadTokens: 0, priority: 1 }];
    await selective.compress(sections, 6, undefined, false);
    await new Promise((r) => setTimeout(r, 25)); // the background job is running
    assert.equal((await selective.compress(sections, 6, undefined, false)).scorer, 'unigram');
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(runs, [true, false], 'aborted once, then scored at the next pause');
    assert.equal((await selective.compress(sections, 6, undefined, false)).scorer, 'draft-model');
  });
});
