// Child process for the kill-during-write test: appends numbered records as fast as it can until killed.
// Usage: node --import tsx telemetryKillWriter.ts <dir> <segmentBytes> <firstSequence>
import { RECORD_VERSION } from '../../lsp-server/telemetry/telemetryRecord';
import { JsonlTelemetryStore } from '../../lsp-server/telemetry/telemetryStore';

const [dir, segmentBytes, first] = process.argv.slice(2);
const store = new JsonlTelemetryStore({ dir: dir as string, maxBytes: 1 << 30, segmentBytes: Number(segmentBytes), syncIntervalMs: 50 });
let sequence = Number(first);
for (;;) {
  store.append({
    v: RECORD_VERSION,
    kind: 'request',
    id: `k${sequence}`,
    receivedAt: 1_700_000_000_000 + sequence,
    promptBuiltMs: 10.5,
    firstTokenMs: 80.25,
    doneMs: 200,
    retrievalMs: 3,
    compressionMs: 1,
    promptTokens: 1000,
    promptTokensCompressed: 700,
    generatedTokens: 30,
    tokensPerSecond: 120.5,
    draftProposed: 20,
    draftAccepted: 14,
    prefixCacheHit: true,
    servedFromCache: false,
    cachedFrom: null,
    model: 'kill-test',
    language: 'typescript',
    outcome: 'offered',
  });
  // Tell the parent once there is something on disk worth killing over.
  if (sequence - Number(first) === 500) process.stdout.write('ready\n');
  sequence++;
}
