// The words retrieval compares: identifiers, lower-cased, plus their camelCase / snake_case parts, minus the
// keywords every file shares.

const IDENTIFIER = /[A-Za-z_$][\w$]*/g;
const MIN_LENGTH = 2;

const KEYWORDS = new Set([
  'abstract', 'and', 'as', 'async', 'await', 'bool', 'boolean', 'break', 'case', 'catch', 'class', 'const', 'continue',
  'def', 'default', 'del', 'delete', 'do', 'elif', 'else', 'enum', 'except', 'export', 'extends', 'false', 'finally',
  'fn', 'for', 'from', 'func', 'function', 'get', 'global', 'if', 'impl', 'implements', 'import', 'in', 'instanceof',
  'int', 'interface', 'is', 'lambda', 'let', 'module', 'new', 'none', 'not', 'null', 'number', 'of', 'or', 'package',
  'pass', 'private', 'protected', 'pub', 'public', 'raise', 'readonly', 'require', 'return', 'self', 'set', 'static',
  'string', 'struct', 'super', 'switch', 'this', 'throw', 'true', 'try', 'type', 'typeof', 'undefined', 'use', 'var',
  'void', 'while', 'with', 'yield', 'exports', 'void', 'any', 'unknown',
]);

/** Identifiers of `text` in order (raw spelling). */
export function identifiers(text: string): string[] {
  return text.match(IDENTIFIER) ?? [];
}

/** Identifiers repeat across a workspace; splitting each spelling once makes indexing about twice as fast. */
const TERM_CACHE_LIMIT = 200_000;
const termCache = new Map<string, string[]>();

/** Index terms of one identifier: the whole name and, for compound names, its parts. */
export function termsOfIdentifier(identifier: string): string[] {
  let terms = termCache.get(identifier);
  if (terms === undefined) {
    terms = splitIdentifier(identifier);
    if (termCache.size >= TERM_CACHE_LIMIT) termCache.clear();
    termCache.set(identifier, terms);
  }
  return terms;
}

function splitIdentifier(identifier: string): string[] {
  const whole = identifier.toLowerCase();
  if (whole.length < MIN_LENGTH || KEYWORDS.has(whole)) return [];
  const parts = identifier
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    // One capital before the capitalised word: `([A-Z]+)` retried every shorter run (quadratic in a base64 `AAAA…`).
    .replace(/([A-Z])([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_$]+/)
    .map((p) => p.toLowerCase())
    .filter((p) => p.length >= MIN_LENGTH && p !== whole && !KEYWORDS.has(p));
  return parts.length === 0 ? [whole] : [whole, ...parts];
}

/** Term → count for a text. */
export function termCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of identifiers(text)) for (const term of termsOfIdentifier(id)) counts.set(term, (counts.get(term) ?? 0) + 1);
  return counts;
}

export function isKeyword(word: string): boolean {
  return KEYWORDS.has(word.toLowerCase());
}
