"""Turns source files into training sequences exactly the way the runtime builds prompts.

Prompt format (suffix-prefix-middle, so the prefix ends right before the middle):
    [<|file_sep|> path "\n" snippet "\n"]*   retrieved context from other files (optional)
    [<|file_sep|> path "\n"]                  the current file's path (optional)
    <|fim_suffix|> suffix <|fim_prefix|> prefix <|fim_middle|> middle <|endoftext|>
Prefix, suffix and middle are tokenized separately, split at character positions (often mid-word), so the
model learns to continue from whatever token boundary the cursor leaves. Context snippets are mostly the
definitions of names the middle uses (what the server's retrieval finds), so the model learns to copy from them.
"""
import random
import re


def chunk_document(text, target_chars):
    """Splits a file into chunks of about target_chars at line boundaries."""
    lines = text.splitlines(keepends=True)
    chunks, cur, size = [], [], 0
    for line in lines:
        cur.append(line)
        size += len(line)
        if size >= target_chars:
            chunks.append("".join(cur))
            cur, size = [], 0
    if cur:
        tail = "".join(cur)
        if chunks and len(tail) < target_chars // 4:
            chunks[-1] += tail
        else:
            chunks.append(tail)
    return chunks


def _line_starts(text):
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def choose_fim_split(text, rng):
    """Returns (cursor, end) character offsets, or None when the text has no usable line.

    Half of the middles end at a line end (rest-of-line completions), a quarter span several whole lines
    (block completions), a quarter end at a random character.
    """
    starts = _line_starts(text)
    candidates = [i for i in range(len(starts)) if text[starts[i]:starts[i + 1] if i + 1 < len(starts) else len(text)].strip()]
    if not candidates:
        return None
    li = rng.choice(candidates)
    line_start = starts[li]
    line_end = text.find("\n", line_start)
    if line_end < 0:
        line_end = len(text)
    line = text[line_start:line_end]
    indent = len(line) - len(line.lstrip())
    if rng.random() < 0.35:
        cursor = line_start + indent
    else:
        cursor = line_start + rng.randint(indent, len(line))
    r = rng.random()
    if r < 0.5:
        end = line_end
    elif r < 0.75:
        k = rng.randint(1, 8)
        target_line = min(li + k, len(starts) - 1)
        end = text.find("\n", starts[target_line])
        if end < 0:
            end = len(text)
        end = max(end, line_end)
    else:
        end = min(len(text), cursor + rng.randint(1, 256))
    return cursor, end


class SampleBuilder:
    """Plans sequences as lists of pieces: ints are token ids, strings are text to encode separately."""

    def __init__(self, special_ids, rng, fim_rate=0.5, path_rate=0.5, context_rate=0.25):
        self.sp = special_ids
        self.rng = rng
        self.fim_rate = fim_rate
        self.path_rate = path_rate
        self.context_rate = context_rate

    def header(self, path, context_snippets):
        pieces = []
        for cpath, snippet in context_snippets:
            pieces += [self.sp["file_sep"], ("context", f"{cpath}\n{snippet}\n")]
        if context_snippets or self.rng.random() < self.path_rate:
            pieces += [self.sp["file_sep"], ("path", f"{path}\n")]
        return pieces

    def plan(self, chunk, path, is_last_chunk, context):
        """Returns (pieces, kind) for one chunk; kind is 'fim' or 'plain'. `context`: snippets of other files,
        or a function of (prefix, middle, suffix) that picks them once the split is known."""
        use_context = self.rng.random() < self.context_rate
        if self.rng.random() < self.fim_rate:
            split = choose_fim_split(chunk, self.rng)
            if split is not None:
                cursor, end = split
                prefix, middle, suffix = chunk[:cursor], chunk[cursor:end], chunk[end:]
                snippets = (context(prefix, middle, suffix) if callable(context) else context) if use_context else []
                pieces = self.header(path, snippets)
                pieces += [self.sp["fim_suffix"], ("suffix", suffix), self.sp["fim_prefix"], ("prefix", prefix),
                           self.sp["fim_middle"], ("middle", middle), self.sp["eos"]]
                return pieces, "fim"
        pieces = self.header(path, []) + [("plain", chunk)]
        if is_last_chunk:
            pieces.append(self.sp["eos"])
        return pieces, "plain"


