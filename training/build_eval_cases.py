"""Builds the fill-in-the-middle evaluation set from held-out packages (never seen in training).

Two kinds of case, for Python and for TypeScript/JavaScript:
- single: the cursor sits inside a line (after its indentation or mid-line); the answer is the rest of the line.
- multi: the cursor sits at the start of the first body line after a line that opens a block; the answer is the
  rest of the block (up to 8 lines), ending where the indentation returns to the opener's level.

    /usr/bin/python3 training/build_eval_cases.py training/data/heldout.jsonl.xz bench/data/fim-cases.jsonl
"""
import hashlib
import json
import lzma
import random
import sys

PER_GROUP = 150
PREFIX_CHARS = 4000
SUFFIX_CHARS = 1500


def indent_of(line):
    return len(line) - len(line.lstrip(" \t"))


def opens_block(line, lang):
    s = line.rstrip()
    if lang == "py":
        return s.endswith(":") and not s.lstrip().startswith("#")
    return s.endswith("{") or s.endswith("=>")


def interesting(text):
    """Skips answers a user would not wait for: blank, lone punctuation, comments only."""
    t = text.strip()
    if len(t) < 3 or not any(c.isalnum() for c in t):
        return False
    return not t.startswith(("#", "//", "*", "/*"))


def split_lines(text):
    """The text's lines (without newlines) and each line's starting offset."""
    lines = text.split("\n")
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    return lines, offsets


def single_cases(doc, rng, n):
    text = doc["text"]
    lines, offsets = split_lines(text)
    out = []
    order = list(range(len(lines)))
    rng.shuffle(order)
    for li in order:
        line = lines[li]
        ind = indent_of(line)
        if len(line) - ind < 8 or len(line) > 200:
            continue
        col = ind if rng.random() < 0.3 else rng.randint(ind + 1, len(line) - 3)
        answer = line[col:].rstrip()
        if not interesting(answer):
            continue
        cursor = offsets[li] + col
        end = offsets[li] + len(line)
        out.append(("single", cursor, end, answer))
        if len(out) >= n:
            break
    return out


def multi_cases(doc, rng, n):
    text = doc["text"]
    lines, offsets = split_lines(text)
    out = []
    order = list(range(len(lines) - 1))
    rng.shuffle(order)
    for li in order:
        if not opens_block(lines[li], doc["lang"]):
            continue
        base = indent_of(lines[li])
        body_start = li + 1
        if body_start >= len(lines) or not lines[body_start].strip() or indent_of(lines[body_start]) <= base:
            continue
        body = []
        for lj in range(body_start, min(len(lines), body_start + 8)):
            if lines[lj].strip() and indent_of(lines[lj]) <= base:
                break
            body.append(lines[lj])
        while body and not body[-1].strip():
            body.pop()
        if len(body) < 2:
            continue
        col = indent_of(lines[body_start])
        cursor = offsets[body_start] + col
        end = offsets[body_start + len(body) - 1] + len(lines[body_start + len(body) - 1])
        answer = text[cursor:end]
        if not interesting(answer):
            continue
        out.append(("multi", cursor, end, answer))
        if len(out) >= n:
            break
    return out


def main():
    src, dst = sys.argv[1], sys.argv[2]
    docs = []
    with lzma.open(src, "rt", encoding="utf-8") as f:
        for line in f:
            docs.append(json.loads(line))
    docs.sort(key=lambda d: (d["package"], d["path"]))
    rng = random.Random(1234)
    rng.shuffle(docs)
    groups = {("py", "single"): [], ("py", "multi"): [], ("ts", "single"): [], ("ts", "multi"): []}
    per_package = {}
    for doc in docs:
        lang = "py" if doc["lang"] == "py" else "ts"
        if doc["path"].endswith(".d.ts"):
            continue
        for kind, fn in (("single", single_cases), ("multi", multi_cases)):
            key = (lang, kind)
            if len(groups[key]) >= PER_GROUP:
                continue
            # Spread cases over packages: at most 20 per package and kind.
            pk = (doc["package"], lang, kind)
            if per_package.get(pk, 0) >= 20:
                continue
            for k, cursor, end, answer in fn(doc, rng, 1):
                text = doc["text"]
                case = {
                    "lang": doc["lang"], "kind": k, "package": doc["package"], "path": doc["path"],
                    "prefix": text[max(0, cursor - PREFIX_CHARS):cursor],
                    "suffix": text[end:end + SUFFIX_CHARS],
                    "answer": answer,
                }
                case["id"] = hashlib.sha1(json.dumps(case, sort_keys=True).encode()).hexdigest()[:12]
                groups[key].append(case)
                per_package[pk] = per_package.get(pk, 0) + 1
    with open(dst, "w") as f:
        for key in sorted(groups):
            for case in groups[key]:
                f.write(json.dumps(case) + "\n")
    print({f"{k[0]}-{k[1]}": len(v) for k, v in groups.items()})


if __name__ == "__main__":
    main()
