// Turns a function target into the checks every candidate runs: doc-comment examples, assertions from the
// workspace's tests, and differential inputs generated from the parameter types.
import { escapeRegExp } from '../escapeRegExp';
import { closingBracket } from './closingBracket';
import type { DocExample } from './docExamples';
import { differentialInputs, literalArguments, type SizeClass } from './differentialInputs';
import type { FunctionTarget } from './functionTarget';
import { findTestCalls, type TestFile } from './workspaceTestCalls';

export type CheckKind = 'example' | 'test' | 'differential';

export interface Check {
  id: string;
  kind: CheckKind;
  /** Example / test: the checked expression, and its arguments when it is a plain call of the target. */
  callSource?: string;
  argsSource?: string;
  /** Example / test: the expected value's expression, evaluated in a candidate-free reference run. */
  expectedSource?: string;
  /** Differential: generated arguments (JSON values); the expected value is the candidates' majority. */
  args?: unknown[];
  size?: SizeClass;
}

const MAX_EXAMPLE_CHECKS = 12;

/** `name(a, b)` → `a, b`; anything else (chained calls, wrappers) → undefined. */
export function directCallArguments(callSource: string, name: string): string | undefined {
  const text = callSource.trim();
  const head = new RegExp(`^(?:await\\s+)?${escapeRegExp(name)}\\s*\\(`).exec(text);
  if (!head || !text.endsWith(')')) return undefined;
  return closingBracket(text, head[0].length - 1) === text.length - 1 ? text.slice(head[0].length, -1) : undefined;
}

export function buildChecks(target: FunctionTarget, testFiles: TestFile[], seed: number): Check[] {
  const checks: Check[] = [];
  const fromExamples = (examples: DocExample[], kind: CheckKind): void => {
    for (const example of examples) {
      if (!example.callSource.includes(target.name) || checks.length >= MAX_EXAMPLE_CHECKS) continue;
      checks.push({
        id: `${kind}-${checks.length}`,
        kind,
        callSource: example.callSource,
        argsSource: directCallArguments(example.callSource, target.name),
        expectedSource: example.expectedSource,
      });
    }
  };
  fromExamples(target.examples, 'example');
  fromExamples(findTestCalls(testFiles, target.name), 'test');
  const exampleArgs = checks
    .map((check) => (check.argsSource === undefined ? null : literalArguments(check.argsSource)))
    .filter((args): args is unknown[] => args !== null);
  for (const [index, input] of differentialInputs(target.params, exampleArgs, target.language, seed).entries()) {
    checks.push({ id: `differential-${index}`, kind: 'differential', args: input.args, size: input.size });
  }
  return checks;
}
