// A tree-sitter parse done a slice at a time on the server's thread (timeSlices.ts): in one go a 733 KB file took
// 570 ms. Tree-sitter resumes a halted parse where it stopped, but only if no other parse on the same parser starts
// meanwhile: callers parse one text at a time on a parser, or use a parser of their own.
import type { Parser, Tree } from '@vscode/tree-sitter-wasm';
import type { TimeSlices } from './timeSlices';

/** `text`'s tree, or null if it does not parse or `gone()` says the parser was disposed between slices. */
export async function parseInSlices(parser: Parser, text: string, slices: TimeSlices, gone: () => boolean = () => false): Promise<Tree | null> {
  for (;;) {
    let halted = false;
    const tree = parser.parse(text, null, { progressCallback: () => (halted = slices.spent) });
    if (tree !== null || !halted) return tree;
    await slices.breathe();
    if (gone()) return null;
  }
}
