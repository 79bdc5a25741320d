// Which documents Locus makes prompts of, and why not the others: one sentence each, for the status bar (the
// `locus/completionSkipped` notification) and for Compress's error.
import { isMinified } from './minifiedText';

/** Larger documents are skipped: prompt building would cost more than the completion is worth. */
export const MAX_DOCUMENT_CHARS = 1024 * 1024;

const TOO_LARGE_REASON = `No completions in files over ${MAX_DOCUMENT_CHARS / 1024 / 1024} MiB: a prompt of one would cost more than its completion is worth.`;
const BINARY_REASON = 'No completions in binary files (this one holds NUL characters).';
const MINIFIED_REASON = 'No completions in minified code (its lines run to hundreds of characters): format the file to get them.';

/** The part of a document this reads; its length is known without joining the text. */
export interface SizedDocument {
  length: number;
  getText(): string;
}

/**
 * The document's text, or why no prompt is made of it: `privateReason` (promptPrivacy.ts) first, then its size (the
 * text is not joined then), then binary content, then minified code.
 */
export function completableText(document: SizedDocument, privateReason: string | undefined): { text: string } | { reason: string } {
  if (privateReason !== undefined) return { reason: privateReason };
  if (document.length > MAX_DOCUMENT_CHARS) return { reason: TOO_LARGE_REASON };
  const text = document.getText();
  if (text.includes('\u0000')) return { reason: BINARY_REASON };
  return isMinified(text) ? { reason: MINIFIED_REASON } : { text };
}
