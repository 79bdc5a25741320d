// The efficiency suite: functions with doc-comment examples, each with pre-written candidate bodies whose
// correct versions differ in complexity (O(n^2) vs O(n), naive vs closed form), plus a wrong one. Candidate 0
// plays the greedy suggestion: the slower correct body in most tasks, the wrong one in seven (several of those
// pass the doc example and are only caught by the differential inputs). `correct` is the ground truth the
// benchmark scores the choice against.

export interface TaskCandidate {
  text: string;
  correct: boolean;
  /** Complexity or the bug, for the report. */
  note: string;
}

export interface EfficiencyTask {
  name: string;
  languageId: 'typescript' | 'javascript' | 'python';
  /** Document text before the cursor (ends where the body starts). */
  prefix: string;
  /** Document text after the cursor. */
  suffix: string;
  candidates: TaskCandidate[];
}

const ok = (note: string, text: string): TaskCandidate => ({ text, correct: true, note });
const bad = (note: string, text: string): TaskCandidate => ({ text, correct: false, note });

function ts(name: string, doc: string[], signature: string, candidates: TaskCandidate[]): EfficiencyTask {
  const comment = ['/**', ...doc.map((line) => ` * ${line}`), ' */'].join('\n');
  return { name, languageId: 'typescript', prefix: `${comment}\nexport function ${signature} {`, suffix: '\n}\n', candidates };
}

function py(name: string, signature: string, doc: string[], candidates: TaskCandidate[]): EfficiencyTask {
  const docstring = ['    """' + doc[0], ...doc.slice(1).map((line) => (line === '' ? '' : `    ${line}`)), '    """'].join('\n');
  return { name, languageId: 'python', prefix: `def ${signature}:\n${docstring}\n`, suffix: '\n\nprint("module end")\n', candidates };
}

