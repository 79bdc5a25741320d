// The built language server (dist/server.js) over stdio, as VS Code and the CLI run it, with the tiny
// fixture model. `npm test` builds first (pretest).
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource, InlineCompletionTriggerKind, LSPErrorCodes, ResponseError } from 'vscode-languageserver-protocol';
import { GREEDY_SAMPLING, LocalEngine, TextTokenizer } from '../../runtime/index';
import { completionMode, stopStringsFor } from '../../lsp-server/completionMode';
import { DEFAULTS } from '../../lsp-server/config';
import { cursorContext } from '../../lsp-server/cursorContext';
import { buildFimPrompt, fimTokenIds } from '../../lsp-server/fimPrompt';
import { postProcess } from '../../lsp-server/postProcess';
import { healPrefix } from '../../lsp-server/tokenHealing';
import { FIXTURE_MODEL, LspHarness, SERVER_JS, WAIT_MS } from './lspHarness';
import { withTimeout } from '../../cli/serverProcess';
import { ExplainRequest } from '../../lsp-server/protocol';

/** The fixture's context is 512 tokens; long generations make cancellation observable. */
const MAX_NEW_TOKENS = 400;
// No time limit: what the fixture generates must not depend on how loaded the machine is (one test sets one).
const SETTINGS = { model: { path: FIXTURE_MODEL }, completion: { maxNewTokens: MAX_NEW_TOKENS, timeLimitMs: 0 } };
const PROMPT_BUDGET = Math.min(1024, 512 - MAX_NEW_TOKENS - 3);
/** A pushed part goes over the settings so far: a test that changed one puts its default back explicitly. */
const RESTORE = { ...SETTINGS, completion: { ...SETTINGS.completion, trigger: 'automatic', speculation: 'auto' } } as const;

/** What the server should answer: the same prompt, greedy decoding in-process, the same post-processing. */
async function expectedCompletion(text: string, offset: number, languageId: string): Promise<string> {
  const engine = new LocalEngine();
  try {
    await engine.load({ modelDir: FIXTURE_MODEL, quantization: 'auto', threads: 1 });
    const tokenizer = TextTokenizer.fromDirectory(FIXTURE_MODEL);
    const ctx = cursorContext(text, offset, languageId);
    const mode = completionMode(ctx);
    const healed = healPrefix(tokenizer, ctx.prefix);
    const prompt = buildFimPrompt(tokenizer, fimTokenIds(tokenizer), healed.prefix, ctx.suffix, PROMPT_BUDGET);
    const result = await engine.generate({
      promptIds: prompt.ids,
      requiredPrefix: healed.required || undefined,
      maxNewTokens: MAX_NEW_TOKENS,
      sampling: GREEDY_SAMPLING,
      stopStrings: stopStringsFor(mode),
      beamWidth: mode === 'multi-line' ? 1 : DEFAULTS.beamWidth,
    });
    return postProcess(result.text, mode, ctx);
  } finally {
    await engine.dispose();
  }
}

function isCancelled(error: unknown): boolean {
  return error instanceof ResponseError && error.code === LSPErrorCodes.RequestCancelled;
}

