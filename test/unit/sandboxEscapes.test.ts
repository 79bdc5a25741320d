// Escape attempts against the efficiency-check sandbox (issue #6). Each test asserts that the attempt failed AND,
// through a host-side oracle, that nothing outside the sandbox changed. Every run has a 2 s wall limit, a
// 192 MiB memory cap and a 4 MiB disk, so no test can endanger the machine. Without bubblewrap the suite checks
// the fail-closed path instead.
import assert from 'node:assert/strict';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, type StdioOptions } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { countingListener, runIsolationSelfTest, snapshotTree } from '../../lsp-server/efficiency/isolationSelfTest';
import { execWrittenElf, lastJson, plantCanaries, runNode, runPython, sandboxKit, survivors, syscallProbeElf, TEST_LIMITS, type Canaries, type SandboxKit } from './sandboxFixtures';

const kitReady = sandboxKit();
let kit: SandboxKit | null = null;

/** The sandbox kit, or null after marking the test skipped (the fail-closed test covers that machine). */
async function need(t: TestContext, python = false): Promise<boolean> {
  kit = await kitReady;
  if (kit === null) t.skip('bubblewrap unavailable: see the fail-closed test');
  else if (python && kit.python === null) t.skip('no python3 in the system folders');
  else return true;
  return false;
}

describe('sandbox without bubblewrap', () => {
  it('fails closed: the self-test turns every language off and says why', async (t) => {
    if ((await kitReady) !== null) return t.skip('bubblewrap present');
    const result = await runIsolationSelfTest();
    assert.deepEqual(result.runtimes, {});
    assert.match(result.reasons.join(' '), /bubblewrap|Linux/);
  });
});