export const EFFICIENCY_TASKS: EfficiencyTask[] = [
  ts('hasDuplicate', ['Whether any value occurs twice.', '@example', 'hasDuplicate([1, 2, 3]) // => false', 'hasDuplicate([3, 1, 3]) // => true'], 'hasDuplicate(xs: number[]): boolean', [
    ok('O(n^2) pairs', '\n  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) if (xs[i] === xs[j]) return true;\n  return false;'),
    ok('O(n) Set', '\n  return new Set(xs).size !== xs.length;'),
    bad('adjacent only', '\n  for (let i = 1; i < xs.length; i++) if (xs[i] === xs[i - 1]) return true;\n  return false;'),
  ]),
  ts('countUnique', ['Number of distinct values.', '@example', 'countUnique([1, 1, 2]) // => 2', 'countUnique([]) // => 0'], 'countUnique(xs: number[]): number', [
    ok('O(n^2) includes', '\n  const seen: number[] = [];\n  for (const x of xs) if (!seen.includes(x)) seen.push(x);\n  return seen.length;'),
    ok('O(n) Set', '\n  return new Set(xs).size;'),
    bad('length', '\n  return xs.length;'),
  ]),
  ts('twoSum', ['Whether two different positions add up to target.', '@example', 'twoSum([1, 4, 6], 10) // => true', 'twoSum([5], 10) // => false'], 'twoSum(xs: number[], target: number): boolean', [
    ok('O(n^2) pairs', '\n  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) if (xs[i] + xs[j] === target) return true;\n  return false;'),
    ok('O(n) Set', '\n  const seen = new Set<number>();\n  for (const x of xs) {\n    if (seen.has(target - x)) return true;\n    seen.add(x);\n  }\n  return false;'),
    bad('reuses one element', '\n  const all = new Set(xs);\n  return xs.some((x) => all.has(target - x));'),
  ]),
  ts('maxSubarray', ['Largest sum of a non-empty contiguous run.', '@example', 'maxSubarray([1, -2, 3, 4]) // => 7', 'maxSubarray([-3, -1]) // => -1'], 'maxSubarray(xs: number[]): number', [
    ok('O(n^2) all runs', '\n  let best = -Infinity;\n  for (let i = 0; i < xs.length; i++) {\n    let sum = 0;\n    for (let j = i; j < xs.length; j++) {\n      sum += xs[j];\n      if (sum > best) best = sum;\n    }\n  }\n  return best;'),
    ok('O(n) Kadane', '\n  let best = xs[0];\n  let here = xs[0];\n  for (let i = 1; i < xs.length; i++) {\n    here = Math.max(xs[i], here + xs[i]);\n    best = Math.max(best, here);\n  }\n  return best;'),
    bad('sum of positives', '\n  const positive = xs.filter((x) => x > 0);\n  return positive.length ? positive.reduce((a, b) => a + b, 0) : Math.max(...xs);'),
  ]),
  ts('mostFrequent', ['The most frequent value; the smallest one on ties.', '@example', 'mostFrequent([3, 1, 3, 1, 2]) // => 1', 'mostFrequent([7]) // => 7'], 'mostFrequent(xs: number[]): number', [
    bad('first element', '\n  return xs[0];'),
    ok('O(n^2) counting', '\n  let best = xs[0];\n  let bestCount = 0;\n  for (const x of xs) {\n    const count = xs.filter((y) => y === x).length;\n    if (count > bestCount || (count === bestCount && x < best)) {\n      best = x;\n      bestCount = count;\n    }\n  }\n  return best;'),
    ok('O(n) Map', '\n  const counts = new Map<number, number>();\n  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);\n  let best = xs[0];\n  let bestCount = 0;\n  for (const [x, count] of counts) if (count > bestCount || (count === bestCount && x < best)) { best = x; bestCount = count; }\n  return best;'),
  ]),
  ts('intersectionSize', ['Number of distinct values present in both arrays.', '@example', 'intersectionSize([1, 2, 2, 3], [2, 3, 4]) // => 2'], 'intersectionSize(a: number[], b: number[]): number', [
    ok('O(nm) includes', '\n  const common: number[] = [];\n  for (const x of a) if (b.includes(x) && !common.includes(x)) common.push(x);\n  return common.length;'),
    ok('O(n+m) Sets', '\n  const inB = new Set(b);\n  return new Set(a.filter((x) => inB.has(x))).size;'),
    bad('counts duplicates', '\n  return a.filter((x) => b.includes(x)).length;'),
  ]),
  ts('longestRun', ['Length of the longest run of equal neighbours.', '@example', 'longestRun([1, 1, 2, 2, 2, 1]) // => 3', 'longestRun([5]) // => 1'], 'longestRun(xs: number[]): number', [
    ok('O(n^2) from each start', '\n  let best = xs.length ? 1 : 0;\n  for (let i = 0; i < xs.length; i++) {\n    let j = i;\n    while (j + 1 < xs.length && xs[j + 1] === xs[i]) j++;\n    best = Math.max(best, j - i + 1);\n  }\n  return best;'),
    ok('O(n) one pass', '\n  let best = xs.length ? 1 : 0;\n  let run = 1;\n  for (let i = 1; i < xs.length; i++) {\n    run = xs[i] === xs[i - 1] ? run + 1 : 1;\n    best = Math.max(best, run);\n  }\n  return best;'),
    bad('off by one', '\n  let best = 0;\n  let run = 0;\n  for (let i = 1; i < xs.length; i++) {\n    run = xs[i] === xs[i - 1] ? run + 1 : 0;\n    best = Math.max(best, run);\n  }\n  return best;'),
  ]),
  ts('prefixSums', ['Running totals.', '@example', 'prefixSums([1, 2, 3]) // => [1, 3, 6]'], 'prefixSums(xs: number[]): number[]', [
    ok('O(n^2) re-summing', '\n  return xs.map((_, i) => xs.slice(0, i + 1).reduce((a, b) => a + b, 0));'),
    ok('O(n) running', '\n  const out: number[] = [];\n  let sum = 0;\n  for (const x of xs) out.push((sum += x));\n  return out;'),
    bad('exclusive sums', '\n  const out: number[] = [];\n  let sum = 0;\n  for (const x of xs) { out.push(sum); sum += x; }\n  return out;'),
  ]),
  ts('sortNumbers', ['A sorted copy, ascending.', '@example', 'sortNumbers([10, 9, 1]) // => [1, 9, 10]'], 'sortNumbers(xs: number[]): number[]', [
    bad('lexicographic sort', '\n  return [...xs].sort();'),
    ok('O(n^2) insertion sort', '\n  const out = [...xs];\n  for (let i = 1; i < out.length; i++) {\n    const x = out[i];\n    let j = i - 1;\n    while (j >= 0 && out[j] > x) { out[j + 1] = out[j]; j--; }\n    out[j + 1] = x;\n  }\n  return out;'),
    ok('O(n log n) sort', '\n  return [...xs].sort((a, b) => a - b);'),
  ]),
  ts('countInversions', ['Pairs i < j with xs[i] > xs[j].', '@example', 'countInversions([3, 1, 2]) // => 2', 'countInversions([1, 2]) // => 0'], 'countInversions(xs: number[]): number', [
    ok('O(n^2) pairs', '\n  let n = 0;\n  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) if (xs[i] > xs[j]) n++;\n  return n;'),
    ok('O(n log n) merge sort', '\n  const sort = (a: number[]): [number[], number] => {\n    if (a.length < 2) return [a, 0];\n    const mid = a.length >> 1;\n    const [l, x] = sort(a.slice(0, mid));\n    const [r, y] = sort(a.slice(mid));\n    const out: number[] = [];\n    let n = x + y, i = 0, j = 0;\n    while (i < l.length && j < r.length) {\n      if (l[i] <= r[j]) out.push(l[i++]);\n      else { out.push(r[j++]); n += l.length - i; }\n    }\n    return [out.concat(l.slice(i), r.slice(j)), n];\n  };\n  return sort(xs)[1];'),
    bad('counts equal pairs too', '\n  let n = 0;\n  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) if (xs[i] >= xs[j]) n++;\n  return n;'),
  ]),
  ts('uniqueSorted', ['Distinct values, ascending.', '@example', 'uniqueSorted([3, 1, 3, 2]) // => [1, 2, 3]'], 'uniqueSorted(xs: number[]): number[]', [
    bad('not deduplicated', '\n  return [...xs].sort((a, b) => a - b);'),
    ok('O(n^2) indexOf filter', '\n  return xs.filter((x, i) => xs.indexOf(x) === i).sort((a, b) => a - b);'),
    ok('O(n log n) Set', '\n  return [...new Set(xs)].sort((a, b) => a - b);'),
  ]),
  ts('isAnagram', ['Whether b is a rearrangement of a.', '@example', "isAnagram('listen', 'silent') // => true", "isAnagram('ab', 'abb') // => false"], 'isAnagram(a: string, b: string): boolean', [
    ok('O(n^2) remove one by one', "\n  let rest = b;\n  for (const c of a) {\n    const at = rest.indexOf(c);\n    if (at < 0) return false;\n    rest = rest.slice(0, at) + rest.slice(at + 1);\n  }\n  return rest.length === 0;"),
    ok('O(n) counts', '\n  if (a.length !== b.length) return false;\n  const counts = new Map<string, number>();\n  for (const c of a) counts.set(c, (counts.get(c) ?? 0) + 1);\n  for (const c of b) {\n    const n = counts.get(c) ?? 0;\n    if (n === 0) return false;\n    counts.set(c, n - 1);\n  }\n  return true;'),
    bad('same letters, any counts', '\n  return [...new Set(a)].sort().join() === [...new Set(b)].sort().join();'),
  ]),
  ts('isPalindrome', ['Whether s reads the same backwards.', '@example', "isPalindrome('abba') // => true", "isPalindrome('abc') // => false"], 'isPalindrome(s: string): boolean', [
    ok('O(n) reversed copy', "\n  return s === [...s].reverse().join('');"),
    ok('O(n) two pointers', '\n  for (let i = 0, j = s.length - 1; i < j; i++, j--) if (s[i] !== s[j]) return false;\n  return true;'),
    bad('first and last only', '\n  return s.length === 0 || s[0] === s[s.length - 1];'),
  ]),
  ts('fibonacci', ['The n-th Fibonacci number (fibonacci(0) = 0).', '@example', 'fibonacci(10) // => 55', 'fibonacci(1) // => 1'], 'fibonacci(n: number): number', [
    bad('off by one', '\n  let a = 1, b = 1;\n  for (let i = 1; i < n; i++) [a, b] = [b, a + b];\n  return a;'),
    ok('O(phi^n) naive recursion', '\n  return n < 2 ? n : fibonacci(n - 1) + fibonacci(n - 2);'),
    ok('O(n) loop', '\n  let a = 0, b = 1;\n  for (let i = 0; i < n; i++) [a, b] = [b, a + b];\n  return a;'),
  ]),
  ts('sumTo', ['1 + 2 + ... + n.', '@example', 'sumTo(4) // => 10', 'sumTo(0) // => 0'], 'sumTo(n: number): number', [
    ok('O(n) loop', '\n  let s = 0;\n  for (let i = 1; i <= n; i++) s += i;\n  return s;'),
    ok('O(1) formula', '\n  return (n * (n + 1)) / 2;'),
    bad('n squared', '\n  return n * n;'),
  ]),
  ts('countPrimesBelow', ['How many primes are smaller than n.', '@example', 'countPrimesBelow(10) // => 4', 'countPrimesBelow(2) // => 0'], 'countPrimesBelow(n: number): number', [
    ok('trial division up to k', '\n  let count = 0;\n  for (let k = 2; k < n; k++) {\n    let prime = true;\n    for (let d = 2; d < k; d++) if (k % d === 0) { prime = false; break; }\n    if (prime) count++;\n  }\n  return count;'),
    ok('sieve', '\n  if (n < 3) return 0;\n  const composite = new Uint8Array(n);\n  let count = 0;\n  for (let k = 2; k < n; k++) {\n    if (composite[k]) continue;\n    count++;\n    for (let m = k * k; m < n; m += k) composite[m] = 1;\n  }\n  return count;'),
    bad('counts 1 as prime', '\n  let count = 0;\n  for (let k = 1; k < n; k++) {\n    let prime = true;\n    for (let d = 2; d * d <= k; d++) if (k % d === 0) prime = false;\n    if (prime) count++;\n  }\n  return count;'),
  ]),
  ts('pairsWithDifference', ['Number of pairs i < j with |xs[i] - xs[j]| === 1.', '@example', 'pairsWithDifference([1, 2, 3]) // => 2', 'pairsWithDifference([1, 1, 2]) // => 2'], 'pairsWithDifference(xs: number[]): number', [
    ok('O(n^2) pairs', '\n  let n = 0;\n  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) if (Math.abs(xs[i] - xs[j]) === 1) n++;\n  return n;'),
    ok('O(n) counts', '\n  const counts = new Map<number, number>();\n  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);\n  let n = 0;\n  for (const [x, c] of counts) n += c * (counts.get(x + 1) ?? 0);\n  return n;'),
    bad('distinct values only', '\n  const set = new Set(xs);\n  let n = 0;\n  for (const x of set) if (set.has(x + 1)) n++;\n  return n;'),
  ]),
  ts('rotateLeft', ['xs rotated left by one place.', '@example', 'rotateLeft([1, 2, 3]) // => [2, 3, 1]'], 'rotateLeft(xs: number[]): number[]', [
    bad('rotates right', '\n  return xs.length ? [xs[xs.length - 1], ...xs.slice(0, -1)] : [];'),
    ok('O(n) slice', '\n  return xs.length ? [...xs.slice(1), xs[0]] : [];'),
    ok('O(n^2) repeated shift of a copy', '\n  const out: number[] = [];\n  const rest = [...xs];\n  const first = rest.shift();\n  while (rest.length) out.push(rest.shift()!);\n  if (first !== undefined) out.push(first);\n  return out;'),
  ]),
  py('count_pairs', 'count_pairs(xs: list[int], k: int) -> int', ['Number of pairs i < j with xs[i] + xs[j] == k.', '', '>>> count_pairs([1, 2, 3, 4], 5)', '2', '>>> count_pairs([], 1)', '0'], [
    bad('counts i == j', '    return sum(1 for x in xs for y in xs if x + y == k) // 2'),
    ok('O(n^2) pairs', '    n = 0\n    for i in range(len(xs)):\n        for j in range(i + 1, len(xs)):\n            if xs[i] + xs[j] == k:\n                n += 1\n    return n'),
    ok('O(n) Counter', '    from collections import Counter\n    seen = Counter()\n    n = 0\n    for x in xs:\n        n += seen[k - x]\n        seen[x] += 1\n    return n'),
  ]),
  py('has_duplicate', 'has_duplicate(xs: list[int]) -> bool', ['Whether any value occurs twice.', '', '>>> has_duplicate([1, 2, 1])', 'True', '>>> has_duplicate([1, 2])', 'False'], [
    ok('O(n^2) pairs', '    for i in range(len(xs)):\n        for j in range(i + 1, len(xs)):\n            if xs[i] == xs[j]:\n                return True\n    return False'),
    ok('O(n) set', '    return len(set(xs)) != len(xs)'),
    bad('adjacent only', '    return any(a == b for a, b in zip(xs, xs[1:]))'),
  ]),
  py('max_subarray', 'max_subarray(xs: list[int]) -> int', ['Largest sum of a non-empty contiguous run.', '', '>>> max_subarray([1, -2, 3, 4])', '7', '>>> max_subarray([-3, -1])', '-1'], [
    ok('O(n^2) all runs', '    best = xs[0]\n    for i in range(len(xs)):\n        s = 0\n        for j in range(i, len(xs)):\n            s += xs[j]\n            best = max(best, s)\n    return best'),
    ok('O(n) Kadane', '    best = here = xs[0]\n    for x in xs[1:]:\n        here = max(x, here + x)\n        best = max(best, here)\n    return best'),
    bad('whole-array sum', '    return sum(xs)'),
  ]),
  py('unique_count', 'unique_count(words: list[str]) -> int', ['Number of distinct words.', '', ">>> unique_count(['a', 'b', 'a'])", '2'], [
    ok('O(n^2) list membership', '    seen = []\n    for w in words:\n        if w not in seen:\n            seen.append(w)\n    return len(seen)'),
    ok('O(n) set', '    return len(set(words))'),
    bad('length', '    return len(words)'),
  ]),
  py('running_max', 'running_max(xs: list[int]) -> list[int]', ['Largest value so far at each position.', '', '>>> running_max([1, 3, 2, 5])', '[1, 3, 3, 5]'], [
    bad('pairwise max', '    return [max(a, b) for a, b in zip(xs, xs[:1] + xs)]'),
    ok('O(n^2) max of each prefix', '    return [max(xs[: i + 1]) for i in range(len(xs))]'),
    ok('O(n) one pass', '    out = []\n    best = None\n    for x in xs:\n        best = x if best is None or x > best else best\n        out.append(best)\n    return out'),
  ]),
  py('is_sorted', 'is_sorted(xs: list[int]) -> bool', ['Whether xs is in ascending order.', '', '>>> is_sorted([1, 2, 2, 5])', 'True', '>>> is_sorted([2, 1])', 'False'], [
    ok('O(n log n) sort and compare', '    return sorted(xs) == xs'),
    ok('O(n) neighbours', '    return all(a <= b for a, b in zip(xs, xs[1:]))'),
    bad('ends only', '    return not xs or xs[0] <= xs[-1]'),
  ]),
];