describe('language server with the fixture model', () => {
  let lsp: LspHarness;
  let earlyAnswer: string;
  /** Date.now() before the server process started. */
  let serverStarted: number;
  const early = 'file:///work/early.py';

  before(async () => {
    serverStarted = Date.now();
    lsp = await LspHarness.start(SETTINGS);
    // Asked right after `initialized`, while the model is still loading.
    await lsp.open(early, 'python', 'def f(x):\n    ');
    earlyAnswer = await lsp.complete(early, { line: 1, character: 4 });
    await lsp.waitForStatus((s) => s.state !== 'loading', 'model load');
  });

  after(async () => {
    await lsp?.stop();
  });

  it('runs the server process with its V8 flags (major GCs marked without helper threads)', () => {
    // Node reads V8 flags only before the script's path.
    const argv = lsp.server.child.spawnargs;
    const flag = argv.indexOf('--no-concurrent-marking');
    assert.ok(flag > 0 && flag < argv.indexOf(SERVER_JS), argv.join(' '));
  });

  it("runs the server process with glibc's malloc asking for transparent huge pages", () => {
    const environ = readFileSync(`/proc/${lsp.server.child.pid}/environ`, 'utf8').split('\0');
    const tunables = environ.find((v) => v.startsWith('GLIBC_TUNABLES='));
    assert.match(tunables ?? 'no GLIBC_TUNABLES', /^GLIBC_TUNABLES=(.*:)?glibc\.malloc\.hugetlb=1(:|$)/);
  });

  it("runs the server process with onnxruntime's telemetry off: no session-id or debug file in the temp folder", () => {
    const pid = lsp.server.child.pid!;
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes('ORT_DISABLE_TELEMETRY=1'), 'ORT_DISABLE_TELEMETRY=1 in the environment');
    // With telemetry on, onnxruntime 1.30 writes mat-debug-<pid>.log (and .ses) when it loads. One left by an earlier
    // process of the same pid is older than this server.
    const debugFile = join(tmpdir(), `mat-debug-${pid}.log`);
    assert.ok(!existsSync(debugFile) || statSync(debugFile).mtimeMs < serverStarted, `${debugFile} written by this server`);
  });

  it('advertises inline completions and incremental sync', () => {
    const { capabilities } = lsp.initializeResult;
    assert.equal(capabilities.inlineCompletionProvider, true);
    assert.equal(capabilities.textDocumentSync, 2);
  });

  it('answers empty before the model is ready, then reports it ready', async () => {
    assert.equal(earlyAnswer, '');
    assert.deepEqual(lsp.events.slice(0, 3), ['status:loading', 'completion', 'status:ready']);
    const ready = lsp.statuses.find((s) => s.state === 'ready');
    assert.ok(ready?.state === 'ready');
    assert.equal(ready.model, 'tiny-llama');
    assert.equal(ready.onnxFile, 'onnx/model.onnx');
  });

  it('completes an incrementally edited document with the post-processed greedy output', async () => {
    const uri = 'file:///work/edit.ts';
    await lsp.open(uri, 'typescript', 'imp\n');
    await lsp.change(uri, 2, [{ range: { start: { line: 0, character: 3 }, end: { line: 0, character: 3 } }, text: 'ort ' }]);
    const text = await lsp.complete(uri, { line: 0, character: 7 });
    const expected = await expectedCompletion('import \n', 7, 'typescript');
    assert.notEqual(expected, '', 'the fixture model produces something here');
    assert.equal(text, expected);
    const timings = lsp.timings.at(-1)!;
    assert.equal(timings.uri, uri);
    assert.ok(timings.generatedTokens > 0);
    assert.ok(timings.firstTokenMs <= timings.totalMs);
  });

  it('stops a cancelled generation early and keeps serving', async () => {
    const uri = 'file:///work/cancel.py';
    // A block the fixture model never closes within MAX_NEW_TOKENS, asked for (so written whole, not only the lines
    // the model is sure of): nothing but the cancellation stops it.
    await lsp.open(uri, 'python', 'x = {');
    const position = { line: 0, character: 5 };
    const asked = InlineCompletionTriggerKind.Invoked;
    const full = performance.now();
    const fullText = await lsp.complete(uri, position, undefined, asked);
    const fullMs = performance.now() - full;
    const fullTokens = lsp.timings.at(-1)!.generatedTokens;
    assert.ok(fullTokens >= 200, `an uncancelled run generates many tokens (${fullTokens})`);
    // While typing, the run stops at the first line the random-weight model is unsure of (the worker streamed its
    // scores), and shows the lines before it.
    const typingText = await lsp.complete(uri, position);
    const typingTokens = lsp.timings.at(-1)!.generatedTokens;
    assert.ok(typingTokens < fullTokens, `${typingTokens} tokens while typing, ${fullTokens} asked for`);
    assert.ok(typingText.length < fullText.length && fullText.startsWith(typingText), typingText);

    // The same text in another document: an ask at the first one's place may be answered from the completion cache,
    // which has the whole block (the typing run's cut one replaces it only where its lines differ).
    const again = 'file:///work/cancel-again.py';
    await lsp.open(again, 'python', 'x = {');
    const cancel = new CancellationTokenSource();
    const started = performance.now();
    const cancelled = lsp.complete(again, position, cancel, asked);
    setTimeout(() => cancel.cancel(), 10);
    await assert.rejects(cancelled, isCancelled);
    const cancelledMs = performance.now() - started;
    assert.ok(cancelledMs < fullMs / 2, `cancelled after ${cancelledMs.toFixed(0)} ms; a full run takes ${fullMs.toFixed(0)} ms`);

    assert.equal(await lsp.complete(uri, position, undefined, asked), fullText, 'the next request completes as before');
  });

  it('with the manual trigger, runs the model only for requests the user invoked', async () => {
    const uri = 'file:///work/manual.ts';
    await lsp.open(uri, 'typescript', 'import \n');
    const position = { line: 0, character: 7 };
    const expected = await expectedCompletion('import \n', 7, 'typescript');
    await lsp.configure({ ...SETTINGS, completion: { ...SETTINGS.completion, trigger: 'manual' } });
    try {
      const runs = lsp.timings.length;
      assert.equal(await lsp.complete(uri, position), '', 'typing asks for nothing');
      assert.equal(lsp.timings.length, runs, 'no model run while typing');
      assert.equal(await lsp.complete(uri, position, undefined, InlineCompletionTriggerKind.Invoked), expected);
      assert.equal(lsp.timings.length, runs + 1);
    } finally {
      await lsp.configure(RESTORE);
    }
  });

  it('offers the whole words of a block that reaches the time limit (its finished lines where it has some)', async () => {
    // The block the fixture model never closes (above): without a limit it runs to maxNewTokens.
    const position = { line: 0, character: 5 };
    // Both runs decode one token per pass: with speculation, how many tokens a pass verifies follows its timings, and
    // a loaded machine's other passes gave other near-tied greedy tokens (the limited text then was not the full one's).
    await lsp.configure({ ...SETTINGS, completion: { ...SETTINGS.completion, speculation: 'off' } });
    try {
      await lsp.open('file:///work/unlimited.py', 'python', 'x = {');
      // Asked for: the whole block, not the lines the model is sure of.
      const full = await lsp.complete('file:///work/unlimited.py', position, undefined, InlineCompletionTriggerKind.Invoked);
      const fullTokens = lsp.timings.at(-1)!.generatedTokens;
      // The fixture writes its ~250 tokens in ~40 ms, one per pass (prompt lookup would write them faster still).
      await lsp.configure({ ...SETTINGS, completion: { ...SETTINGS.completion, timeLimitMs: 10, speculation: 'off' } });
      // Another document, so the completion cache does not answer.
      await lsp.open('file:///work/limited.py', 'python', 'x = {');
      const limited = await lsp.complete('file:///work/limited.py', position, undefined, InlineCompletionTriggerKind.Invoked);
      const timings = lsp.timings.at(-1)!;
      assert.equal(timings.timeLimited, true, `${timings.generatedTokens} tokens in ${timings.totalMs} ms`);
      assert.ok(timings.generatedTokens < fullTokens, `${timings.generatedTokens} of ${fullTokens} tokens`);
      assert.notEqual(limited, '');
      // The same greedy text, cut where a line or a word of it ends (the fixture writes few line breaks).
      const endsMidWord = /[\p{L}\p{N}_$]$/u.test(limited) && /^[\p{L}\p{N}_$]/u.test(full.slice(limited.length));
      assert.ok(full.startsWith(limited) && !endsMidWord, `${JSON.stringify(limited)} is whole words of ${JSON.stringify(full.slice(0, 200))}`);
    } finally {
      await lsp.configure(RESTORE);
    }
  });

  it('lets a newer request for a document abort the older one', async () => {
    const uri = 'file:///work/churn.py';
    // The never-closed block of the cancellation test: the older request is still decoding when the newer one
    // comes 10 ms later, however fast the machine (a short completion could finish first and answer non-empty).
    await lsp.open(uri, 'python', 'x = {');
    const position = { line: 0, character: 5 };
    const alone = await lsp.complete(uri, position);
    const before = lsp.timings.length;
    const started = performance.now();
    const older = lsp.complete(uri, position);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const newer = lsp.complete(uri, position);
    assert.equal(await older, '', 'the superseded request answers no items');
    const olderMs = performance.now() - started;
    assert.equal(await newer, alone);
    assert.equal(lsp.timings.length - before, 1, 'only the newer request finished generating');
    assert.ok(olderMs < performance.now() - started, 'the older request was answered before the newer one finished');
  });

  it('lets a request for another document abort the one running (the user went there)', async () => {
    const [left, went] = ['file:///work/left.py', 'file:///work/went.py'];
    await lsp.open(left, 'python', 'x = {');
    await lsp.open(went, 'python', 'x = {');
    const position = { line: 0, character: 5 };
    const alone = await lsp.complete(went, position);
    const before = lsp.timings.length;
    const older = lsp.complete(left, position);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const newer = lsp.complete(went, position);
    assert.equal(await older, '', 'the request for the document left answers no items');
    assert.equal(await newer, alone);
    assert.equal(lsp.timings.length - before, 1, 'only the newer request finished generating');
  });

  it('does not let a request for a document never opened abort the one running', async () => {
    const uri = 'file:///work/kept.py';
    await lsp.open(uri, 'python', 'x = {');
    const position = { line: 0, character: 5 };
    const alone = await lsp.complete(uri, position);
    const running = lsp.complete(uri, position);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(await lsp.complete('file:///work/never-opened.py', position), '');
    assert.equal(await running, alone, 'the running request finished');
  });

  it('shuts down and exits with code 0', async () => {
    await lsp.stop();
    assert.equal(lsp.server.child.exitCode, 0);
    assert.equal(lsp.server.stderr(), '');
  });
});

