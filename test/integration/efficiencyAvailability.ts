// The sandbox self-test, run once per test file, and the skip every efficiency test takes where it fails.
import type { TestContext } from 'node:test';
import { runIsolationSelfTest, type SelfTestResult } from '../../lsp-server/efficiency/isolationSelfTest';

export const selfTest: Promise<SelfTestResult> = runIsolationSelfTest();

/** True when the sandbox runs JavaScript here; otherwise skips `t` with the self-test's reasons. */
export async function need(t: TestContext): Promise<boolean> {
  const result = await selfTest;
  if (result.runtimes.javascript) return true;
  t.skip(`efficiency checks unavailable here: ${result.reasons.join(' ')}`);
  return false;
}
