// Which lines of an explanation are a code example's: a fenced block's, a doctest's (its `>>>` lines and their
// output), a JSDoc `@example` tag's, or those indented under a line that ends in `:` (`Example:`, `Adds five:`). Code
// and its output end no sentence (`z = y + 1`, `4`), so finishedSentences.ts counts such a line finished once the next
// line starts.

/** A Markdown code fence (```` ```python ````, `~~~`). */
const FENCE = /^(?:```|~~~)/;
/** A doctest's prompt: its `...` lines and output follow it up to a blank line. */
const DOCTEST = /^>>>(?:\s|$)/;
/** A JSDoc `@example` tag: its code runs to the next tag. */
const EXAMPLE_TAG = /^@example\b/;
const TAG = /^@\w/;
/**
 * A field of a docstring section (`a: An integer.`, `key (str): The key.`, `ValueError: If …`): the section under
 * `Args:` or `Raises:` is prose, indented as an example is.
 */
const FIELD = /^[\p{L}_*][\p{L}\p{N}_.*]*(?:\s*\([^)]*\))?\s*:(?:\s|$)/u;
/**
 * A line's indentation before its comment marker, and after the marker's own space (a JSDoc ` * ` or a `# `, where
 * the text's lines have one): a marked line is indented by what follows the marker.
 */
const INDENTATION = /^([ \t]*)(?:[*#](?!\/)[ \t]?([ \t]*))?/;

/** For each of `lines` (an explanation's, in order), whether it is a line of a code example. */
export function codeExampleLines(lines: readonly string[]): boolean[] {
  let fenced = false;
  let doctest = false;
  let exampleTag = false;
  /** The section under the last line that ended in `:`: its indentation, and whether its lines are code (not fields). */
  let section: { indent: number; code: boolean | undefined } | undefined;
  return lines.map((line) => {
    const [marked, before, after] = INDENTATION.exec(line)!;
    const indent = (after ?? before!).length;
    const content = line.slice(marked.length).trimEnd();
    if (FENCE.test(content)) {
      // The fences themselves are no code; a closing one ends with its backtick anyway.
      fenced = !fenced;
      doctest = false;
      return false;
    }
    if (fenced) return true;
    // A doctest's output runs to a blank line.
    if (content === '') {
      doctest = false;
      return false;
    }
    if (section !== undefined && indent <= section.indent) section = undefined;
    // A tag line ends an `@example`'s code (finishedSentences.ts reads a tag line as finished on its own).
    if (TAG.test(content)) {
      exampleTag = EXAMPLE_TAG.test(content);
      return false;
    }
    let example = exampleTag;
    if (DOCTEST.test(content)) doctest = example = true;
    else if (doctest) example = true;
    else if (section !== undefined) {
      section.code ??= !FIELD.test(content);
      example = section.code;
    }
    if (section === undefined && !example && content.endsWith(':')) section = { indent, code: undefined };
    return example;
  });
}
