// training/fim_samples.py (plain Python) run by /usr/bin/python3: training samples carry the definitions of the
// names their middle uses, taken from other files of the package, as the server's retrieval puts them in the
// prompt; without such a name they carry random slices. Skipped where python3 is missing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const ROOT = join(__dirname, '..', '..');
const hasPython = spawnSync(PYTHON, ['-c', 'import json, re, random'], { stdio: 'ignore' }).status === 0;

const SCRIPT = `
import json, os, random, sys
sys.path.insert(0, os.path.join(sys.argv[1], "training"))
from fim_samples import DefinitionIndex, SampleBuilder
filler = "".join("value_%d = %d\\n" % (i, i) for i in range(60))
files = [
    ("pkg/cart.py", "import os\\n\\n" + "def compute_total(items):\\n    return sum(i.price for i in items)\\n" + filler),
    ("pkg/price.ts", "// prices\\nexport function formatPrice(value: number): string {\\n  return value.toFixed(2);\\n}\\n"),
    ("pkg/current.py", "def compute_total(x):\\n    return 0\\n"),
    ("pkg/other.py", "class Unrelated:\\n    pass\\nif x:\\n    pass\\nelse: y = 2\\nMAX_SIZE = 10\\n"),
]
index = DefinitionIndex(files)
out = {"py": [], "ts": [], "none": [], "declared": [], "cut": [], "one": [], "assigned": []}
for seed in range(40):
    rng = random.Random(seed)
    out["py"].append(index.snippets_for(rng, "cart = load()\\n", "total = compute_total(cart)\\n", "", "pkg/current.py", max_chars=200))
    out["ts"].append(index.snippets_for(rng, "", "label = formatPrice(amount)\\n", "", "pkg/current.py"))
    out["none"].append(index.snippets_for(rng, "", "x += 1\\nelse:\\n", "", "pkg/current.py"))
    out["declared"].append(index.snippets_for(rng, "def compute_total(y):\\n", "compute_total(y)", "", "pkg/current.py"))
    out["cut"].append(index.snippets_for(rng, "total = comp", "ute_total(cart)\\n", "", "pkg/current.py"))
    out["one"].append(index.snippets_for(rng, "", "compute_total(formatPrice(x))\\n", "", "pkg/current.py", max_snippets=1))
    out["assigned"].append(index.snippets_for(rng, "MAX_SIZE = 3\\n", "if n > MAX_SIZE:\\n", "", "pkg/current.py"))
out["indexed"] = sorted(index.where)
seen = {}
def context(prefix, middle, suffix):
    seen["prefix"], seen["middle"], seen["suffix"] = prefix, middle, suffix
    return [("pkg/cart.py", "def compute_total(items):\\n")]
builder = SampleBuilder({"eos": 0, "fim_prefix": 1, "fim_middle": 2, "fim_suffix": 3, "file_sep": 5},
                        random.Random(3), fim_rate=1.0, context_rate=1.0)
chunk = "def main():\\n    cart = load()\\n    total = compute_total(cart)\\n    print(total)\\n"
pieces, kind = builder.plan(chunk, "pkg/current.py", True, context)
out["plan"] = {"kind": kind, "pieces": [p if isinstance(p, int) else list(p) for p in pieces], "seen": seen}
print(json.dumps(out))
`;

describe('training samples: context snippets', { skip: hasPython ? false : `${PYTHON} is not installed` }, () => {
  const run = () => {
    const r = spawnSync(PYTHON, ['-c', SCRIPT, ROOT], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as Record<string, [string, string][][]> & {
      plan: { kind: string; pieces: (number | [string, string])[]; seen: { prefix: string; middle: string; suffix: string } };
      indexed: string[];
    };
  };
  const out = hasPython ? run() : undefined;

  it('puts the definition of a name the middle uses last, from another file, cut at a line end', () => {
    for (const snippets of out!.py) {
      const [path, text] = snippets[snippets.length - 1]!;
      assert.equal(path, 'pkg/cart.py');
      assert.ok(text.startsWith('def compute_total(items):\n'), text);
      assert.ok(text.length <= 200 && text.endsWith('\n'), JSON.stringify(text));
      assert.ok(snippets.length >= 1 && snippets.length <= 3);
      assert.ok(snippets.every(([p]) => p !== 'pkg/current.py'), 'never the current file');
    }
  });

  it('finds TypeScript declarations', () => {
    for (const snippets of out!.ts) assert.ok(snippets[snippets.length - 1]![1].startsWith('export function formatPrice('));
  });

  it('falls back to random slices of other files when the middle names nothing the package declares', () => {
    for (const snippets of out!.none) {
      assert.ok(snippets.length >= 1 && snippets.length <= 3);
      assert.ok(snippets.every(([p]) => p !== 'pkg/current.py'));
    }
    const starts = new Set(out!.none.flat().map(([p, t]) => `${p}:${t.slice(0, 20)}`));
    assert.ok(starts.size > 2, 'random, not always the same slice');
  });

  it('does not fetch a name the visible code declares itself, a function or a module constant', () => {
    for (const [kind, start] of [['declared', 'def compute_total(items)'], ['assigned', 'MAX_SIZE = 10']] as const) {
      const last = out![kind].filter((s) => s[s.length - 1]![1].startsWith(start)).length;
      assert.ok(last < out![kind].length / 2, `${kind}: ${last} of ${out![kind].length}`);
    }
  });

  it('counts a word the cursor cuts as one name', () => {
    for (const snippets of out!.cut) assert.ok(snippets[snippets.length - 1]![1].startsWith('def compute_total(items):'));
  });

  it('never indexes keywords as names, and keeps within max_snippets', () => {
    assert.ok(out!.indexed.includes('MAX_SIZE') && out!.indexed.includes('compute_total') && out!.indexed.includes('formatPrice'));
    assert.ok(!out!.indexed.includes('else'), out!.indexed.join(' '));
    for (const snippets of out!.one) assert.equal(snippets.length, 1);
  });

  it('asks for context once the split is known, and puts it before the FIM pieces', () => {
    const { kind, pieces, seen } = out!.plan;
    assert.equal(kind, 'fim');
    assert.deepEqual(pieces.slice(0, 2), [5, ['context', 'pkg/cart.py\ndef compute_total(items):\n\n']]);
    const text = (role: string) => (pieces.find((p) => Array.isArray(p) && p[0] === role) as [string, string])[1];
    assert.deepEqual([seen.prefix, seen.middle, seen.suffix], [text('prefix'), text('middle'), text('suffix')]);
    assert.equal(text('prefix') + text('middle') + text('suffix'), 'def main():\n    cart = load()\n    total = compute_total(cart)\n    print(total)\n');
  });
});
