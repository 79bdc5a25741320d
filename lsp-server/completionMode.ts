// Single-line or multi-line: decided from the cursor's line before generating, because it sets the stop strings.
import type { CursorContext } from './cursorContext';

export type CompletionMode = 'single-line' | 'multi-line';

/** Only closing brackets, quotes and punctuation after the cursor still allow a block (auto-closed pairs). */
const CLOSERS_ONLY = /^[\s)\]}'"`;,]*$/;

export function completionMode(ctx: CursorContext): CompletionMode {
  if (!CLOSERS_ONLY.test(ctx.lineSuffix)) return 'single-line';
  const before = ctx.linePrefix.trimEnd();
  if (before === '') return ctx.lineSuffix.trim() === '' ? 'multi-line' : 'single-line';
  return opensBlock(before, ctx.languageId) ? 'multi-line' : 'single-line';
}

/** Whether the cursor's line (trimmed) ends by opening a block. */
export function opensBlock(linePrefix: string, languageId: string): boolean {
  const before = linePrefix.trimEnd();
  if (/[{([]$/.test(before) || before.endsWith('=>')) return true;
  return languageId === 'python' && before.endsWith(':') && !before.trimStart().startsWith('#');
}

/** Stop strings for the runtime; a multi-line completion is cut at the end of its block after generation. */
export function stopStringsFor(mode: CompletionMode): string[] {
  return mode === 'single-line' ? ['\n'] : [];
}
