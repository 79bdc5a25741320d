// `npm run bench -- promptStability [--lines N] [--budget TOKENS] [--seed N] [--label NAME]`
// How much of each keystroke's prompt the previous keystroke's prompt already holds, while lines of real code are
// typed one character at a time in a multi-file workspace (the context bench's held-out packages). What is not
// shared must run through the model before the completion can start: a keystroke with more than 64 such tokens
// pays a near-cold prefill. Retrieved snippets open the
// prompt, so a snippet that changes between keystrokes makes the whole prompt new. Prompts are built as the server
// builds them (token healing, retrieval, compression with token statistics), without a model: counts, not timings.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PathFilter } from '../lsp-server/context/pathFilter';
import { DEFAULT_PROMPT_OPTIONS, PromptAssembler } from '../lsp-server/context/promptAssembler';
import { relevantSnippets, Retriever } from '../lsp-server/context/retriever';
import { SelectiveContext, UnigramScorer } from '../lsp-server/context/selectiveContext';
import { SyntaxChunker } from '../lsp-server/context/syntaxChunker';
import { WorkspaceIndex } from '../lsp-server/context/workspaceIndex';
import { healPrefix } from '../lsp-server/tokenHealing';
import { mulberry32 } from '../runtime/sampler';
import { TextTokenizer } from '../runtime/tokenizer';
import { assembleFixtureWorkspace } from './context/fixtureWorkspace';
import { machineInfo, percentile } from './lsp/benchClient';

const ROOT = resolve(__dirname, '..');
const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1]! : fallback;
};
const lineCount = Number(arg('lines', '40'));
const budget = Number(arg('budget', '512'));
const seed = Number(arg('seed', '7'));
const label = arg('label', '');
/** About where a prefill stops being cheap (~10 ms on 2 cores). */
const WARM_TOKENS = 64;
/** Candidates retrieved per keystroke, as contextPromptBuilder.ts asks for. */
const CANDIDATES = 6;

const MODES = ['no retrieval', 'retrieval', 'retrieval+compression'] as const;
type Mode = (typeof MODES)[number];

interface ModeFigures {
  mode: Mode;
  keystrokes: number;
  /** Share of keystrokes with more than WARM_TOKENS prompt tokens not in the previous keystroke's prompt. */
  coldShare: number;
  meanTokensToRun: number;
  p95TokensToRun: number;
  meanPromptTokens: number;
}

async function main(): Promise<void> {
  const workspace = mkdtempSync(join(tmpdir(), 'locus-prompt-stability-'));
  try {
    const packages = assembleFixtureWorkspace(join(ROOT, 'node_modules'), workspace);
    const chunker = await SyntaxChunker.create();
    const index = new WorkspaceIndex(workspace, chunker);
    await index.build(new PathFilter(workspace, { excludeGlobs: [] }));
    const tokenizer = TextTokenizer.fromDirectory(join(ROOT, 'models', 'default', 'target'));
    const assembler = new PromptAssembler(tokenizer);
    const retriever = new Retriever();
    const compression = new SelectiveContext(new UnigramScorer(tokenizer, index));

    // Deterministic lines to type: a non-trivial line past the file's head, typed from its indentation to its end.
    const files = index.snapshot().map((f) => f.path).filter((p) => /\.(ts|js)$/.test(p)).sort();
    const random = mulberry32(seed);
    const lines: { path: string; before: string; line: string; after: string }[] = [];
    for (let attempt = 0; lines.length < lineCount && attempt < lineCount * 20; attempt++) {
      const path = files[Math.floor(random() * files.length)]!;
      const all = readFileSync(join(workspace, path), 'utf8').split('\n');
      const candidates = all.flatMap((l, i) => (i > 40 && l.trim().length > 20 && l.length <= 120 ? [i] : []));
      if (candidates.length === 0) continue;
      const at = candidates[Math.floor(random() * candidates.length)]!;
      lines.push({ path, before: all.slice(0, at).join('\n') + '\n', line: all[at]!, after: '\n' + all.slice(at + 1).join('\n') });
    }

    const figures: ModeFigures[] = [];
    for (const mode of MODES) {
      const toRun: number[] = [];
      const promptTokens: number[] = [];
      for (const { path, before, line, after } of lines) {
        let previous: number[] | undefined;
        for (let end = line.length - line.trimStart().length + 1; end <= line.length; end++) {
          const prefix = before + line.slice(0, end);
          const healed = healPrefix(tokenizer, prefix);
          const snippets = mode === 'no retrieval' ? [] : relevantSnippets(retriever.retrieve([index], { current: { index, relativePath: path }, prefix, suffix: after }, CANDIDATES));
          const prompt = await assembler.assemble(
            { currentPath: path, prefix: healed.prefix, suffix: after, snippets },
            { ...DEFAULT_PROMPT_OPTIONS, budget, compression: mode === 'retrieval+compression' ? compression : undefined },
          );
          if (previous !== undefined) {
            let shared = 0;
            while (shared < prompt.ids.length && shared < previous.length && prompt.ids[shared] === previous[shared]) shared++;
            toRun.push(prompt.ids.length - shared);
            promptTokens.push(prompt.ids.length);
          }
          previous = prompt.ids;
        }
      }
      figures.push({
        mode,
        keystrokes: toRun.length,
        coldShare: toRun.filter((n) => n > WARM_TOKENS).length / toRun.length,
        meanTokensToRun: toRun.reduce((s, n) => s + n, 0) / toRun.length,
        p95TokensToRun: percentile(toRun, 95),
        meanPromptTokens: promptTokens.reduce((s, n) => s + n, 0) / promptTokens.length,
      });
    }

    const machine = machineInfo();
    const day = new Date().toISOString().slice(0, 10);
    const tag = `promptStability-${label === '' ? '' : `${label}-`}${day}`;
    const outDir = join(ROOT, 'bench', 'results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `${tag}.json`), JSON.stringify({ date: new Date().toISOString(), machine, packages, budget, seed, warmTokens: WARM_TOKENS, lines: lines.length, figures }, null, 2) + '\n');
    const md = [
      `# Prompt stability while typing (${day})`,
      '',
      `Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node} (counts, not timings). Workspace: ${packages.map((p) => `${p.name}@${p.version}`).join(', ')}.`,
      `${lines.length} lines of real code (seed ${seed}) typed one character at a time from their indentation; at each keystroke the prompt is built as the server builds it (token healing, ${budget}-token budget; compression scored by token statistics) and compared with the previous keystroke's prompt: the tokens after the first difference must run through the model.`,
      '',
      `| mode | keystrokes | keystrokes with more than ${WARM_TOKENS} tokens to run | tokens to run, mean / p95 | prompt tokens, mean |`,
      '|---|---|---|---|---|',
      ...figures.map((f) => `| ${f.mode} | ${f.keystrokes} | ${(f.coldShare * 100).toFixed(1)}% | ${f.meanTokensToRun.toFixed(1)} / ${f.p95TokensToRun} | ${f.meanPromptTokens.toFixed(0)} |`),
      '',
    ].join('\n');
    writeFileSync(join(outDir, `${tag}.md`), md);
    console.log(md);
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

void main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
