// Which lines of an explanation are a code example's: a fenced block's, a doctest's (its `>>>` lines and their
// output), a JSDoc `@example` tag's, or those indented under a line that ends in `:` (`Example:`, `Adds five:`) where
// the first of them reads as code (`Returns:` and `It works in two steps:` have prose under them). Code
// and its output end no sentence (`z = y + 1`, `4`), so finishedSentences.ts counts such a line finished once the next
// line starts. A fence that a text leaves open is closed where it ends (fenceCloser), else the rest of the Explain tab
// reads as code.

/** A Markdown code fence (```` ```python ````, `~~~`): its backticks or tildes, which its closing fence repeats. */
const FENCE = /^(?:`{3,}|~{3,})/;
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
const CODE_LINE = /[=(){}[\];]|^(?:return|yield|import|from|def|class|const|let|var|function|for|while|if|print|raise|throw|await)\b|^#(?:\s|$)/;
/**
 * A line's indentation before its comment marker, and after the marker's own space (a JSDoc ` * ` or a `# `, where
 * the text's lines have one): a marked line is indented by what follows the marker.
 */
const INDENTATION = /^([ \t]*)(?:[*#](?!\/)[ \t]?([ \t]*))?/;
/** A line's indentation where the text's lines have no marker: a docstring's, whose `# y is 4` is a comment in code. */
const PLAIN_INDENTATION = /^([ \t]*)/;
/** A line that starts with a comment marker. */
const MARKED_LINE = /^[ \t]*[*#](?!\/)/;

/**
 * How `lines` are indented: past a comment marker where most lines after the first have one (a `#` comment's, a JSDoc
 * block's, one line of which the model wrote without its `*`; the first follows the opener), else by their whitespace
 * alone. A `#` read as a docstring's marker ended the section of the example it was a comment in, and with it the
 * explanation, cut there as an unfinished sentence.
 */
function indentationOf(lines: readonly string[]): RegExp {
  let marked = 0;
  let plain = 0;
  for (const line of lines.slice(1)) {
    if (MARKED_LINE.test(line)) marked++;
    else if (line.trim() !== '') plain++;
  }
  return marked > plain || plain === 0 ? INDENTATION : PLAIN_INDENTATION;
}

/** For each of `lines` (an explanation's, in order), whether it is a line of a code example. */
export function codeExampleLines(lines: readonly string[]): boolean[] {
  /** The open fence's backticks or tildes. */
  let fenced: string | undefined;
  let doctest = false;
  let exampleTag = false;
  /** The section under the last line that ended in `:`: its indentation, and whether its lines are code (not fields). */
  let section: { indent: number; code: boolean | undefined } | undefined;
  const indentation = indentationOf(lines);
  return lines.map((line) => {
    const [marked, before, after] = indentation.exec(line)!;
    const indent = (after ?? before!).length;
    const content = line.slice(marked.length).trimEnd();
    const fence = FENCE.exec(content)?.[0];
    if (fence !== undefined && (fenced === undefined || closesFence(content, fenced))) {
      // The fences themselves are no code; a closing one ends with its backtick anyway.
      fenced = fenced === undefined ? fence : undefined;
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

/**
 * The line that closes the code fence `lines` leave open, if they do: the opening fence's indentation, comment marker
 * and backticks (or tildes).
 */
export function fenceCloser(lines: readonly string[]): string | undefined {
  const indentation = indentationOf(lines);
  let open: { marked: string; fence: string } | undefined;
  for (const line of lines) {
    const marked = indentation.exec(line)![0];
    const content = line.slice(marked.length).trimEnd();
    const fence = FENCE.exec(content)?.[0];
    if (fence === undefined) continue;
    if (open === undefined) open = { marked, fence };
    else if (closesFence(content, open.fence)) open = undefined;
  }
  return open === undefined ? undefined : open.marked + open.fence;
}

/**
 * Whether a fence line closes the fence `opened`: its own characters, at least as many, and nothing after them (a
 * ```` ``` ```` inside a `~~~` fence, or one with a language, is a line of its code).
 */
function closesFence(content: string, opened: string): boolean {
  const fence = FENCE.exec(content)?.[0];
  return fence !== undefined && fence[0] === opened[0] && fence.length >= opened.length && content.slice(fence.length).trim() === '';
}
