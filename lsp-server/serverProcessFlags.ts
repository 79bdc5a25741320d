// Flags and environment for the Node process that runs dist/server.js, passed by every launcher (the VS Code client,
// the CLI, the integration tests and benches through cli/serverProcess.ts).

/**
 * `--no-concurrent-marking`: V8 marks the heap on the thread that allocates instead of on helper threads. Where the
 * runtime cannot keep the KV cache in its own buffers (attention that reads the past otherwise, such as plain
 * exports: runtime/kvArena.ts), each decode step hands the inference worker new JS buffers for the whole cache
 * (onnxruntime-node copies every present out), so a long context forces a major GC every few steps; a concurrent marker then takes a core from
 * onnxruntime's thread pool, whose threads wait for the slowest at every kernel. With Qwen2.5-Coder-0.5B's shape
 * on 2 threads of this 2-core machine, 64 tokens after a 512-token prompt took 29.2 ms each with concurrent
 * marking and 21.2 ms without (bench/results/gc-marking-2026-12-05.md).
 */
export const SERVER_EXEC_ARGV: readonly string[] = ['--no-concurrent-marking'];

/** glibc's tunable that has malloc ask Linux for transparent huge pages (glibc 2.35+; ignored elsewhere). */
export const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb';

/**
 * glibc's tunables for that process, each added unless the user set it:
 * - huge pages: onnxruntime repacks every weight at load into memory it allocates with malloc, which then comes in
 *   2 MiB pages instead of 4 KiB ones where Linux gives them only on request (`madvise`, Debian's and Ubuntu's
 *   default): loads 1.40-1.99x faster, 512-token prefills 1.08-1.24x, decode unchanged, 5-103 MiB more private
 *   memory (bench/results/huge-pages-*.md).
 * - a fixed mmap threshold of 1 MiB: glibc otherwise raises it (up to 32 MiB) each time a block it mapped on its own
 *   is freed, and blocks under it then come from its heaps, which keep freed space resident. Measured when Selective
 *   Context's scoring passes returned every position's logits (8-58 MiB outputs; they now stay inside onnxruntime,
 *   runtime/tokenLogProbsModel.ts): those grew the heaps in 18-60 MiB steps in a soak and left 110-220 MiB in them
 *   free; mapped on their own, they went back to Linux when freed: ~90 MiB less private memory, load and prefill as
 *   fast (bench/results/soak-mmap-threshold-*.md). Other blocks of megabytes (the KV arena as it grows, the logits
 *   of exports without `num_logits_to_keep`) are mapped the same way.
 */
const SERVER_TUNABLES: ReadonlyArray<[string, string]> = [
  [HUGE_PAGES_TUNABLE, '1'],
  ['glibc.malloc.mmap_threshold', String(2 ** 20)],
];

/**
 * The environment for that process: `env` with onnxruntime's telemetry off and the tunables above. Other systems and
 * allocators ignore the variable (desktop VS Code's Electron, whose allocator replaces malloc, among them), and the
 * sandbox that runs candidates starts from an empty environment.
 */
export function serverProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // Always, whatever the user's environment says: runtime/onnxruntimeTelemetryOff.ts says why.
  const withoutTelemetry = { ...env, ORT_DISABLE_TELEMETRY: '1' };
  const tunables = (env.GLIBC_TUNABLES ?? '').split(':').filter((t) => t !== '');
  const added = SERVER_TUNABLES.filter(([name]) => !tunables.some((t) => t.startsWith(`${name}=`))).map(([name, value]) => `${name}=${value}`);
  if (added.length === 0) return withoutTelemetry;
  return { ...withoutTelemetry, GLIBC_TUNABLES: [...tunables, ...added].join(':') };
}
