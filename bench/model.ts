// `npm run bench -- model [--model DIR] [--draft DIR] [--quantization q4|int8|fp32] [--cases FILE] [--limit N]
//   [--kind single|multi] [--budget TOKENS] [--beam-width N] [--warm] [--workspace [--editor-lists]] [--crlf] [--at-header]
//   [--server-js PATH] [--label NAME] [--dump FILE]`
// Fill-in-the-middle quality exactly as users get it: each held-out case is opened in the real language server
// (dist/server.js over LSP), an inline completion is requested at the cursor, and the offered text is compared
// with what the author wrote. Exact match and edit similarity per language and kind, with latency; for blocks also the
// lines right from the first on (what a user takes as it is) and the characters of the lines after them (what they read
// past: edit similarity credits a wrong line for its indentation and common words). --dump writes every
// case's answer and prediction as JSON lines, for looking at the misses. --warm asks first at the keystroke before
// (the prefix's last character not yet typed) and measures the request after it, as while typing: the prompt is
// then mostly in the prefix cache, and the completion cache may answer from the first suggestion. --workspace opens
// each case inside its package, as a user with the project open gets it: the held-out packages' files
// (training/data-gpu/heldout.jsonl.xz) are written to a folder the server indexes, so prompts carry retrieved code
// from the package's other files and members of its modules take their names (the case's own file is never
// retrieved from). --crlf opens every case as a Windows file (CRLF line ends; predictions are compared line by line,
// so their line ends do not count). --server-js runs another build's dist/server.js (an A/B against an older commit).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  InitializedNotification,
  InitializeRequest,
  InlineCompletionRequest,
  type InlineCompletionItem,
  type InlineCompletionList,
} from 'vscode-languageserver-protocol';
import { startServerProcess, withTimeout } from '../cli/serverProcess';
import { CompletionTimingsNotification, CompressRequest, MemberNamesRequest, StatusNotification, type CompletionTimings, type ModelStatus } from '../lsp-server/protocol';
import { TsMemberLists } from './context/tsMemberNames';

const ROOT = resolve(__dirname, '..');
const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const modelDir = resolve(arg('model', join(ROOT, 'models', 'default', 'target')));
const draftDir = arg('draft', '');
const quantization = arg('quantization', 'auto');
const casesPath = resolve(arg('cases', join(ROOT, 'bench', 'data', 'fim-cases.jsonl')));
const limit = Number(arg('limit', '100000'));
const kind = arg('kind', '');
const budget = Number(arg('budget', '0'));
/** 0: the server's default. */
const beamWidth = Number(arg('beam-width', '0'));
/** Names the result files apart when two builds of the same model are compared side by side. */
const label = arg('label', '');
const dumpPath = arg('dump', '');
const warm = process.argv.includes('--warm');
const crlf = process.argv.includes('--crlf');
/**
 * Each block case asked one line up, at the end of the header above it (`def f(x):|`, `{|`), with the line break and
 * indentation added to the answer: where a user pauses before pressing Enter. Cases not under a header are left out.
 */
const atHeader = process.argv.includes('--at-header');
const serverJsArg = arg('server-js', '');
const withWorkspace = process.argv.includes('--workspace');
/**
 * With --workspace: the bench client also answers locus/memberNames as VS Code does, TypeScript's language service
 * over the package's JavaScript and TypeScript (bench/context/tsMemberNames.ts) standing in for the editor; Python
 * files get no list. The server waits for it as for VS Code (at most 60 ms).
 */
const editorLists = process.argv.includes('--editor-lists');
if (editorLists && !withWorkspace) throw new Error('--editor-lists needs --workspace: the lists come from the package\'s files.');
const HELDOUT = join(ROOT, 'training', 'data-gpu', 'heldout.jsonl.xz');

interface FimCase {
  id: string;
  lang: string;
  kind: 'single' | 'multi';
  package: string;
  path: string;
  prefix: string;
  suffix: string;
  answer: string;
}

/** Trailing whitespace per line and trailing blank lines do not count (what the editor shows is the same). */
export function normalize(text: string): string {
  const lines = text.split('\n').map((l) => l.trimEnd());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
}

export function levenshtein(a: string, b: string): number {
  if (a.length < b.length) [a, b] = [b, a];
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length];
}

export function editSimilarity(prediction: string, answer: string): number {
  const p = normalize(prediction);
  const a = normalize(answer);
  return 1 - levenshtein(p, a) / Math.max(p.length, a.length, 1);
}

/**
 * How a prediction's lines compare with the answer's: `right`, lines equal to the answer's from the first on (what a
 * user can take as it is, line by line), and `otherChars`, the characters past their indentation of the lines after
 * them (what the user reads past, or takes and edits).
 */
