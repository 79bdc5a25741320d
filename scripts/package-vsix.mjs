// `npm run package [-- --target <target>|--all] [--no-build] [--out <dir>]`
// Builds dist/, then packs a platform-specific .vsix with vsce that carries only that platform's onnxruntime
// binaries and the embedded default model, checks what went in, smoke-loads onnxruntime from the packed files
// when the target is this machine, and reports the size and the largest entries.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ortBin = 'node_modules/onnxruntime-node/bin/napi-v6';

/** vsce target → onnxruntime-node binary directory (onnxruntime-node 1.30 ships no darwin-x64 build). */
export const TARGETS = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
  'darwin-arm64': 'darwin/arm64',
};

function parseArgs(argv) {
  const opts = { targets: [], build: true, out: path.join(root, 'out', 'vsix') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--target') opts.targets.push(argv[++i]);
    else if (a.startsWith('--target=')) opts.targets.push(a.slice('--target='.length));
    else if (a === '--all') opts.targets.push(...Object.keys(TARGETS));
    else if (a === '--no-build') opts.build = false;
    else if (a === '--out') opts.out = path.resolve(argv[++i]);
    else if (a === '--help' || a === '-h') {
      console.log(`usage: npm run package -- [--target ${Object.keys(TARGETS).join('|')}] [--all] [--no-build] [--out dir]`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (opts.targets.length === 0) opts.targets.push(hostTarget() ?? 'linux-x64');
  for (const t of opts.targets) {
    if (!(t in TARGETS)) throw new Error(`unsupported target ${t}; supported: ${Object.keys(TARGETS).join(', ')}`);
  }
  return opts;
}

function hostTarget() {
  const t = `${process.platform}-${process.arch}`;
  return t in TARGETS ? t : undefined;
}

/** Reads a zip's central directory: name, compressed and uncompressed size of each entry. */
export function zipEntries(file) {
  const buf = readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry in ${file}`);
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localOffset = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    entries.push({ name, size, compressed, method, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  const read = (entry) => {
    const q = entry.localOffset;
    const start = q + 30 + buf.readUInt16LE(q + 26) + buf.readUInt16LE(q + 28);
    const data = buf.subarray(start, start + entry.compressed);
    return entry.method === 0 ? Buffer.from(data) : inflateRawSync(data);
  };
  return { entries, read };
}

const mb = (n) => `${(n / 1024 / 1024).toFixed(2)} MB`;

function run(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
}

/** What a .vsix for `target` must and must not contain; returns the problems found. */
function checkContents(names, target) {
  const problems = [];
  const must = [
    'extension/package.json',
    'extension/dist/extension.js',
    'extension/dist/server.js',
    'extension/dist/inferenceWorker.js',
    'extension/dist/telemetryQueryWorker.js',
    'extension/dist/tokenizerFileWorker.js',
    'extension/media/icon.png',
    'extension/node_modules/onnxruntime-node/dist/index.js',
    'extension/node_modules/onnxruntime-common/dist/cjs/index.js',
    `extension/${ortBin}/${TARGETS[target]}/onnxruntime_binding.node`,
  ];
  for (const role of ['target', 'draft']) {
    must.push(`extension/models/default/${role}/config.json`);
    // A model's tokenizer sits in its own folder or, shared by the pair, in the parent folder.
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
      const own = `extension/models/default/${role}/${f}`;
      if (!names.includes(own) && !names.includes(`extension/models/default/${f}`)) problems.push(`no ${f} for models/default/${role}`);
    }
    if (!names.some((n) => n.startsWith(`extension/models/default/${role}/onnx/`) && n.endsWith('.onnx'))) {
      problems.push(`no ONNX model under models/default/${role}/onnx/`);
    }
  }
  for (const m of must) if (!names.includes(m)) problems.push(`missing ${m}`);
  // Whatever the build put next to the bundles (WASM grammars, assets) is needed at run time, except sourcemaps and
  // test builds: a .vscodeignore that leaves one out breaks the installed extension, not the build.
  for (const f of filesUnder(path.join(root, 'dist'))) {
    const rel = path.relative(root, f).split(path.sep).join('/');
    if (rel.endsWith('.map') || /^dist\/test-/.test(rel)) continue;
    if (!names.includes(`extension/${rel}`)) problems.push(`${rel} was built but is not in the .vsix (.vscodeignore)`);
  }
  for (const n of names) {
    const binMatch = n.match(/^extension\/node_modules\/onnxruntime-node\/bin\/napi-v6\/([^/]+\/[^/]+)\//);
    if (binMatch && binMatch[1] !== TARGETS[target]) problems.push(`other platform's binary ${n}`);
    if (/^extension\/(extension|lsp-server|runtime|cli|test|training|bench|scripts)\//.test(n)) problems.push(`source or dev file ${n}`);
    if (/\.(ts|map|py)$/.test(n) && !n.endsWith('.d.ts')) problems.push(`source or sourcemap ${n}`);
  }
  return problems;
}

/** What the marketplace shows: icon, categories, README, changelog, license, and a workspace-trust declaration. */
function checkManifest(entries, read) {
  const problems = [];
  const entry = entries.find((e) => e.name === 'extension/package.json');
  if (!entry) return ['no extension/package.json'];
  const m = JSON.parse(read(entry).toString('utf8'));
  if (!m.icon || !entries.some((e) => e.name === `extension/${m.icon}`)) problems.push(`icon ${m.icon} is not in the .vsix`);
  if (!Array.isArray(m.categories) || m.categories.length === 0) problems.push('no categories');
  const trust = m.capabilities?.untrustedWorkspaces;
  if (trust === undefined) problems.push('capabilities.untrustedWorkspaces is not declared');
  else if (trust.supported !== true && !trust.description) problems.push('capabilities.untrustedWorkspaces needs a description');
  for (const f of ['extension/readme.md', 'extension/changelog.md', 'extension/LICENSE.txt']) {
    if (!entries.some((e) => e.name === f)) problems.push(`missing ${f}`);
  }
  return problems;
}

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? filesUnder(path.join(dir, d.name)) : [path.join(dir, d.name)],
  );
}

/** Loads onnxruntime-node and both default models from the unpacked .vsix, as the inference worker will. */
function smokeLoad(vsix, entries, read) {
  const dir = mkdtempSync(path.join(tmpdir(), 'locus-vsix-'));
  try {
    for (const e of entries) {
      if (!e.name.startsWith('extension/') || e.name.endsWith('/')) continue;
      const dest = path.join(dir, e.name);
      mkdirSync(path.dirname(dest), { recursive: true });
      writeFileSync(dest, read(e));
    }
    const ext = path.join(dir, 'extension');
    const script = `
      const ort = require(${JSON.stringify(path.join(ext, 'node_modules', 'onnxruntime-node'))});
      const fs = require('fs'), path = require('path');
      (async () => {
        for (const role of ['target', 'draft']) {
          const onnxDir = path.join(${JSON.stringify(ext)}, 'models', 'default', role, 'onnx');
          const file = fs.readdirSync(onnxDir).find((f) => f.endsWith('.onnx'));
          const s = await ort.InferenceSession.create(path.join(onnxDir, file));
          console.log('  loaded ' + role + '/onnx/' + file + ': ' + s.inputNames.length + ' inputs, ' + s.outputNames.length + ' outputs');
        }
      })().catch((e) => { console.error(e); process.exit(1); });`;
    // As the server runs it: without onnxruntime's telemetry (runtime/onnxruntimeTelemetryOff.ts says why).
    execFileSync(process.execPath, ['-e', script], { stdio: 'inherit', cwd: dir, env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`  onnxruntime-node and the default model load from the unpacked ${path.basename(vsix)}`);
}

/** Hard-links (or copies, across file systems) `src` to `dest`, recursively. */
function linkTree(src, dest) {
  if (!existsSync(src)) return;
  if (statSync(src).isDirectory()) {
    mkdirSync(dest, { recursive: true });
    for (const name of readdirSync(src)) linkTree(path.join(src, name), path.join(dest, name));
    return;
  }
  mkdirSync(path.dirname(dest), { recursive: true });
  try {
    linkSync(src, dest);
  } catch {
    copyFileSync(src, dest);
  }
}

/**
 * A directory holding only what the .vsix may contain, for vsce to pack. Packing the repository itself would make
 * vsce walk everything in it (training data, the e2e code-server install: minutes) before .vscodeignore applies.
 * Everything but onnxruntime-node is bundled into dist/, so the staged package.json declares only that dependency;
 * onnxruntime-node and onnxruntime-common are staged by hand, with only this target's binaries, and onnxruntime-node
 * keeps only its runtime dependency (adm-zip and global-agent serve its install script, which never runs here).
 */
function stage(target, opts, manifest) {
  const dir = path.join(opts.out, `stage-${target}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { dependencies, devDependencies: _devDependencies, ...rest } = manifest;
  const staged = { ...rest, dependencies: { 'onnxruntime-node': dependencies['onnxruntime-node'] } };
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(staged, null, 2)}\n`);
  for (const item of ['dist', 'media', 'models/default', 'CHANGELOG.md', 'LICENSE']) linkTree(path.join(root, item), path.join(dir, item));
  linkTree(path.join(root, existsSync(path.join(root, 'MARKETPLACE.md')) ? 'MARKETPLACE.md' : 'README.md'), path.join(dir, 'README.md'));
  for (const item of ['LICENSE', 'dist', `bin/napi-v6/${TARGETS[target]}`]) {
    linkTree(path.join(root, 'node_modules/onnxruntime-node', item), path.join(dir, 'node_modules/onnxruntime-node', item));
  }
  const ort = JSON.parse(readFileSync(path.join(root, 'node_modules/onnxruntime-node/package.json'), 'utf8'));
  ort.dependencies = { 'onnxruntime-common': ort.dependencies['onnxruntime-common'] };
  writeFileSync(path.join(dir, 'node_modules/onnxruntime-node/package.json'), `${JSON.stringify(ort, null, 2)}\n`);
  for (const item of ['package.json', 'LICENSE', 'dist/cjs']) {
    linkTree(path.join(root, 'node_modules/onnxruntime-common', item), path.join(dir, 'node_modules/onnxruntime-common', item));
  }
  const base = readFileSync(path.join(root, '.vscodeignore'), 'utf8');
  writeFileSync(path.join(dir, '.vscodeignore'), `${base}\n# added by scripts/package-vsix.mjs for ${target}\n!${ortBin}/${TARGETS[target]}/**\n`);
  return dir;
}

function packageTarget(target, opts, manifest) {
  const binDir = path.join(root, ortBin, TARGETS[target]);
  if (!existsSync(binDir)) throw new Error(`${binDir} is missing: onnxruntime-node does not ship ${target} here`);
  const vsix = path.join(opts.out, `${manifest.name}-${target}-${manifest.version}.vsix`);
  const started = Date.now();
  const dir = stage(target, opts, manifest);
  run(path.join(root, 'node_modules', '.bin', 'vsce'), [
    'package',
    '--target', target,
    '--out', vsix,
    ...(manifest.repository ? [] : ['--allow-missing-repository']),
  ], { cwd: dir });
  rmSync(dir, { recursive: true, force: true });

  const { entries, read } = zipEntries(vsix);
  const names = entries.map((e) => e.name);
  const problems = [...checkContents(names, target), ...checkManifest(entries, read)];
  const size = statSync(vsix).size;
  const unpacked = entries.reduce((s, e) => s + e.size, 0);
  console.log(`\n${path.relative(root, vsix)}: ${mb(size)} (${mb(unpacked)} unpacked, ${entries.length} files, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const groups = new Map();
  for (const e of entries) {
    const key = e.name
      .replace(/^extension\//, '')
      .replace(/^(node_modules\/onnxruntime-node\/bin\/napi-v6\/[^/]+\/[^/]+)\/.*/, '$1/')
      .replace(/^(node_modules\/[^/]+)\/.*/, '$1/')
      .replace(/^(models\/default\/[^/]+)\/.*/, '$1/')
      .replace(/^([^/]+)\/.*/, '$1/');
    const g = groups.get(key) ?? { files: 0, size: 0, compressed: 0 };
    g.files++;
    g.size += e.size;
    g.compressed += e.compressed;
    groups.set(key, g);
  }
  console.log('contents by part (unpacked / in the .vsix):');
  for (const [k, g] of [...groups].sort((a, b) => b[1].compressed - a[1].compressed)) {
    console.log(`  ${k.padEnd(58)} ${String(g.files).padStart(3)} files ${mb(g.size).padStart(10)} ${mb(g.compressed).padStart(10)}`);
  }
  console.log('largest entries:');
  for (const e of [...entries].sort((a, b) => b.compressed - a.compressed).slice(0, 10)) {
    console.log(`  ${e.name.padEnd(74)} ${mb(e.size).padStart(10)} ${mb(e.compressed).padStart(10)}`);
  }
  if (problems.length > 0) {
    throw new Error(`${path.basename(vsix)} is wrong:\n  ${problems.join('\n  ')}`);
  }
  if (target === hostTarget()) smokeLoad(vsix, entries, read);
  return { target, vsix, size };
}

const opts = parseArgs(process.argv.slice(2));
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
mkdirSync(opts.out, { recursive: true });
if (opts.build) run('npm', ['run', 'build', '--silent']);
for (const f of ['dist/extension.js', 'dist/server.js', 'dist/inferenceWorker.js', 'dist/telemetryQueryWorker.js', 'dist/tokenizerFileWorker.js']) {
  if (!existsSync(path.join(root, f))) throw new Error(`${f} was not built; does its entry point exist?`);
}
const results = opts.targets.map((t) => packageTarget(t, opts, manifest));
console.log('\npackaged:');
for (const r of results) console.log(`  ${r.target.padEnd(13)} ${mb(r.size).padStart(10)}  ${path.relative(root, r.vsix)}`);
