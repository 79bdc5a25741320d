// Which lines of an explanation are a code example's: a fenced block's, a doctest's (its `>>>` lines and their
// output), a JSDoc `@example` tag's, or those indented under a line that ends in `:` (`Example:`, `Adds five:`) where
// the first of them reads as code (`Returns:` and `It works in two steps:` have prose under them). Code
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
/** A docstring section of prose (`Returns:`, `Note:`): what is indented under it ends in sentences. */
const PROSE_SECTION = /^(?:args|arguments|parameters|params|keyword args|returns?|yields?|raises|throws|notes?|warnings?|see also|todo|attributes|references)\s*:$/i;
/**
 * What a section's first line must look like for the section to be code (`return x + 5`, `z = y + 1`, `f(2)`): a line
 * of prose (`The sum of a and`, `first it reads the`) has none of it, and ends in a sentence.
 */
const CODE_LINE = /[=(){}[\];]|^(?:return|yield|import|from|def|class|const|let|var|function|for|while|if|print|raise|throw|await)\b/;
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
      section.code ??= !FIELD.test(content) && CODE_LINE.test(content);
      example = section.code;
    }
    if (section === undefined && !example && content.endsWith(':')) section = { indent, code: PROSE_SECTION.test(content) ? false : undefined };
    return example;
  });
}