describe('language server whose model folder appears after it failed to load', () => {
  const parent = mkdtempSync(join(tmpdir(), 'locus-late-model-'));
  const folder = join(parent, 'model');
  const settings = { ...SETTINGS, model: { path: folder } };
  let lsp: LspHarness;

  before(async () => {
    lsp = await LspHarness.start(settings);
  });

  after(async () => {
    await lsp?.stop();
    rmSync(parent, { recursive: true, force: true });
  });

  it('loads it at the next settings change, even one that leaves the model settings as they were', async () => {
    await lsp.waitForStatus((s) => s.state === 'error' && s.code === 'MODEL_NOT_FOUND', 'the folder missing');
    // Copied in meanwhile (a download finishing); the editor then sends its settings, the model's unchanged.
    cpSync(FIXTURE_MODEL, folder, { recursive: true });
    await lsp.configure({ ...settings, completion: { ...settings.completion, maxNewTokens: MAX_NEW_TOKENS - 1 } });
    const ready = await lsp.waitForStatus((s) => s.state === 'ready', 'ready once the folder is there');
    assert.ok(ready.state === 'ready');
  });
});

describe('language server with a bad model path', () => {
  let lsp: LspHarness;

  before(async () => {
    lsp = await LspHarness.start({ model: { path: '/nonexistent/model' } });
  });

  after(async () => {
    await lsp?.stop();
  });

  it('reports the error with its fix, answers empty, and recovers when the setting changes', async () => {
    const status = await lsp.waitForStatus((s) => s.state === 'error', 'error status');
    assert.ok(status.state === 'error');
    assert.equal(status.code, 'MODEL_NOT_FOUND');
    assert.match(status.message, /nonexistent/);
    assert.match(status.fix, /The folder is set by locus\.model\.path/);

    const uri = 'file:///work/bad.ts';
    await lsp.open(uri, 'typescript', 'import ');
    assert.equal(await lsp.complete(uri, { line: 0, character: 7 }), '');
    // Explain says the load failed, and how to fix it (not "still loading, or its load failed").
    const explain = lsp.server.connection.sendRequest(ExplainRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 6 } }, streamId: 'x' });
    await assert.rejects(withTimeout(explain, WAIT_MS, 'explain'), /The model did not load \(the Output channel says why\): .*locus\.model\.path/);

    await lsp.configure(SETTINGS);
    const ready = await lsp.waitForStatus((s) => s.state === 'ready', 'ready after the settings change');
    assert.ok(ready.state === 'ready');
    assert.notEqual(await lsp.complete(uri, { line: 0, character: 7 }), '');
  });
});
