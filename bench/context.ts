// `npm run bench -- context`: cross-file completion with no retrieval, with retrieval, and with retrieval plus
// selective-context compression (token statistics and draft-model scorers), at prompt budgets of 512 and 1024
// tokens, on cases built from real multi-file packages; then workspace-index figures on 10,000 files.
// Options: --fixture compiled-js|ts-sources (the packages' compiled JavaScript, the default, or TypeScript sources,
// where the editor knows objects' types), --modes i,j (a subset of the modes, by position), --cases N (default 120; 0 runs the index figures alone), --files N (index workspace size, default 10000;
// 0 skips), --out NAME (result file name; default context-DATE, or context-index-DATE with --cases 0, so an
// index-only run never overwrites a full one).
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { tokenLogProbs } from '../runtime/tokenLogProbs';
import { PathFilter } from '../lsp-server/context/pathFilter';
import { DEFAULT_PROMPT_OPTIONS, PromptAssembler, type AssembledPrompt } from '../lsp-server/context/promptAssembler';
import { relevantSnippets, Retriever } from '../lsp-server/context/retriever';
import { DraftModelScorer, SelectiveContext, UnigramScorer } from '../lsp-server/context/selectiveContext';
import { SyntaxChunker } from '../lsp-server/context/syntaxChunker';
import { WorkspaceIndex } from '../lsp-server/context/workspaceIndex';
import { healPrefix } from '../lsp-server/tokenHealing';
import { memberChoices, wordChoices } from '../lsp-server/context/moduleMembers';
import { GREEDY_SAMPLING } from '../runtime/engine';
import { LocalEngine } from '../runtime/localEngine';
import { loadDecoder } from '../runtime/modelLoader';
import { TextTokenizer } from '../runtime/tokenizer';
import { buildCrossFileCases, type CrossFileCase } from './context/caseBuilder';
import { editSimilarity, exactMatch, firstLine, percentile } from './context/completionMetrics';
import { assembleFixtureWorkspace, FIXTURE_PACKAGES, TS_SOURCE_PACKAGES } from './context/fixtureWorkspace';
import { TsMemberLists } from './context/tsMemberNames';
import { EditorMemberNames } from '../lsp-server/context/editorMemberNames';
import { sourceKindOf } from '../lsp-server/context/memberAccess';
import { measureIndex, type IndexFigures } from './context/indexFigures';

const ROOT = join(__dirname, '..');
const TARGET_DIR = join(ROOT, 'models', 'default', 'target');
const DRAFT_DIR = join(ROOT, 'models', 'default', 'draft');
const BUDGETS = [512, 1024] as const;
const MAX_NEW_TOKENS = 32;
/** Candidates retrieved per cursor: all of them for compression, as many as fit for plain packing. */
const CANDIDATES = 6;

type Mode = 'none' | 'member names only' | 'retrieval' | 'retrieval+compression (unigram)' | 'retrieval+compression (draft model)' | 'server with the editor\'s member lists';
// 'member names only': the workspace module's names constrain the completion, but no snippets are in the prompt,
// which separates what the names do from what the retrieved code does. 'server with the editor's member lists': the
// server's mode (retrieval, draft-model compression) in VS Code, which also answers locus/memberNames: TypeScript's
// language service stands in for the editor (context/tsMemberNames.ts).
const ALL_MODES: Mode[] = ['none', 'member names only', 'retrieval', 'retrieval+compression (unigram)', 'retrieval+compression (draft model)', "server with the editor's member lists"];
/** `--modes a,b`: a subset, by position in ALL_MODES (0-5), for a quicker side-by-side run. */
const MODES: Mode[] =
  textOption('modes')?.split(',').map((i) => {
    const mode = ALL_MODES[Number(i)];
    if (mode === undefined) throw new Error(`--modes takes positions 0-${ALL_MODES.length - 1}, not ${i}`);
    return mode;
  }) ?? ALL_MODES;

