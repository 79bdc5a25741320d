// Run by sandboxEscapes.test.ts as a server would run under a parent that leaks a descriptor (VS Code does): a file
// is open on descriptor 30 without close-on-exec. Evaluates a JavaScript and a Python candidate that read it, and
// prints each one's outcome: `pass` when the descriptor was closed before the candidate loaded, `fail` when it read it.
import type { Check } from '../../lsp-server/efficiency/checkBuilder';
import { evaluateCandidates } from '../../lsp-server/efficiency/candidateEvaluator';
import type { FunctionTarget } from '../../lsp-server/efficiency/functionTarget';
import { sandboxKit, TEST_LIMITS } from './sandboxFixtures';

const checks: Check[] = [{ id: 'example-0', kind: 'example', callSource: 'peek(1)', argsSource: '1', expectedSource: '"closed"' }];
const target = (language: 'javascript' | 'python'): FunctionTarget => ({ language, name: 'peek', params: [{ name: 'n' }], isAsync: false, source: '', wholeBody: true, examples: [] });
// `closed` only for EBADF: any other failure (a permission error on a descriptor still open) is not a pass.
const JS = "function peek(n) { try { const b = Buffer.alloc(64); const k = require('fs').readSync(30, b, 0, 64, 0); return 'read ' + b.toString('utf8', 0, k); } catch (e) { return e.code === 'EBADF' ? 'closed' : 'error ' + e.code; } }";
const PY = "import os\ndef peek(n):\n    try:\n        return 'read ' + os.pread(30, 64, 0).decode()\n    except OSError as e:\n        return 'closed' if e.errno == 9 else 'error %d' % e.errno\n";

async function main(): Promise<void> {
  const kit = await sandboxKit();
  if (kit === null) return void console.log(JSON.stringify({ skipped: 'no sandbox' }));
  const limits = { ...TEST_LIMITS, wallMs: 4000 };
  const outcomes: Record<string, string> = {};
  const js = await evaluateCandidates({ target: target('javascript'), sources: [JS], checks, typescript: false, runtime: kit.node, runner: kit.runner, limits });
  outcomes.javascript = js.results[0]!.outcome;
  if (kit.python) {
    const py = await evaluateCandidates({ target: target('python'), sources: [PY], checks, typescript: false, runtime: kit.python, runner: kit.runner, limits });
    outcomes.python = py.results[0]!.outcome;
  }
  console.log(JSON.stringify(outcomes));
}
void main();