describe('sandbox escape attempts', () => {
  let canaries: Canaries;
  let before_: string;
  before(() => {
    canaries = plantCanaries();
    before_ = snapshotTree(canaries.dir);
  });
  after(() => {
    assert.equal(snapshotTree(canaries.dir), before_, 'nothing outside the sandbox changed');
    rmSync(canaries.dir, { recursive: true, force: true });
  });

  it('cannot write outside its temporary folder (JS and Python)', async (t) => {
    if (!(await need(t))) return;
    const hostTmpFile = join(tmpdir(), `locus-pwned-${process.pid}`);
    const targets = [join(canaries.dir, 'pwned'), hostTmpFile, '/pwned', '/sbx/in/pwned', '/usr/bin/pwned'];
    const js = await runNode(
      kit!,
      `const fs = require('fs'); const r = {}; for (const p of ${JSON.stringify(targets)}) { try { fs.writeFileSync(p, 'x'); r[p] = 'written'; } catch (e) { r[p] = e.code; } }
       try { fs.writeFileSync('/sbx/tmp/ok', 'x'); r.tmp = 'written'; } catch (e) { r.tmp = e.code; } console.log(JSON.stringify(r));`,
    );
    const jsReport = lastJson(js.stdout);
    for (const path of targets) assert.notEqual(jsReport[path], 'written', `JS wrote ${path}`);
    assert.equal(jsReport.tmp, 'written', 'the temporary folder itself is writable');
    if (kit!.python) {
      const py = await runPython(
        kit!,
        `import json\nr = {}\nfor p in ${JSON.stringify(targets)}:\n    try:\n        open(p, 'w').write('x')\n        r[p] = 'written'\n    except OSError as e:\n        r[p] = e.strerror\nprint(json.dumps(r))\n`,
      );
      const pyReport = lastJson(py.stdout);
      for (const path of targets) assert.notEqual(pyReport[path], 'written', `Python wrote ${path}`);
    }
    assert.equal(existsSync(hostTmpFile), false, 'no file appeared in the host /tmp');
    assert.equal(existsSync(join(canaries.dir, 'pwned')), false);
  });

  it('cannot hold memory the watchdog does not see: a memfd, a huge untouched mapping (Python)', async (t) => {
    if (!(await need(t, true))) return;
    const py = await runPython(
      kit!,
      [
        'import json, mmap, os',
        'r = {}',
        'try:\n    os.memfd_create("x")\n    r["memfd"] = "created"\nexcept OSError as e:\n    r["memfd"] = e.errno',
        'try:\n    mmap.mmap(-1, 8 << 30, prot=mmap.PROT_READ)\n    r["mapping"] = "mapped"\nexcept OSError as e:\n    r["mapping"] = e.errno',
        'print(json.dumps(r))',
      ].join('\n') + '\n',
    );
    const report = lastJson(py.stdout);
    assert.equal(report.memfd, 1, `memfd_create refused with EPERM: ${py.stdout}${py.stderr}`);
    assert.equal(report.mapping, 12, 'an 8 GiB mapping refused with ENOMEM (RLIMIT_AS)');
  });

  it('cannot read a file through a descriptor the server inherited from its parent (VS Code leaks some)', async (t) => {
    if (!(await need(t))) return;
    const file = openSync(canaries.envFile, 'r');
    try {
      const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(27).fill('ignore'), file];
      const probe = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'inheritedFdProbe.ts')], { stdio });
      const out: Buffer[] = [];
      probe.stdout!.on('data', (d: Buffer) => out.push(d));
      await new Promise((resolve) => probe.on('close', resolve));
      const outcomes = lastJson(Buffer.concat(out).toString('utf8'));
      assert.equal(outcomes.javascript, 'pass', 'the JavaScript candidate found descriptor 30 closed');
      if (kit!.python) assert.equal(outcomes.python, 'pass', 'the Python candidate found descriptor 30 closed');
    } finally {
      closeSync(file);
    }
  });

  it("cannot read ~/.ssh or the workspace's .env", async (t) => {
    if (!(await need(t))) return;
    const paths = [canaries.sshKey, canaries.envFile, '/root/.ssh/id_rsa', '/etc/shadow', '/etc/passwd'];
    const js = await runNode(
      kit!,
      `const fs = require('fs'); const r = {}; for (const p of ${JSON.stringify(paths)}) { try { r[p] = fs.readFileSync(p, 'utf8'); } catch (e) { r[p] = 'denied ' + e.code; } } console.log(JSON.stringify(r));`,
    );
    const report = lastJson(js.stdout);
    for (const path of paths) assert.match(String(report[path]), /^denied/, `JS read ${path}`);
    assert.equal((js.stdout + js.stderr).includes(canaries.token), false, 'the canary secret never appears');
    if (kit!.python) {
      const py = await runPython(
        kit!,
        `import json\nr = {}\nfor p in ${JSON.stringify(paths)}:\n    try:\n        r[p] = open(p).read()\n    except OSError as e:\n        r[p] = 'denied ' + str(e.errno)\nprint(json.dumps(r))\n`,
      );
      const pyReport = lastJson(py.stdout);
      for (const path of paths) assert.match(String(pyReport[path]), /^denied/, `Python read ${path}`);
      assert.equal((py.stdout + py.stderr).includes(canaries.token), false);
    }
  });

  it('cannot connect to a port on the host loopback', async (t) => {
    if (!(await need(t))) return;
    const listener = await countingListener();
    try {
      const js = await runNode(
        kit!,
        `const s = require('net').connect(${listener.port}, '127.0.0.1');
         s.on('connect', () => { console.log(JSON.stringify({ connected: true })); process.exit(0); });
         s.on('error', (e) => { console.log(JSON.stringify({ connected: false, code: e.code })); process.exit(0); });`,
      );
      assert.equal(lastJson(js.stdout).connected, false);
      if (kit!.python) {
        const py = await runPython(
          kit!,
          `import socket, json\ntry:\n    socket.create_connection(('127.0.0.1', ${listener.port}), timeout=1)\n    print(json.dumps({'connected': True}))\nexcept OSError as e:\n    print(json.dumps({'connected': False, 'error': str(e)}))\n`,
        );
        assert.equal(lastJson(py.stdout).connected, false);
      }
      assert.equal(listener.connections(), 0, 'the listener saw no connection');
    } finally {
      listener.server.close();
    }
  });

  it('cannot spawn a process', async (t) => {
    if (!(await need(t))) return;
    const marker = join(canaries.dir, 'spawned');
    const js = await runNode(
      kit!,
      `const r = {}; const cp = require('child_process');
       try { cp.execFileSync('/bin/sh', ['-c', 'touch ${marker}']); r.execFile = 'ran'; } catch (e) { r.execFile = e.code; }
       try { cp.spawnSync('/usr/bin/node', ['-e', '1']); r.spawn = 'ran'; } catch (e) { r.spawn = e.code; }
       try { new (require('worker_threads').Worker)('1', { eval: true }); r.worker = 'ran'; } catch (e) { r.worker = e.code; }
       try { process.binding('spawn_sync'); r.binding = 'ran'; } catch (e) { r.binding = e.code; }
       console.log(JSON.stringify(r));`,
    );
    const report = lastJson(js.stdout);
    for (const key of ['execFile', 'spawn', 'worker', 'binding']) assert.equal(report[key], 'ERR_ACCESS_DENIED', key);
    if (kit!.python) {
      const py = await runPython(
        kit!,
        `import os, subprocess, json\nr = {}\nr['system'] = os.system('touch ${marker}')\ntry:\n    subprocess.run(['/bin/sh', '-c', 'touch ${marker}'])\n    r['subprocess'] = 'ran'\nexcept OSError as e:\n    r['subprocess'] = e.strerror\ntry:\n    pid = os.fork()\n    if pid == 0:\n        os._exit(0)\n    r['fork'] = 'ran'\nexcept OSError as e:\n    r['fork'] = e.strerror\nprint(json.dumps(r))\n`,
      );
      const pyReport = lastJson(py.stdout);
      assert.notEqual(pyReport.system, 0, 'os.system failed');
      assert.notEqual(pyReport.subprocess, 'ran');
      assert.notEqual(pyReport.fork, 'ran', 'RLIMIT_NPROC leaves no room for a second process');
    }
    assert.equal(existsSync(marker), false, 'no spawned command ran on the host');
  });

  it('refuses every socket family but AF_UNIX through the seccomp filter (x86-64)', async (t) => {
    if (!(await need(t, true))) return;
    if (!kit!.tools.seccomp) return t.skip('no seccomp filter for this architecture');
    const py = await runPython(
      kit!,
      "import socket, json\nr = {}\nfor name in ('AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_PACKET', 'AF_UNIX'):\n    try:\n        socket.socket(getattr(socket, name), socket.SOCK_DGRAM).close()\n        r[name] = 'open'\n    except OSError as e:\n        r[name] = e.errno\nprint(json.dumps(r))\n",
    );
    assert.deepEqual(lastJson(py.stdout), { AF_INET: 1, AF_INET6: 1, AF_NETLINK: 1, AF_PACKET: 1, AF_UNIX: 'open' });
  });

  it('stops an infinite loop at the wall-clock limit and leaves no process behind', async (t) => {
    if (!(await need(t))) return;
    const limits = { ...TEST_LIMITS, wallMs: 800 };
    const started = performance.now();
    const js = await runNode(kit!, `process.on('SIGTERM', () => {}); for (;;) {}`, limits);
    assert.equal(js.status, 'timeout');
    assert.ok(performance.now() - started < 800 + 2000, 'stopped within the grace period');
    assert.deepEqual(survivors(js), []);
    if (kit!.python) {
      const py = await runPython(kit!, 'import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass\n', limits);
      assert.equal(py.status, 'timeout');
      assert.deepEqual(survivors(py), []);
    }
  });

  it('contains a memory bomb (heap and off-heap) under the memory limit', async (t) => {
    if (!(await need(t))) return;
    const ownRss = process.memoryUsage().rss;
    for (const code of [
      `const keep = []; for (;;) keep.push(Buffer.alloc(16 * 1024 * 1024, 1));`,
      `const keep = []; for (;;) keep.push(new Array(1e6).fill(1.5));`,
    ]) {
      const run = await runNode(kit!, code);
      assert.notEqual(run.status, 'completed');
      assert.ok(run.status !== 'exited' || run.exitCode !== 0, 'the bomb did not finish normally');
      assert.ok(run.peakRssBytes <= TEST_LIMITS.memoryBytes * 1.25, `peak ${run.peakRssBytes} stayed near the ${TEST_LIMITS.memoryBytes} cap`);
      assert.deepEqual(survivors(run), []);
    }
    if (kit!.python) {
      const run = await runPython(kit!, 'keep = []\nwhile True:\n    keep.append(bytearray(16 * 1024 * 1024))\n');
      assert.ok(run.status !== 'exited' || run.exitCode !== 0);
      assert.ok(run.peakRssBytes <= TEST_LIMITS.memoryBytes * 1.25);
    }
    assert.ok(process.memoryUsage().rss < ownRss + 64 * 1024 * 1024, 'this process did not grow');
  });

  it('bounds a fork bomb and kills every forked process', async (t) => {
    if (!(await need(t, true))) return;
    const bomb = 'import os, json\nn = 0\nfor _ in range(5000):\n    try:\n        if os.fork() == 0:\n            import time\n            time.sleep(30)\n            os._exit(0)\n        n += 1\n    except OSError:\n        pass\nprint(json.dumps({"forks": n}), flush=True)\n';
    const strict = await runPython(kit!, bomb);
    assert.equal(lastJson(strict.stdout).forks, 0, 'the default task limit allows no fork at all');
    // Even with room for a few processes, the count is capped and nothing outlives the run.
    const roomy = await runPython(kit!, bomb, TEST_LIMITS, { ...kit!.python!, maxTasks: 8 });
    const forks = Number(lastJson(roomy.stdout).forks);
    assert.ok(forks > 0 && forks <= 7, `forks capped (${forks})`);
    assert.deepEqual(survivors(roomy), []);
  });

  it('cannot signal processes outside the sandbox', async (t) => {
    if (!(await need(t))) return;
    const sleeper = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
    try {
      const js = await runNode(
        kit!,
        `const r = {}; for (const [name, pid] of [['host', ${sleeper.pid}], ['parent', process.ppid], ['all', -1]]) { try { process.kill(pid, 'SIGKILL'); r[name] = 'sent'; } catch (e) { r[name] = e.code; } } console.log(JSON.stringify(r));`,
      );
      assert.equal(lastJson(js.stdout).host, 'ESRCH', 'host pids do not exist in the pid namespace');
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(sleeper.exitCode, null, 'the host process is alive');
      assert.equal(sleeper.signalCode, null);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('cuts off unbounded output', async (t) => {
    if (!(await need(t))) return;
    const run = await runNode(kit!, `const line = 'x'.repeat(4096) + '\\n'; for (;;) process.stdout.write(line);`);
    assert.equal(run.status, 'output-limit');
    assert.ok(run.stdout.length + run.stderr.length <= TEST_LIMITS.outputBytes);
    assert.deepEqual(survivors(run), []);
  });

  it("cannot read the parent's environment variables", async (t) => {
    if (!(await need(t))) return;
    process.env.LOCUS_CANARY_SECRET = canaries.token;
    try {
      const js = await runNode(kit!, `console.log(JSON.stringify(process.env));`);
      assert.equal(js.stdout.includes(canaries.token), false);
      assert.deepEqual(Object.keys(lastJson(js.stdout)).sort(), ['HOME', 'LANG', 'LOCUS_CLOSE_FDS', 'PATH', 'PWD', 'TMPDIR']);
      if (kit!.python) {
        const py = await runPython(kit!, 'import os, json\nprint(json.dumps(dict(os.environ)))\n');
        assert.equal(py.stdout.includes(canaries.token), false);
        assert.deepEqual(Object.keys(lastJson(py.stdout)).sort(), ['HOME', 'LANG', 'LOCUS_CLOSE_FDS', 'PATH', 'PWD', 'TMPDIR']);
      }
    } finally {
      delete process.env.LOCUS_CANARY_SECRET;
    }
  });

  it('cannot write through a symlink that points outside', async (t) => {
    if (!(await need(t))) return;
    const js = await runNode(
      kit!,
      `const fs = require('fs'); const r = {};
       try { fs.symlinkSync(${JSON.stringify(canaries.dir)}, '/sbx/tmp/out'); r.link = 'made'; } catch (e) { r.link = e.code; }
       try { fs.writeFileSync('/sbx/tmp/out/pwned', 'x'); r.write = 'written'; } catch (e) { r.write = e.code; }
       try { fs.symlinkSync('../../..', '/sbx/tmp/up'); fs.writeFileSync('/sbx/tmp/up/pwned', 'x'); r.relative = 'written'; } catch (e) { r.relative = e.code; }
       console.log(JSON.stringify(r));`,
    );
    const report = lastJson(js.stdout);
    assert.notEqual(report.write, 'written');
    assert.notEqual(report.relative, 'written');
    if (kit!.python) {
      const py = await runPython(
        kit!,
        `import os, json\nr = {}\nos.symlink(${JSON.stringify(canaries.dir)}, '/sbx/tmp/out')\ntry:\n    open('/sbx/tmp/out/pwned', 'w').write('x')\n    r['write'] = 'written'\nexcept OSError as e:\n    r['write'] = e.strerror\nprint(json.dumps(r))\n`,
      );
      assert.notEqual(lastJson(py.stdout).write, 'written', 'the link resolves inside the sandbox, where that path does not exist');
    }
    assert.equal(existsSync(join(canaries.dir, 'pwned')), false);
  });

  it('leaves no daemon running after the run', async (t) => {
    if (!(await need(t, true))) return;
    // The daemon double-forks, calls setsid and sleeps; the main process exits as soon as it is up. A unique
    // entry-file name marks every process of this run in the host's process table.
    const entry = `daemon_${process.pid}_${Date.now()}.py`;
    const daemon = [
      'import os, time, sys',
      'if os.fork() == 0:',
      '    os.setsid()',
      '    if os.fork() == 0:',
      "        sys.stdout.write('daemon up\\n')",
      '        sys.stdout.flush()',
      '        time.sleep(60)',
      '    os._exit(0)',
      'time.sleep(0.3)',
    ].join('\n');
    const run = await kit!.runner.run({ ...kit!.python!, maxTasks: 8 }, { files: { [entry]: daemon }, entry, stdin: '' }, TEST_LIMITS);
    assert.match(run.stdout, /daemon up/, 'the daemon really started');
    const marked = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(entry);
        } catch {
          return false;
        }
      });
    assert.deepEqual(marked, [], 'no process of the run is left in the host process table');
    assert.deepEqual(survivors(run), []);
  });

  it('gives every run a fresh temporary folder and a capped number of open files', async (t) => {
    if (!(await need(t))) return;
    await runNode(kit!, `require('fs').writeFileSync('/sbx/tmp/left-behind', 'x');`);
    const next = await runNode(
      kit!,
      `const fs = require('fs'); let open = 0; let code = null;
       const fds = [];
       try { for (;;) { fds.push(fs.openSync('/sbx/tmp/f', 'w')); open++; } } catch (e) { code = e.code; }
       for (const fd of fds) fs.closeSync(fd);
       console.log(JSON.stringify({ leftBehind: fs.existsSync('/sbx/tmp/left-behind'), open, code }));`,
    );
    const report = lastJson(next.stdout);
    assert.equal(report.leftBehind, false, 'nothing from an earlier candidate is visible');
    assert.equal(report.code, 'EMFILE');
    assert.ok(Number(report.open) < TEST_LIMITS.openFiles);
  });

  it('leaves nothing running when the language server itself is killed mid-run', async (t) => {
    if (!(await need(t))) return;
    // A stand-in server process starts a sandboxed infinite loop and is then SIGKILLed; bubblewrap's
    // --die-with-parent and the pid namespace must take the candidate down with it.
    const dir = mkdtempSync(join(tmpdir(), 'locus-dying-server-'));
    const entry = `orphan_${process.pid}_${Date.now()}.js`;
    const script = join(dir, 'server.ts');
    const repo = join(__dirname, '..', '..');
    writeFileSync(
      script,
      [
        `import { locateNode, locateTools } from ${JSON.stringify(join(repo, 'lsp-server/efficiency/sandboxRuntimes'))};`,
        `import { DEFAULT_LIMITS, SandboxRunner } from ${JSON.stringify(join(repo, 'lsp-server/efficiency/sandboxRunner'))};`,
        'async function main() {',
        '  const runner = new SandboxRunner((await locateTools())!);',
        `  setTimeout(() => process.stdout.write('running\\n'), 700);`,
        `  await runner.run((await locateNode())!, { files: { ${JSON.stringify(entry)}: 'for (;;) {}' }, entry: ${JSON.stringify(entry)}, stdin: '' }, { ...DEFAULT_LIMITS, wallMs: 30000, cpuSeconds: 30 });`,
        '}',
        'void main();',
      ].join('\n'),
    );
    const marked = (): string[] =>
      readdirSync('/proc')
        .filter((name) => /^\d+$/.test(name))
        .filter((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(entry);
          } catch {
            return false;
          }
        });
    const server = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the stand-in server never started its run')), 10000);
        server.stdout!.on('data', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      assert.ok(marked().length > 0, 'the candidate is running');
      server.kill('SIGKILL');
      let left = marked();
      for (let i = 0; i < 50 && left.length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        left = marked();
      }
      assert.deepEqual(left, [], 'no candidate process outlived the server');
    } finally {
      server.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cannot hold SysV or POSIX IPC memory the watchdog does not see, even from a native program it wrote and exec\'d', async (t) => {
    if (!(await need(t, true))) return;
    if (!kit!.tools.seccomp) return t.skip('no seccomp filter on this architecture');
    // /sbx/tmp cannot be noexec with bubblewrap: a Python candidate can run machine code it wrote. Before the filter
    // denied them, msgget and semget succeeded (exit 0) and such a program queued 61 MiB while the run showed 2 MiB.
    const calls = { msgget: 68, semget: 64, mq_open: 240 };
    for (const [name, nr] of Object.entries(calls)) {
      const run = await runPython(kit!, execWrittenElf(syscallProbeElf(nr)));
      assert.equal(run.status, 'exited', name);
      assert.equal(run.exitCode, 1, `${name}: expected EPERM from the seccomp filter, got ${run.exitCode} (${run.stderr.slice(-200)})`);
    }
  });

  it('cannot fill the disk: the temporary folder is a small tmpfs and is gone afterwards', async (t) => {
    if (!(await need(t))) return;
    const ours = (name: string) => name.startsWith('locus-eff-');
    const tempBefore = readdirSync(tmpdir()).filter(ours);
    const js = await runNode(
      kit!,
      `const fs = require('fs'); const block = Buffer.alloc(1 << 20, 1); let n = 0; let code = null;
       try { for (;;) { fs.writeFileSync('/sbx/tmp/f' + n, block); n++; } } catch (e) { code = e.code; }
       console.log(JSON.stringify({ files: n, code }));`,
    );
    const report = lastJson(js.stdout);
    assert.ok(Number(report.files) <= TEST_LIMITS.diskBytes / (1 << 20), `stopped after ${report.files} MiB`);
    assert.match(String(report.code), /ENOSPC|EFBIG/);
    if (kit!.python) {
      const py = await runPython(kit!, "import json\nn = 0\ntry:\n    while True:\n        open('/sbx/tmp/f%d' % n, 'wb').write(b'x' * (1 << 20))\n        n += 1\nexcept OSError as e:\n    print(json.dumps({'files': n, 'errno': e.errno}))\n");
      assert.ok(Number(lastJson(py.stdout).files) <= TEST_LIMITS.diskBytes / (1 << 20));
    }
    const tempAfter = readdirSync(tmpdir()).filter(ours);
    assert.deepEqual(tempAfter, tempBefore, 'the host-side temporary folder was removed');
  });
});

