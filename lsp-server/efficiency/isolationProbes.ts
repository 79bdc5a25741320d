// Escape attempts, as small programs for each runtime. The isolation self-test runs them at start-up and the
// security tests run them with host-side oracles. Each program prints one JSON object to stdout saying which
// attempts succeeded; the self-test does not trust that report alone (see isolationSelfTest.ts).

export interface ProbeTargets {
  /** A host folder outside the sandbox holding canary files (a fake home and workspace). */
  canaryDir: string;
  /** The real home folder's path, to try reading ~/.ssh by its host path. */
  hostHome: string;
  /** A TCP port on the host's 127.0.0.1 that counts connections. */
  port: number;
}

/** Attempts that must all fail; the program reports `{name: true}` for each one that succeeded. */
export function nodeEscapeProbe(t: ProbeTargets): string {
  return String.raw`'use strict';
const fs = require('fs');
const out = {};
const attempt = (name, fn) => { try { fn(); out[name] = true; } catch (e) { out[name] = false; } };
const canary = ${JSON.stringify(t.canaryDir)};
attempt('writeOutsideTmp', () => fs.writeFileSync(canary + '/pwned', 'x'));
attempt('writeInputDir', () => fs.writeFileSync('/sbx/in/pwned', 'x'));
attempt('writeRoot', () => fs.writeFileSync('/pwned', 'x'));
attempt('readSsh', () => { const t = fs.readFileSync(canary + '/home/.ssh/id_rsa', 'utf8'); console.error(t); });
attempt('readHostSsh', () => fs.readdirSync(${JSON.stringify(t.hostHome)} + '/.ssh'));
attempt('readEnvFile', () => { const t = fs.readFileSync(canary + '/workspace/.env', 'utf8'); console.error(t); });
attempt('spawn', () => require('child_process').execFileSync('/bin/sh', ['-c', 'true']));
attempt('worker', () => new (require('worker_threads').Worker)('0', { eval: true }));
attempt('symlinkWrite', () => { fs.symlinkSync(canary, '/sbx/tmp/link'); fs.writeFileSync('/sbx/tmp/link/pwned', 'x'); });
attempt('envLeak', () => { const extra = Object.keys(process.env).filter((k) => !['PATH', 'HOME', 'TMPDIR', 'LANG', 'PWD', 'LOCUS_CLOSE_FDS'].includes(k)); if (extra.length === 0) throw new Error('clean'); });
const net = require('net');
const socket = net.connect(${t.port}, '127.0.0.1');
socket.on('connect', () => { out.connectLoopback = true; finish(); });
socket.on('error', () => { out.connectLoopback = false; finish(); });
setTimeout(() => { out.connectLoopback = out.connectLoopback || false; finish(); }, 1000);
let done = false;
function finish() { if (done) return; done = true; process.stdout.write(JSON.stringify(out) + '\n'); process.exit(0); }
`;
}

export function pythonEscapeProbe(t: ProbeTargets): string {
  return String.raw`import os, sys, json, socket
out = {}
def attempt(name, fn):
    try:
        fn()
        out[name] = True
    except BaseException:
        out[name] = False
canary = ${JSON.stringify(t.canaryDir)}
def write(path):
    with open(path, 'w') as f:
        f.write('x')
def read(path):
    with open(path) as f:
        sys.stderr.write(f.read())
def spawn():
    if os.system('true') != 0:
        raise OSError('no shell')
def fork():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
def symlink_write():
    os.symlink(canary, '/sbx/tmp/link')
    write('/sbx/tmp/link/pwned')
def env_leak():
    extra = [k for k in os.environ if k not in ('PATH', 'HOME', 'TMPDIR', 'LANG', 'PWD', 'LOCUS_CLOSE_FDS')]
    if not extra:
        raise RuntimeError('clean')
def connect():
    socket.create_connection(('127.0.0.1', ${t.port}), timeout=1).close()
attempt('writeOutsideTmp', lambda: write(canary + '/pwned'))
attempt('writeInputDir', lambda: write('/sbx/in/pwned'))
attempt('writeRoot', lambda: write('/pwned'))
attempt('readSsh', lambda: read(canary + '/home/.ssh/id_rsa'))
attempt('readHostSsh', lambda: os.listdir(${JSON.stringify(t.hostHome)} + '/.ssh'))
attempt('readEnvFile', lambda: read(canary + '/workspace/.env'))
attempt('spawn', spawn)
attempt('fork', fork)
attempt('symlinkWrite', symlink_write)
attempt('envLeak', env_leak)
attempt('connectLoopback', connect)
print(json.dumps(out), flush=True)
`;
}

/** Resource attacks: each must be stopped by a limit, not finish on its own. */
export const RESOURCE_PROBES = {
  javascript: {
    infiniteLoop: 'for (;;) {}',
    memoryBomb: 'const keep = []; for (;;) keep.push(Buffer.alloc(16 * 1024 * 1024, 1));',
    heapBomb: 'const keep = []; for (;;) keep.push(new Array(1e6).fill(1.5));',
    outputFlood: "const line = 'x'.repeat(4096) + '\\n'; for (;;) process.stdout.write(line);",
    diskFill: "const fs = require('fs'); const block = Buffer.alloc(1 << 20, 1); let n = 0; try { for (;;) { fs.writeFileSync('/sbx/tmp/f' + n, block); n++; } } catch (e) { console.log(JSON.stringify({ files: n, code: e.code })); }",
  },
  python: {
    infiniteLoop: 'while True:\n    pass\n',
    memoryBomb: 'keep = []\nwhile True:\n    keep.append(bytearray(16 * 1024 * 1024))\n',
    heapBomb: 'keep = []\nwhile True:\n    keep.append([1.5] * 1000000)\n',
    outputFlood: "import sys\nline = 'x' * 4096 + '\\n'\nwhile True:\n    sys.stdout.write(line)\n",
    diskFill:
      "import json\nblock = b'x' * (1 << 20)\nn = 0\ntry:\n    while True:\n        with open('/sbx/tmp/f%d' % n, 'wb') as f:\n            f.write(block)\n        n += 1\nexcept OSError as e:\n    print(json.dumps({'files': n, 'code': e.errno}), flush=True)\n",
    forkBomb:
      "import os, json\nn = 0\nfor _ in range(10000):\n    try:\n        if os.fork() == 0:\n            os._exit(0)\n        n += 1\n    except OSError:\n        pass\nprint(json.dumps({'forks': n}), flush=True)\n",
    daemon:
      "import os, time, json\ntry:\n    if os.fork() == 0:\n        os.setsid()\n        if os.fork() == 0:\n            time.sleep(60)\n        os._exit(0)\n    print(json.dumps({'forked': True}), flush=True)\nexcept OSError:\n    print(json.dumps({'forked': False}), flush=True)\n",
  },
} as const;
