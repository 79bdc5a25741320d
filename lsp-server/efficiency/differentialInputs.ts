// Generated arguments for differential checks: candidates must agree with the majority on them. Types come from
// the parameters' annotations, or, when there are none, from the literal arguments of the examples. Inputs grow
// from small to large so that a quadratic candidate shows up as slower than a linear one.
import type { CandidateLanguage } from './sandboxRuntimes';
import type { TargetParam } from './functionTarget';

export type ValueType =
  | { kind: 'int' }
  | { kind: 'float' }
  | { kind: 'string' }
  | { kind: 'boolean' }
  | { kind: 'array'; element: ValueType };

export type SizeClass = 'small' | 'medium' | 'large';

/** Large sizes differ per language: the same quadratic work costs Python ~30x what it costs V8. */
const SIZES: Record<CandidateLanguage, Record<SizeClass, number>> = {
  javascript: { small: 8, medium: 200, large: 2000 },
  python: { small: 8, medium: 60, large: 300 },
};

export function parseType(annotation: string, language: CandidateLanguage): ValueType | null {
  const text = annotation.replace(/\s+/g, '').replace(/^readonly/, '');
  if (language === 'javascript') {
    if (text === 'number') return { kind: 'int' };
    if (text === 'string') return { kind: 'string' };
    if (text === 'boolean') return { kind: 'boolean' };
    const array = /^(.+)\[\]$/.exec(text) ?? /^(?:Readonly)?Array<(.+)>$/.exec(text) ?? /^ReadonlyArray<(.+)>$/.exec(text);
    if (array) {
      const element = parseType(array[1].replace(/^\((.*)\)$/, '$1'), language);
      return element ? { kind: 'array', element } : null;
    }
    return null;
  }
  if (text === 'int') return { kind: 'int' };
  if (text === 'float') return { kind: 'float' };
  if (text === 'str') return { kind: 'string' };
  if (text === 'bool') return { kind: 'boolean' };
  const list = /^(?:list|List|Sequence|typing\.List)\[(.+)\]$/.exec(text);
  if (list) {
    const element = parseType(list[1], language);
    return element ? { kind: 'array', element } : null;
  }
  return null;
}

/** The type of a JSON-like literal, used when parameters carry no annotations. */
export function typeOfValue(value: unknown): ValueType | null {
  if (typeof value === 'boolean') return { kind: 'boolean' };
  if (typeof value === 'number') return Number.isInteger(value) ? { kind: 'int' } : { kind: 'float' };
  if (typeof value === 'string') return { kind: 'string' };
  if (Array.isArray(value)) {
    const element = value.length > 0 ? typeOfValue(value[0]) : null;
    return element && value.every((v) => JSON.stringify(typeOfValue(v)) === JSON.stringify(element)) ? { kind: 'array', element } : null;
  }
  return null;
}

/** Parses literal example arguments (`[1, 2], 'ab', True`) without evaluating anything; null if not literals. */
export function literalArguments(argsSource: string): unknown[] | null {
  const json = argsSource
    .replace(/'([^'\\"]*)'/g, '"$1"')
    .replace(/\bTrue\b/g, 'true')
    .replace(/\bFalse\b/g, 'false')
    .replace(/,\s*([\])])/g, '$1');
  try {
    const parsed: unknown = JSON.parse(`[${json}]`);
    return Array.isArray(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** mulberry32: small, fast, deterministic. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Strings mix letters with the separators and punctuation real inputs hold (paths, file names, CSV, `key: value`,
// words): on letters alone a hand-rolled `split('/')` agreed with `path.basename` and was promoted as faster.
const LETTERS = 'abcde';
const SEPARATORS = '/. -_,:';

function pick(chars: string, random: () => number): string {
  return chars[Math.floor(random() * chars.length)];
}

/** `length` characters, about one in four a separator, the last one `last` when given (`'dir/'`, `'a, b,'`). */
function randomString(length: number, random: () => number, last?: string): string {
  const chars = Array.from({ length }, () => pick(random() < 0.25 ? SEPARATORS : LETTERS, random));
  if (last !== undefined && length > 0) chars[length - 1] = last;
  return chars.join('');
}

function generate(type: ValueType, size: number, random: () => number): unknown {
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  switch (type.kind) {
    case 'int':
      return int(-Math.max(10, size), Math.max(10, size));
    case 'float':
      return Math.round((random() * 2 - 1) * Math.max(10, size) * 100) / 100;
    case 'boolean':
      return random() < 0.5;
    case 'string': {
      // Now and then empty, and now and then ending in a separator: where hand-rolled parsing goes wrong.
      const shape = random();
      if (shape < 0.1) return '';
      return randomString(int(Math.floor(size / 2), size), random, shape < 0.3 ? pick(SEPARATORS, random) : undefined);
    }
    case 'array': {
      const root = Math.max(2, Math.floor(Math.sqrt(size)));
      const nested = type.element.kind === 'array';
      const length = nested ? root : size;
      // The collection carries the growth; strings in it stay short, so that what a candidate returns (sent back
      // whole) fits the result channel: 2,000 strings of up to 2,000 characters made every candidate's output invalid.
      const elementSize = nested || type.element.kind === 'string' ? root : size;
      return Array.from({ length: int(Math.floor(length / 2), length) }, () => generate(type.element, elementSize, random));
    }
  }
}

/**
 * Argument lists for the differential checks, or [] when a parameter's type is unknown. Scalar integers stay
 * non-negative and modest (they are often sizes or indices); collections carry the growth.
 */
export function differentialInputs(
  params: TargetParam[],
  exampleArgs: unknown[][],
  language: CandidateLanguage,
  seed: number,
  perSize = 2,
): { size: SizeClass; args: unknown[] }[] {
  const types = params.map((param, index) => {
    if (param.type) return parseType(param.type, language);
    const sample = exampleArgs.find((args) => args.length > index);
    return sample ? typeOfValue(sample[index]) : null;
  });
  if (params.length === 0 || types.some((type) => type === null)) return [];
  const random = seededRandom(seed);
  const inputs: { size: SizeClass; args: unknown[] }[] = [];
  for (const size of ['small', 'medium', 'large'] as SizeClass[]) {
    for (let i = 0; i < perSize; i++) {
      const n = SIZES[language][size];
      // The first small inputs use the boundary values 0 and 1 for integers, where off-by-one bugs live, and for
      // strings the empty one and one that ends in the commonest separator, a path's (`'dir/'`).
      const boundary = size === 'small' && i < 2 ? i : undefined;
      const value = (type: ValueType): unknown => {
        if (type.kind === 'int') return boundary ?? Math.floor(random() * Math.min(n, 40));
        if (type.kind === 'string' && boundary !== undefined) return boundary === 0 ? '' : randomString(n, random, '/');
        return generate(type, n, random);
      };
      inputs.push({ size, args: types.map((type) => value(type!)) });
    }
  }
  return inputs;
}
