import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildExplainPrompt, chatTemplateOf } from '../../lsp-server/context/explainPrompt';
import { renderCompressReport } from '../../lsp-server/context/compressReport';

const CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

describe('explain prompt', () => {
  it('renders the chat template from tokenizer_config.json', () => {
    const prompt = buildExplainPrompt(
      { languageId: 'typescript', path: 'src/a.ts', before: '', selection: 'const x = 1;', after: '' },
      { chat_template: CHATML, eos_token: '<|im_end|>' },
    );
    assert.equal(prompt.mode, 'chat');
    if (prompt.mode !== 'chat') return;
    assert.ok(prompt.text.startsWith('<|im_start|>system\n'));
    assert.ok(prompt.text.includes('```typescript\nconst x = 1;\n```'));
    assert.ok(prompt.text.endsWith('<|im_start|>assistant\n'));
    assert.deepEqual(prompt.stopStrings, ['<|im_end|>']);
    assert.equal(chatTemplateOf({ chat_template: [{ name: 'tool_use', template: 'x' }, { name: 'default', template: 'y' }] }), 'y');
  });

  it('names the code by its Markdown fence name, not a VS Code language id', () => {
    const prompt = buildExplainPrompt({ languageId: 'shellscript', path: 'run.sh', before: '', selection: 'echo hi', after: '' }, { chat_template: CHATML });
    assert.ok(prompt.mode === 'chat' && prompt.text.includes('this bash code from run.sh') && prompt.text.includes('```bash\necho hi\n```'));
  });

  it('falls back to a doc comment above the selection when there is no template', () => {
    const ts = buildExplainPrompt({ languageId: 'typescript', path: undefined, before: 'let a;\n  ', selection: 'function f() {}', after: '\n' }, {});
    assert.equal(ts.mode, 'docComment');
    if (ts.mode !== 'docComment') return;
    assert.equal(ts.prefix, 'let a;\n  /**\n   * ');
    assert.equal(ts.suffix, '\n   */\n  function f() {}\n');
    assert.deepEqual(ts.stopStrings, ['*/']);

    const py = buildExplainPrompt({ languageId: 'python', path: undefined, before: '', selection: 'def f(x):\n    return x\n', after: '' }, undefined);
    if (py.mode !== 'docComment') return assert.fail('expected a doc comment');
    assert.equal(py.prefix, 'def f(x):\n    """');
    assert.ok(py.suffix.startsWith('\n    """\n    return x'));
  });
});

describe('compress report', () => {
  it('renders counts, retrieved chunks and dropped lines as text', () => {
    const text = renderCompressReport({
      budget: 512,
      scorer: 'unigram',
      before: { tokens: 900, parts: [{ kind: 'snippet', path: 'a.ts', line: 3, text: 'export function a() {}', tokens: 10 }] },
      after: { tokens: 450, parts: [] },
      retrieved: [{ path: 'a.ts', startLine: 3, endLine: 9, score: 1.2, lexical: 1, similarity: 0.2, declaresNearbyName: true, imported: 'receiver', fileWeight: 1 }],
      dropped: [{ section: 'a.ts:3', line: 2, text: '  return 1;', information: 0.4, tokens: 5 }],
      index: { files: 3, chunks: 9, building: false },
      timings: { retrievalMs: 1.5, compressionMs: 2 },
    });
    assert.ok(text.includes('Before compression: 900 tokens. After: 450 tokens (50%).'));
    assert.ok(text.includes('- a.ts:3-9'));
    assert.ok(text.includes('return 1;'));
  });
});