interface ModeResult {
  mode: Mode;
  budget: number;
  /** Budget the model actually got: the nominal one, capped by its context minus the generated tokens. */
  effectiveBudget: number;
  cases: number;
  exactMatch: number;
  editSimilarity: number;
  /** Share of cases whose prediction starts with the cross-file name (identifier match). */
  nameMatch: number;
  /** Share of cases whose prompt (at the nominal budget) contains the cross-file name the completion needs. */
  nameInPrompt: number;
  /** Share of cases where a retrieved candidate (before packing) is a chunk of a declaring file that contains the name. */
  definitionRetrieved: number;
  /** Share of cases whose cursor is on a member of a workspace module, so the completion starts with one of its names. */
  memberNames: number;
  promptTokens: { mean: number; p95: number };
  /** Retrieval plus assembly (scoring included). */
  promptBuildMs: { p50: number; p95: number };
  generationMs: { p50: number; p95: number };
}

function textOption(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

function machine(): Record<string, string | number> {
  let model = os.cpus()[0]?.model ?? 'unknown';
  try {
    model = /Model name:\s*(.+)/.exec(execSync('lscpu', { encoding: 'utf8' }))?.[1]?.trim() ?? model;
  } catch {
    // lscpu is missing on some systems; os.cpus() names the model too
  }
  return { cpu: model, cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}`, loadAverage: os.loadavg()[0]!.toFixed(2) };
}

async function main(): Promise<void> {
  const caseCount = option('cases', 120);
  const indexFiles = option('files', 10000);
  const log = (line: string): void => console.log(line);
  const workspace = mkdtempSync(join(os.tmpdir(), 'locus-context-bench-'));
  try {
    const fixture = textOption('fixture') ?? 'compiled-js';
    if (fixture !== 'compiled-js' && fixture !== 'ts-sources') throw new Error(`--fixture takes compiled-js or ts-sources, not ${fixture}`);
    const packages = assembleFixtureWorkspace(join(ROOT, 'node_modules'), workspace, fixture === 'ts-sources' ? TS_SOURCE_PACKAGES : FIXTURE_PACKAGES);
    const chunker = await SyntaxChunker.create();
    const index = new WorkspaceIndex(workspace, chunker);
    const build = await index.build(new PathFilter(workspace, { excludeGlobs: [] }));
    log(`fixture: ${packages.map((p) => `${p.name}@${p.version}`).join(', ')}: ${build.files} files, ${build.chunks} chunks`);
    const cases = caseCount === 0 ? [] : await buildCrossFileCases(workspace, index.snapshot().map((f) => f.path).sort(), chunker, { maxCases: caseCount, maxPerPackage: fixture === 'ts-sources' ? caseCount : Math.ceil(caseCount / 4), seed: 20261123 });
    log(`cases: ${cases.length} cross-file cursor positions`);
    // A full run that finds nothing to measure must fail, not be written as an index-only run.
    if (caseCount > 0 && cases.length === 0) throw new Error('No cross-file cases could be built from the fixture packages (see bench/context/caseBuilder.ts).');

    const tokenizer = TextTokenizer.fromDirectory(TARGET_DIR);
    const engine = new LocalEngine();
    const info = await engine.load({ modelDir: TARGET_DIR, quantization: 'auto', threads: 1 });
    const draft = await loadDecoder(DRAFT_DIR, 'auto', 1, tokenizer.vocabSize);
    const assembler = new PromptAssembler(tokenizer);
    const retriever = new Retriever();
    const selective: Partial<Record<Mode, SelectiveContext>> = {
      'retrieval+compression (unigram)': new SelectiveContext(new UnigramScorer(tokenizer, index)),
      'retrieval+compression (draft model)': new SelectiveContext(new DraftModelScorer(tokenizer, (ids, signal) => tokenLogProbs(draft.model, draft.config.maxPositionEmbeddings, ids, signal))),
    };
    log(`model: ${info.name} (${info.onnxFile}, context ${info.maxContext}), draft ${draft.config.name ?? 'draft'}`);

    // As the server does: retrieval queries the text as typed, the prompt stops before the cursor's last token
    // (token healing) and generation must write that token's text again; with workspace context, a member of a
    // workspace module must be one of its names.
    const tsLists = MODES.includes("server with the editor's member lists") ? new TsMemberLists(workspace, index.snapshot().map((f) => f.path)) : undefined;
    const editorWords = new Map<string, string[] | undefined>();
    /** What the server takes from the editor at this case's cursor, asked as it asks (once per case; budgets share it). */
    const editorChoices = async (c: CrossFileCase): Promise<string[] | undefined> => {
      if (!editorWords.has(c.id)) {
        const text = c.prefix + c.suffix;
        const lines = c.prefix.split('\n');
        const names = new EditorMemberNames({
          ask: async ({ position }) => {
            const entries = tsLists!.entriesAt(c.path, text, position);
            return entries === null ? null : { entries };
          },
          // The bench waits for every list: in VS Code a list later than the server's 60 ms serves the next keystroke instead.
          timeoutMs: 60_000,
          now: () => performance.now(),
        });
        const never = new AbortController().signal;
        const cursor = { line: lines.length - 1, character: lines[lines.length - 1]!.length };
        editorWords.set(c.id, (await names.wordChoices(c.path, cursor, c.prefix, c.suffix, sourceKindOf(c.path), never)) ?? undefined);
      }
      return editorWords.get(c.id);
    };
    const build1 = async (c: CrossFileCase, mode: Mode, budget: number): Promise<{ prompt: AssembledPrompt; required: string; words: string[] | undefined; ms: number; found: boolean }> => {
      const started = performance.now();
      const healed = healPrefix(tokenizer, c.prefix);
      const candidates = mode === 'none' || mode === 'member names only' ? [] : retriever.retrieve([index], { current: { index, relativePath: c.path }, prefix: c.prefix, suffix: c.suffix }, CANDIDATES);
      const snippets = relevantSnippets(candidates);
      const compression = selective[mode === "server with the editor's member lists" ? 'retrieval+compression (draft model)' : mode];
      const prompt = await assembler.assemble({ currentPath: c.path, prefix: healed.prefix, suffix: c.suffix, snippets }, { ...DEFAULT_PROMPT_OPTIONS, budget, compression });
      const members = mode === 'none' ? undefined : memberChoices(index, c.path, c.prefix + c.suffix, c.prefix);
      // As the server: a workspace module's names, else the editor's list.
      const words = members !== undefined ? wordChoices(members) : mode === "server with the editor's member lists" ? await editorChoices(c) : undefined;
      const ms = performance.now() - started;
      return { prompt, required: healed.required, words, ms, found: candidates.some((s) => c.declaredIn.includes(s.path) && s.text.includes(c.name)) };
    };

    const results: ModeResult[] = [];
    for (const budget of cases.length > 0 ? BUDGETS : []) {
      const effectiveBudget = Math.min(budget, info.maxContext - MAX_NEW_TOKENS);
      for (const mode of MODES) {
        let em = 0;
        let es = 0;
        let nameMatch = 0;
        let named = 0;
        let found = 0;
        let constrained = 0;
        const tokens: number[] = [];
        const buildMs: number[] = [];
        const generationMs: number[] = [];
        for (const c of cases) {
          const nominal = await build1(c, mode, budget);
          buildMs.push(nominal.ms);
          if (nominal.found) found++;
          if (nominal.prompt.pieces.some((p) => p.kind === 'snippet' && p.text.includes(c.name))) named++;
          const { prompt, required, words } = effectiveBudget === budget ? nominal : await build1(c, mode, effectiveBudget);
          tokens.push(prompt.ids.length);
          if (words !== undefined) constrained++;
          const started = performance.now();
          const result = await engine.generate({ promptIds: prompt.ids, requiredPrefix: required || undefined, wordChoices: words, maxNewTokens: MAX_NEW_TOKENS, sampling: GREEDY_SAMPLING, stopStrings: ['\n'] });
          generationMs.push(performance.now() - started);
          const prediction = firstLine(result.text);
          if (exactMatch(prediction, c.expected)) em++;
          if (prediction.trimStart().startsWith(c.name)) nameMatch++;
          es += editSimilarity(prediction, c.expected);
        }
        const n = Math.max(1, cases.length);
        const row: ModeResult = {
          mode,
          budget,
          effectiveBudget,
          cases: cases.length,
          exactMatch: round((100 * em) / n),
          editSimilarity: round(es / n),
          nameMatch: round((100 * nameMatch) / n),
          nameInPrompt: round((100 * named) / n),
          definitionRetrieved: round((100 * found) / n),
          memberNames: round((100 * constrained) / n),
          promptTokens: { mean: round(tokens.reduce((a, b) => a + b, 0) / n), p95: percentile(tokens, 95) },
          promptBuildMs: { p50: round(percentile(buildMs, 50)), p95: round(percentile(buildMs, 95)) },
          generationMs: { p50: round(percentile(generationMs, 50)), p95: round(percentile(generationMs, 95)) },
        };
        results.push(row);
        log(`${mode} @${budget}: EM ${row.exactMatch} ES ${row.editSimilarity} name-match ${row.nameMatch}% name-in-prompt ${row.nameInPrompt}% definition-retrieved ${row.definitionRetrieved}% tokens ${row.promptTokens.mean} build p95 ${row.promptBuildMs.p95} ms`);
      }
    }
    await engine.dispose();
    await draft.model.dispose();
    chunker.dispose();

    const figures = indexFiles > 0 ? await measureIndex(workspace, indexFiles, log) : undefined;
    writeResults({ machine: machine(), model: { target: info.name, onnx: info.onnxFile, maxContext: info.maxContext }, packages, cases: cases.length, results, index: figures });
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

interface Report {
  machine: Record<string, string | number>;
  model: { target: string; onnx: string; maxContext: number };
  packages: { name: string; version: string; license: string; files: number }[];
  cases: number;
  results: ModeResult[];
  index: IndexFigures | undefined;
}

function writeResults(report: Report): void {
  const name = textOption('out') ?? `context-${report.cases > 0 ? '' : 'index-'}${new Date().toISOString().slice(0, 10)}`;
  const dir = join(ROOT, 'bench', 'results');
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ date: new Date().toISOString(), ...report }, null, 2) + '\n');
  const find = (mode: Mode, budget: number): ModeResult | undefined => report.results.find((r) => r.mode === mode && r.budget === budget);
  const md: string[] = [
    `# Context benchmark (${new Date().toISOString().slice(0, 16)}Z)`,
    '',
    `Machine: ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGiB} GiB, Node ${report.machine.node}, ${report.machine.platform}; load average ${report.machine.loadAverage} at the end (the machine is shared).`,
    '',
  ];
  if (report.cases > 0) md.push(
    `Model: \`${report.model.target}\` (${report.model.onnx}, context ${report.model.maxContext} positions), greedy, at most ${MAX_NEW_TOKENS} new tokens, first line compared. Budgets above the model's context minus ${MAX_NEW_TOKENS} generated tokens are capped for generation (column "model budget"); "prompt tokens" and "generation" are of the prompt the model got, "name in prompt" and "build" use the nominal budget.`,
    '',
    `Cases: ${report.cases} cross-file cursor positions (the completion uses a name declared in another file of the package and found nowhere else in the current file) from ${report.packages.map((p) => `${p.name}@${p.version} (${p.license})`).join(', ')}, none of which is in the training corpus.`,
    '',
    '"name match": the prediction starts with the cross-file name (identifier match). "definition retrieved": a candidate among the top 6 is a chunk of a declaring file containing the name; "name in prompt": the name is in a snippet that made it into the prompt; "member names": the cursor is on a member of a workspace module (\`utils_1.|\`), so with workspace context the completion starts with one of that module\'s names (lsp-server/context/moduleMembers.ts), as in the server. Every prompt is healed at the cursor as the server heals it.',
    '',
    '| mode | budget | model budget | EM % | ES | name match % | definition retrieved % | name in prompt % | member names % | prompt tokens (mean / p95) | build p50 / p95 ms | generation p50 / p95 ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...report.results.map(
      (r) =>
        `| ${r.mode} | ${r.budget} | ${r.effectiveBudget} | ${r.exactMatch} | ${r.editSimilarity} | ${r.nameMatch} | ${r.definitionRetrieved} | ${r.nameInPrompt} | ${r.memberNames} | ${r.promptTokens.mean} / ${r.promptTokens.p95} | ${r.promptBuildMs.p50} / ${r.promptBuildMs.p95} | ${r.generationMs.p50} / ${r.generationMs.p95} |`,
    ),
    '',
  );
  const none = find('none', 1024);
  const retrieval = find('retrieval', 1024);
  const namesOnly = find('member names only', 1024);
  const noneHalf = find('none', 512);
  const serverHalf = find('retrieval+compression (draft model)', 512);
  const serverFull = find('retrieval+compression (draft model)', 1024);
  const half = find('retrieval+compression (unigram)', 512);
  const halfDraft = find('retrieval+compression (draft model)', 512);
  if (none && retrieval && half && halfDraft) {
    md.push(
      '## Against the aims',
      '',
      `- Retrieval vs none at 1024: EM ${retrieval.exactMatch} vs ${none.exactMatch} (${round(retrieval.exactMatch - none.exactMatch)} points; aim ≥ 5); name match ${retrieval.nameMatch}% vs ${none.nameMatch}%; name in prompt ${retrieval.nameInPrompt}% vs ${none.nameInPrompt}%.`,
      ...(noneHalf && serverHalf && serverFull ? [`- As the server runs it (compression with the draft model; the default budget is 512): EM ${serverHalf.exactMatch} vs ${noneHalf.exactMatch} at 512 (${round(serverHalf.exactMatch - noneHalf.exactMatch)} points), ${serverFull.exactMatch} vs ${none.exactMatch} at 1024 (${round(serverFull.exactMatch - none.exactMatch)} points).`] : []),
      ...(namesOnly ? [`- Member names without snippets at 1024: EM ${namesOnly.exactMatch}, ES ${namesOnly.editSimilarity}, name match ${namesOnly.nameMatch}% (what the module's names alone give; retrieval's snippets add the rest).`] : []),
      `- Compression to half the tokens (retrieval at 1024 → retrieval + compression at 512): name in prompt keeps ${ratio(half.nameInPrompt, retrieval.nameInPrompt)}% (unigram) / ${ratio(halfDraft.nameInPrompt, retrieval.nameInPrompt)}% (draft model) of retrieval's; name match keeps ${ratio(half.nameMatch, retrieval.nameMatch)}% / ${ratio(halfDraft.nameMatch, retrieval.nameMatch)}%; EM keeps ${ratio(half.exactMatch, retrieval.exactMatch)}% / ${ratio(halfDraft.exactMatch, retrieval.exactMatch)}% (aim ≥ 95%; a ratio over fewer than 5 exact matches says little).`,
      '',
    );
  }
  if (report.index) {
    const f = report.index;
    md.push(
      `## Workspace index, ${f.files} files`,
      '',
      `Made by repeating the fixture packages' files (${(f.sourceBytes / 2 ** 20).toFixed(1)} MiB of source, ${f.chunks} chunks).`,
      '',
      '| figure | value |',
      '|---|---|',
      `| cold build (walk, read, tree-sitter chunking, BM25) | ${f.coldBuildMs} ms |`,
      `| warm build from the on-disk cache (walk + stat, chunks reused) | ${f.warmBuildMs} ms |`,
      `| cache file (gzip JSON) / save time | ${(f.cacheBytes / 2 ** 20).toFixed(1)} MiB / ${f.cacheSaveMs} ms |`,
      `| incremental update per changed file, p50 / p95 (n=${f.updateMs.n}) | ${f.updateMs.p50} / ${f.updateMs.p95} ms |`,
      `| query (retrieve top 4), p50 / p95 (n=${f.queryMs.n}) | ${f.queryMs.p50} / ${f.queryMs.p95} ms |`,
      `| memory held by the index (heap + external after GC) / RSS growth | ${f.heapMiB} MiB / ${f.rssMiB} MiB |`,
      '',
    );
  }
  writeFileSync(join(dir, `${name}.md`), md.join('\n'));
  console.log(`wrote bench/results/${name}.{md,json}`);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function ratio(part: number, whole: number): string {
  return whole === 0 ? 'n/a' : String(round((100 * part) / whole));
}

void main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exitCode = 1;
});
