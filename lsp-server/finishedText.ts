// What of a completion cut at the time limit (`locus.completion.timeLimitMs`) or the token cap
// (`locus.completion.maxNewTokens`) is worth showing: a block's whole lines, else the whole words of its line. The
// last word may be cut mid-identifier, and accepting half a name is worse than accepting none of it.
import type { CompletionMode } from './completionMode';
import { CONTROL_CHARACTERS } from './postProcess';

// With the control characters the post-processing drops: `name\x05` cut from `name\x05d` would show as `name` of `named`.
const TRAILING_WORD = new RegExp(`(?:[\\p{L}\\p{N}_$]|${CONTROL_CHARACTERS.source})+$`, 'u');

export function finishedPart(text: string, mode: CompletionMode): string {
  if (mode === 'multi-line') {
    const lastBreak = text.lastIndexOf('\n');
    if (text.slice(0, Math.max(0, lastBreak)).trim() !== '') return text.slice(0, lastBreak);
  }
  return text.replace(TRAILING_WORD, '');
}