export function leadingLines(prediction: string, answer: string): { right: number; otherChars: number } {
  const shown = normalize(prediction) === '' ? [] : normalize(prediction).split('\n');
  const wanted = normalize(answer).split('\n');
  let right = 0;
  while (right < shown.length && right < wanted.length && shown[right] === wanted[right]) right++;
  return { right, otherChars: shown.slice(right).reduce((sum, line) => sum + line.trim().length, 0) };
}

/** A block case moved to the end of the header line above it, or none where no header is there (`--at-header`). */
export function atHeaderEnd(c: FimCase): FimCase[] {
  const header = /[:{][ \t]*(\r?\n[ \t]*)$/.exec(c.prefix);
  if (c.kind !== 'multi' || header === null) return [];
  const cut = c.prefix.length - header[1]!.length;
  return [{ ...c, prefix: c.prefix.slice(0, cut), answer: c.prefix.slice(cut) + c.answer }];
}

const LANGUAGE_IDS: Record<string, [string, string]> = { py: ['python', 'py'], ts: ['typescript', 'ts'], js: ['javascript', 'js'] };

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

async function main(): Promise<void> {
  const serverJs = serverJsArg === '' ? join(ROOT, 'dist', 'server.js') : resolve(serverJsArg);
  if (!existsSync(serverJs)) throw new Error('dist/server.js is missing: run `npm run build` first.');
  const cases: FimCase[] = readFileSync(casesPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as FimCase)
    .filter((c) => kind === '' || c.kind === kind)
    .flatMap((c) => (atHeader ? atHeaderEnd(c) : [c]))
    .slice(0, limit)
    .map((c) => (crlf ? { ...c, prefix: c.prefix.replace(/\r?\n/g, '\r\n'), suffix: c.suffix.replace(/\r?\n/g, '\r\n') } : c));
  const workspace = withWorkspace ? writeHeldOutWorkspace() : undefined;
  const server = startServerProcess(serverJs);
  const { connection } = server;
  /** Each open case's text, for the editor's lists. */
  const openTexts = new Map<string, string>();
  let asked = 0;
  let answered = 0;
  if (editorLists && workspace !== undefined) {
    const scripts = workspace.files.filter((f) => /\.(?:[cm]?[jt]sx?)$/.test(f));
    const lists = new TsMemberLists(workspace.root, scripts);
    connection.onRequest(MemberNamesRequest.type, ({ textDocument, position }) => {
      asked++;
      const text = openTexts.get(textDocument.uri);
      const path = relative(workspace.root, fileURLToPath(textDocument.uri));
      if (text === undefined || !scripts.includes(path)) return null;
      const entries = lists.entriesAt(path, text, position);
      if (entries !== null) answered++;
      return entries === null ? null : { entries };
    });
  }
  const statuses: ModelStatus[] = [];
  const timings: CompletionTimings[] = [];
  connection.onNotification(StatusNotification.type, (s) => {
    statuses.push(s);
  });
  connection.onNotification(CompletionTimingsNotification.type, (t) => {
    timings.push(t);
  });
  // No time limit: the figures are the model's, not how loaded the machine was.
  const completion = { maxNewTokens: 96, timeLimitMs: 0, ...(budget > 0 && { promptTokenBudget: budget }), ...(beamWidth > 0 && { beamWidth }) };
  await withTimeout(
    connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: workspace === undefined ? null : pathToFileURL(workspace.root).href,
      ...(workspace !== undefined && { workspaceFolders: [{ uri: pathToFileURL(workspace.root).href, name: 'held-out' }] }),
      capabilities: editorLists ? { experimental: { [MemberNamesRequest.capability]: true } } : {},
      initializationOptions: {
        model: { path: modelDir, draftPath: draftDir, quantization },
        completion,
        ...(workspace !== undefined && { context: { cacheDir: workspace.cacheDir } }),
      },
    }),
    30_000,
    'initialize',
  );
  await connection.sendNotification(InitializedNotification.type, {});
  const readyBy = Date.now() + 120_000;
  while (!statuses.some((s) => s.state !== 'loading') && Date.now() < readyBy) await new Promise((r) => setTimeout(r, 50));
  const status = statuses.find((s) => s.state !== 'loading');
  if (status?.state !== 'ready') throw new Error(`model did not load: ${JSON.stringify(status)}`);
  if (workspace !== undefined && cases.length > 0) await waitForIndex(connection, workspace.root, cases[0]!);

  // `emAny`: one of the items offered (the answer or a runner-up the editor cycles to) matches exactly.
  type Outcome = { case: FimCase; prediction: string; em: boolean; emAny: boolean; items: number; es: number; lines: ReturnType<typeof leadingLines>; ms: number; timing?: CompletionTimings };
  const outcomes: Outcome[] = [];
  const started = Date.now();
  for (const c of cases) {
    const [languageId, ext] = LANGUAGE_IDS[c.lang] ?? ['plaintext', 'txt'];
    const uri = workspace === undefined ? `file:///locus-eval/${c.id}.${ext}` : pathToFileURL(join(workspace.root, c.package, c.path)).href;
    const text = c.prefix + c.suffix;
    openTexts.set(uri, text);
    const position = endOf(c.prefix);
    if (warm && c.prefix !== '') {
      // One keystroke earlier: the last character (a whole code point, or a whole line break) not yet typed.
      const typedBefore = c.prefix.endsWith('\r\n') ? c.prefix.slice(0, -2) : [...c.prefix].slice(0, -1).join('');
      await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text: typedBefore + c.suffix } });
      await withTimeout(
        connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri }, position: endOf(typedBefore), context: { triggerKind: 2 } }),
        60_000,
        'inlineCompletion',
      );
      await connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 2 }, contentChanges: [{ text }] });
    } else {
      await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
    }
    const before = timings.length;
    const t0 = performance.now();
    const result = (await withTimeout(
      connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri }, position, context: { triggerKind: 2 } }),
      60_000,
      'inlineCompletion',
    )) as InlineCompletionList | InlineCompletionItem[] | null;
    const ms = performance.now() - t0;
    const items = Array.isArray(result) ? result : (result?.items ?? []);
    const texts = items.map((item) => (typeof item.insertText === 'string' ? item.insertText : item.insertText.value));
    const prediction = texts[0] ?? '';
    outcomes.push({
      case: c,
      prediction,
      em: normalize(prediction) === normalize(c.answer),
      emAny: texts.some((text) => normalize(text) === normalize(c.answer)),
      items: texts.length,
      es: editSimilarity(prediction, c.answer),
      lines: leadingLines(prediction, c.answer),
      ms,
      timing: timings.length > before ? timings[timings.length - 1] : undefined,
    });
    // Cases share files in a workspace: the next one opens its own text.
    if (workspace !== undefined) await connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }
  await server.stop();
  if (workspace !== undefined) rmSync(workspace.folder, { recursive: true, force: true });
  const wallS = (Date.now() - started) / 1000;

  const groups = new Map<string, Outcome[]>();
  for (const o of outcomes) {
    const lang = o.case.lang === 'py' ? 'py' : 'ts/js';
    for (const key of [`${lang} ${o.case.kind}`, o.case.kind, 'all']) groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  const summary = [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, os]) => ({
      group,
      cases: os.length,
      exactMatch: os.filter((o) => o.em).length / os.length,
      exactMatchAnyItem: os.filter((o) => o.emAny).length / os.length,
      withRunnersUp: os.filter((o) => o.items > 1).length / os.length,
      editSimilarity: os.reduce((s, o) => s + o.es, 0) / os.length,
      empty: os.filter((o) => o.prediction === '').length / os.length,
      rightLeadingLines: os.reduce((s, o) => s + o.lines.right, 0),
      otherShownChars: os.reduce((s, o) => s + o.lines.otherChars, 0),
      latencyP50Ms: percentile(os.map((o) => o.ms), 50),
      latencyP95Ms: percentile(os.map((o) => o.ms), 95),
    }));
  const cacheHits = outcomes.filter((o) => o.timing?.cacheHit === true).length;
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  const ready = status as Extract<ModelStatus, { state: 'ready' }>;
  const day = new Date().toISOString().slice(0, 10);
  const tag = `${ready.model}-${ready.quantization}${budget > 0 ? `-budget${budget}` : ''}${beamWidth > 0 ? `-beam${beamWidth}` : ''}${kind ? `-${kind}` : ''}${warm ? '-warm' : ''}${withWorkspace ? '-workspace' : ''}${crlf ? '-crlf' : ''}${atHeader ? '-at-header' : ''}${editorLists ? '-editor-lists' : ''}${label ? `-${label}` : ''}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  const out = {
    date: new Date().toISOString(),
    machine,
    model: { dir: relative(ROOT, modelDir), onnx: ready.onnxFile, quantization: ready.quantization, draft: ready.draft ?? null },
    cases: relative(ROOT, casesPath),
    completion,
    warm,
    workspace: withWorkspace ? 'held-out packages indexed; each case opened at its path in its package' : null,
    editorLists: editorLists ? { asked, answered } : null,
    completionCacheHits: cacheHits,
    wallSeconds: wallS,
    summary,
    examples: outcomes.slice(0, 12).map((o) => ({ id: o.case.id, kind: o.case.kind, answer: o.case.answer, prediction: o.prediction })),
  };
  if (dumpPath) {
    const line = (o: Outcome) => JSON.stringify({ id: o.case.id, lang: o.case.lang, kind: o.case.kind, em: o.em, emAny: o.emAny, items: o.items, es: o.es, rightLines: o.lines.right, otherChars: o.lines.otherChars, prefixTail: o.case.prefix.slice(-200), answer: o.case.answer, prediction: o.prediction });
    writeFileSync(resolve(dumpPath), outcomes.map(line).join('\n') + '\n');
  }
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `model-eval-${tag}-${day}.json`), JSON.stringify(out, null, 2) + '\n');
  const md = [
    `# FIM evaluation through the language server: ${ready.model} (${ready.onnxFile}) ${day}`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}. ${outcomes.length} held-out cases from ${out.cases}, ${wallS.toFixed(0)} s. Completion settings: ${JSON.stringify(completion)}, the rest at the server's defaults.${warm ? ` Warm: each case asked first one keystroke earlier; the request after it is measured (${cacheHits} of ${outcomes.length} answered by the completion cache from the first suggestion).` : ' Cold: one request per case in a fresh document.'}${crlf ? ' CRLF: every case opened as a Windows file.' : ''}${atHeader ? ' At the header: each block case asked at the end of the header line above it.' : ''}${serverJsArg ? ` Server: ${serverJsArg}.` : ''}${withWorkspace ? ' Workspace: the held-out packages (training/data-gpu/heldout.jsonl.xz) indexed by the server, each case opened at its path in its package.' : ''}${editorLists ? ` Editor's member lists: TypeScript's language service answered locus/memberNames ${answered} of ${asked} times (JavaScript and TypeScript files; Python gets none).` : ''}`,
    '',
    '| group | cases | exact match | exact match, any item | with runners-up | edit similarity | empty | right lines from the first | characters of other lines | p50 ms | p95 ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...summary.map(
      (s) =>
        `| ${s.group} | ${s.cases} | ${(s.exactMatch * 100).toFixed(1)}% | ${(s.exactMatchAnyItem * 100).toFixed(1)}% | ${(s.withRunnersUp * 100).toFixed(1)}% | ${s.editSimilarity.toFixed(3)} | ${(s.empty * 100).toFixed(1)}% | ${s.rightLeadingLines} | ${s.otherShownChars} | ${s.latencyP50Ms.toFixed(0)} | ${s.latencyP95Ms.toFixed(0)} |`,
    ),
    '',
  ].join('\n');
  writeFileSync(join(outDir, `model-eval-${tag}-${day}.md`), md);
  console.log(md);
}

