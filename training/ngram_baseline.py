"""A plain n-gram baseline for the FIM evaluation: a lexical-token 4-gram model with stupid backoff,
trained on a sample of the training split, that completes greedily from the prefix (it cannot use the
suffix). Its exact match and edit similarity sit beside the neural models' in the model card.

    /usr/bin/python3 training/ngram_baseline.py training/data/train.jsonl.xz bench/data/fim-cases.jsonl out.json
"""
import gzip
import json
import lzma
import re
import sys
from collections import Counter, defaultdict

TOKEN = re.compile(r"\n|[ \t]+|[A-Za-z_][A-Za-z0-9_]*|\d+|\S")
ORDER = 4
SAMPLE_CHARS = 40_000_000


def normalize(text):
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def levenshtein(a, b):
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def edit_similarity(pred, answer):
    p, a = normalize(pred), normalize(answer)
    return 1.0 - levenshtein(p, a) / max(len(p), len(a), 1)


class NGram:
    def __init__(self):
        self.tables = [defaultdict(Counter) for _ in range(ORDER)]

    def train(self, text):
        toks = TOKEN.findall(text)
        for i in range(len(toks)):
            for n in range(ORDER):
                if i - n < 0:
                    break
                self.tables[n][tuple(toks[i - n:i])][toks[i]] += 1

    def prune(self):
        # Keep the most frequent continuation only: greedy decoding needs nothing else, and memory stays small.
        for table in self.tables:
            for ctx in list(table):
                table[ctx] = table[ctx].most_common(1)[0][0]

    def next(self, history):
        for n in range(ORDER - 1, -1, -1):
            ctx = tuple(history[len(history) - n:]) if n else ()
            if len(ctx) == n and ctx in self.tables[n]:
                return self.tables[n][ctx]
        return "\n"

    def complete(self, prefix, multi, max_tokens=64):
        history = TOKEN.findall(prefix[-400:])
        out = []
        lines = 0
        for _ in range(max_tokens):
            t = self.next(history)
            if t == "\n":
                lines += 1
                if not multi or lines >= 8:
                    break
            out.append(t)
            history.append(t)
        return "".join(out)


def main():
    train_path, cases_path, out_path = sys.argv[1:4]
    model = NGram()
    size = 0
    opener = gzip.open if train_path.endswith(".gz") else lzma.open
    with opener(train_path, "rt", encoding="utf-8") as f:
        for line in f:
            text = json.loads(line)["text"]
            model.train(text)
            size += len(text)
            if size >= SAMPLE_CHARS:
                break
    model.prune()
    cases = [json.loads(line) for line in open(cases_path)]
    groups = defaultdict(lambda: {"n": 0, "em": 0, "es": 0.0})
    for case in cases:
        pred = model.complete(case["prefix"], case["kind"] == "multi")
        lang = "py" if case["lang"] == "py" else "ts/js"
        for key in (f"{lang} {case['kind']}", case["kind"], "all"):
            g = groups[key]
            g["n"] += 1
            g["em"] += normalize(pred) == normalize(case["answer"])
            g["es"] += edit_similarity(pred, case["answer"])
    result = {k: {"cases": g["n"], "exact_match": round(g["em"] / g["n"], 4),
                  "edit_similarity": round(g["es"] / g["n"], 4)} for k, g in sorted(groups.items())}
    result["trained_on_chars"] = size
    with open(out_path, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
