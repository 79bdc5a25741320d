// Imported for its effect, before onnxruntime-node loads. onnxruntime 1.29+ starts Microsoft's telemetry system on
// Linux and macOS (1DS, uploading to mobile.events.data.microsoft.com) and leaves a session-id file `.ses` and a
// `mat-debug-<pid>.log` in the temp folder of every process that loads it, unless ORT_DISABLE_TELEMETRY=1 is in the
// process environment when it initialises. Locus keeps everything on the machine, so it is set unconditionally.
// A worker thread's `process.env` is its own copy, not the C environment onnxruntime reads: the main thread sets it
// (WorkerEngine before it starts its thread, the launchers in lsp-server/serverProcessFlags.ts at process start).
process.env.ORT_DISABLE_TELEMETRY = '1';