def assemble(pieces, max_len, max_middle=256):
    """Joins encoded pieces (ints, or (role, ids) pairs) into ids within max_len. The middle is capped first;
    then the prefix keeps its end (at least 3/4 of the room left) and the suffix its start."""
    fixed = sum(len(p[1]) if p[0] not in ("prefix", "suffix", "middle") else 0 for p in pieces if not isinstance(p, int))
    fixed += sum(1 for p in pieces if isinstance(p, int))
    parts = {p[0]: p[1] for p in pieces if not isinstance(p, int)}
    trimmed = {}
    if "middle" in parts:
        middle = parts["middle"][:max_middle]
        room = max(0, max_len - fixed - len(middle))
        pre, suf = parts["prefix"], parts["suffix"]
        keep_pre = min(len(pre), max(room * 3 // 4, room - len(suf)))
        keep_suf = min(len(suf), room - keep_pre)
        trimmed = {"prefix": pre[len(pre) - keep_pre:], "suffix": suf[:keep_suf], "middle": middle}
    out = []
    for p in pieces:
        if isinstance(p, int):
            out.append(p)
        else:
            out += trimmed.get(p[0], p[1])
    return out[:max_len]


def _random_slices(rng, files, count, max_chars):
    """`count` snippets (whole short files or slices at line boundaries) of distinct files."""
    snippets = []
    for path, text in rng.sample(files, min(len(files), count)):
        if len(text) > max_chars:
            start = text.rfind("\n", 0, rng.randint(0, len(text) - max_chars)) + 1
            text = text[start:start + max_chars]
            text = text[: text.rfind("\n") + 1] or text
        snippets.append((path, text))
    return snippets


IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]{2,}")
WORD_END = re.compile(r"[A-Za-z0-9_$]+$")
# A line that declares a name in Python or JS/TS: def/class/function/interface/type/enum/const/let/var, or a
# module-level Python assignment.
DEFINITION = re.compile(
    r"^[ \t]*(?:export[ \t]+)?(?:default[ \t]+)?(?:declare[ \t]+)?(?:abstract[ \t]+)?(?:async[ \t]+)?"
    r"(?:const[ \t]+enum|def|class|function\*?|interface|type|enum|const|let|var|namespace)[ \t]+([A-Za-z_$][A-Za-z0-9_$]*)"
    r"|^([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::[^=\n]+)?=[^=]",
    re.M,
)
# Words the assignment pattern can take for a name (`else: y = 2`) and that are never worth fetching.
KEYWORDS = frozenset(
    "and as assert async await break case catch class const continue debugger def default del delete do elif else "
    "enum except export extends finally for from function global if import in instanceof interface is lambda let "
    "match new nonlocal not null of or pass raise return self super switch this throw try type typeof undefined "
    "var void while with yield True False None true false".split()
)


def declared_names(text):
    """Names `text` itself declares (by the same patterns the index uses)."""
    return {m.group(1) or m.group(2) for m in DEFINITION.finditer(text)}


class DefinitionIndex:
    """Where each name is declared in a package's files, so a sample can carry the definitions its middle uses,
    as the server's retrieval would put them in the prompt."""

    def __init__(self, package_files):
        self.files = package_files
        self.where = {}
        self.asked = self.found = 0
        for index, (_, text) in enumerate(package_files):
            for m in DEFINITION.finditer(text):
                name = m.group(1) or m.group(2)
                if name not in KEYWORDS:
                    self.where.setdefault(name, []).append((index, m.start()))

    def snippets_for(self, rng, prefix, middle, suffix, exclude_path, max_snippets=3, max_chars=600):
        """1 to max_snippets snippets: definitions in other files of names the middle uses (a word the cursor
        cuts counts whole) and the visible code does not declare, at most two and last, where retrieval puts its
        best, the rarest names first; the rest random slices of other files as noise (only noise when no such
        definition exists)."""
        self.asked += 1
        cut = WORD_END.search(prefix)
        word_start = cut.group(0) if cut else ""
        visible = prefix[: len(prefix) - len(word_start)] + suffix
        known = declared_names(visible) | declared_names(middle) | KEYWORDS
        candidates = []
        for name in dict.fromkeys(IDENTIFIER.findall(word_start + middle)):
            if name in known:
                continue
            sites = [site for site in self.where.get(name, ()) if self.files[site[0]][0] != exclude_path]
            if sites:
                candidates.append((len(sites), rng.random(), rng.choice(sites)))
        candidates.sort()
        chosen, used_files = [], set()
        for _, _, (index, start) in candidates:
            if len(chosen) >= min(2, max_snippets):
                break
            if index not in used_files:
                used_files.add(index)
                chosen.append(_window(self.files[index], start, max_chars))
        self.found += bool(chosen)
        noise_count = rng.randint(0 if chosen else 1, max(0 if chosen else 1, max_snippets - len(chosen)))
        others = [f for i, f in enumerate(self.files) if i not in used_files and f[0] != exclude_path]
        return _random_slices(rng, others, noise_count, max_chars) + chosen[::-1]


def _window(file, start, max_chars):
    """The declaration at `start` and what follows it, cut at a line end within max_chars."""
    path, text = file
    line_start = text.rfind("\n", 0, start) + 1
    piece = text[line_start:line_start + max_chars]
    if line_start + max_chars < len(text):
        piece = piece[: piece.rfind("\n") + 1] or piece
    return path, piece