describe('isolation self-test', () => {
  it('confirms isolation on this machine for the runtimes it found', async (t) => {
    if (!(await need(t))) return;
    const result = await runIsolationSelfTest();
    assert.deepEqual(result.reasons, []);
    assert.ok(result.runtimes.javascript, 'JavaScript checks available');
    if (kit!.python) assert.ok(result.runtimes.python, 'Python checks available');
  });

  it('fails closed when bubblewrap is missing', async () => {
    const result = await runIsolationSelfTest({ locateTools: async () => null });
    assert.deepEqual(result.runtimes, {});
    assert.match(result.reasons[0], /bubblewrap/);
  });

  it('fails closed when the sandbox is weakened (network namespace shared, no seccomp filter)', async (t) => {
    if (!(await need(t))) return;
    // A wrapper that adds --share-net after --unshare-all: everything else holds, only the network leaks.
    const dir = mkdtempSync(join(tmpdir(), 'locus-weak-bwrap-'));
    chmodSync(dir, 0o755);
    const wrapper = join(dir, 'bwrap');
    writeFileSync(
      wrapper,
      `#!/bin/bash\nargs=()\nfor a in "$@"; do args+=("$a"); if [ "$a" = --unshare-all ]; then args+=(--share-net); fi; done\nexec ${kit!.tools.bwrap} "\${args[@]}"\n`,
      { mode: 0o755 },
    );
    try {
      const result = await runIsolationSelfTest({ locateTools: async () => ({ ...kit!.tools, bwrap: wrapper, seccomp: false }) });
      assert.equal(result.runtimes.javascript, undefined, 'JavaScript checks stay off');
      assert.equal(result.runtimes.python, undefined, 'Python checks stay off');
      assert.match(result.reasons.join(' '), /connectLoopback|loopback/);
      if (kit!.tools.seccomp) {
        // Layers are independent: with the network namespace gone, the seccomp filter alone still refuses AF_INET.
        const layered = await runIsolationSelfTest({ locateTools: async () => ({ ...kit!.tools, bwrap: wrapper }) });
        assert.ok(layered.runtimes.javascript, layered.reasons.join(' '));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails closed when the temporary folder is inside the workspace', async () => {
    const result = await runIsolationSelfTest({ tempRoot: tmpdir(), workspaceRoots: [tmpdir()] });
    assert.deepEqual(result.runtimes, {});
    assert.match(result.reasons[0], /inside the workspace/);
  });
});
