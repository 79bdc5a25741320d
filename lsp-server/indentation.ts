// Indentation: detecting the document's style and re-indenting generated lines to match it.

export type IndentStyle = { kind: 'tabs' } | { kind: 'spaces'; width: number };

/** Lines looked at when detecting the style (enough for a reliable vote, cheap on huge files). */
const SAMPLE_LINES = 2000;
const TAB_WIDTH = 4;

/** Tabs or spaces (and how many) by majority over indented lines; undefined when no line is indented. */
export function detectIndentStyle(text: string): IndentStyle | undefined {
  let tabLines = 0;
  let spaceLines = 0;
  const steps = new Map<number, number>();
  let previous = 0;
  for (const line of text.split(/\r\n?|\n/, SAMPLE_LINES)) {
    if (line.trim() === '') continue;
    const lead = /^[ \t]*/.exec(line)![0];
    if (lead.startsWith('\t')) tabLines++;
    // A lone space before `*` is a block-comment continuation, not indentation.
    else if (lead.length > 0 && !/^ \*/.test(line.slice(lead.length - 1))) spaceLines++;
    const width = lead.startsWith('\t') ? previous : lead.length;
    if (!lead.startsWith('\t') && width > previous) steps.set(width - previous, (steps.get(width - previous) ?? 0) + 1);
    previous = width;
  }
  if (tabLines === 0 && spaceLines === 0) return undefined;
  if (tabLines > spaceLines) return { kind: 'tabs' };
  let width = 4;
  let votes = 0;
  for (const [step, count] of steps) if (step >= 2 && step <= 8 && count > votes) [width, votes] = [step, count];
  return { kind: 'spaces', width };
}

/** Visual width of a line's leading whitespace. */
export function indentWidth(line: string): number {
  let width = 0;
  for (const ch of line) {
    if (ch === ' ') width++;
    else if (ch === '\t') width += TAB_WIDTH - (width % TAB_WIDTH);
    else break;
  }
  return width;
}

/**
 * Rewrites the leading whitespace of `lines[1..]` (line 0 continues the cursor's line) to the document's style:
 * tabs become spaces of the document's width, and space indentation becomes tabs using the completion's own
 * smallest indentation step as one level.
 */
export function matchIndentation(lines: string[], style: IndentStyle | undefined): string[] {
  if (style === undefined || lines.length < 2) return lines;
  if (style.kind === 'spaces') {
    return lines.map((line, i) => (i === 0 ? line : line.replace(/^[ \t]+/, (lead) => lead.replace(/\t/g, ' '.repeat(style.width)))));
  }
  const spaceLeads = lines.slice(1).map((line) => /^ +/.exec(line)?.[0].length ?? 0).filter((n) => n > 0);
  if (spaceLeads.length === 0) return lines;
  const unit = Math.min(...spaceLeads.filter((n) => n >= 2), TAB_WIDTH);
  return lines.map((line, i) => {
    if (i === 0) return line;
    return line.replace(/^[ \t]+/, (lead) => {
      const width = indentWidth(lead);
      return '\t'.repeat(Math.floor(width / unit)) + ' '.repeat(width % unit);
    });
  });
}