void main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});

/** The held-out packages' files under a temporary folder (one subfolder per package), and a folder for the index cache. */
function writeHeldOutWorkspace(): { folder: string; root: string; cacheDir: string; files: string[] } {
  const folder = mkdtempSync(join(tmpdir(), 'locus-model-bench-'));
  const root = join(folder, 'workspace');
  const records = execFileSync('xz', ['-dc', HELDOUT], { maxBuffer: 256 * 2 ** 20, encoding: 'utf8' }).split('\n').filter(Boolean);
  const files: string[] = [];
  for (const line of records) {
    const file = JSON.parse(line) as { package: string; path: string; text: string };
    const target = join(root, file.package, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.text);
    files.push(relative(root, target));
  }
  return { folder, root, cacheDir: join(folder, 'index-cache'), files };
}

/** Where a cursor at the very end of `text` stands. */
function endOf(text: string): { line: number; character: number } {
  const lines = text.split('\n');
  return { line: lines.length - 1, character: lines[lines.length - 1]!.length };
}

/** Asks `locus/compress` at the first case until the server's index is built. */
async function waitForIndex(connection: ReturnType<typeof startServerProcess>['connection'], root: string, first: FimCase): Promise<void> {
  const [languageId] = LANGUAGE_IDS[first.lang] ?? ['plaintext'];
  const uri = pathToFileURL(join(root, first.package, first.path)).href;
  await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text: first.prefix + first.suffix } });
  const position = endOf(first.prefix);
  const by = Date.now() + 300_000;
  for (;;) {
    const report = await connection.sendRequest(CompressRequest.type, { textDocument: { uri }, position });
    if (!report.index.building) break;
    if (Date.now() > by) throw new Error('The workspace index was not built within 5 minutes.');
    await new Promise((r) => setTimeout(r, 200));
  }
  await connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
}
