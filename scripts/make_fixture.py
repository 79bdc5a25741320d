"""Builds the tiny random-weight test fixtures, deterministically:

    test/fixtures/tiny-llama/        2 layers, hidden 64, 4 heads, 2 KV heads (the target)
    test/fixtures/tiny-llama-draft/  1 layer, same tokenizer (for speculative decoding tests)
    models/default/{target,draft}    copies of the two, the embedded default until the trained pair lands

Each holds config.json, generation_config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx and
reference.json (PyTorch logits and a greedy continuation, so the Node tests check ORT against PyTorch).

The tokenizer is a byte-level BPE written by hand (Python `tokenizers` is not installed here): the 256 byte
symbols plus merges learned by a small BPE loop over this file's own source, plus Qwen2.5-Coder's special tokens.

    /usr/bin/python3 scripts/make_fixture.py
"""
import collections
import json
import os
import re
import shutil
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "training"))
from export_onnx import write_model_dir  # noqa: E402
from llama import Llama, LlamaConfig  # noqa: E402

NUM_MERGES = 400
SPECIALS = ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|file_sep|>"]
# Python's `re` has no \p{L}; this approximates the GPT-2 split for training only (encoding uses the real one).
TRAIN_SPLIT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")
REFERENCE_PROMPT = "def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n"


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode map (the ByteLevel alphabet)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def learn_merges(text, num_merges):
    byte_map = bytes_to_unicode()
    words = collections.Counter(tuple(byte_map[b] for b in w.encode("utf-8")) for w in TRAIN_SPLIT.findall(text))
    merges = []
    for _ in range(num_merges):
        pairs = collections.Counter()
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += count
        if not pairs:
            break
        # Ties broken by the pair itself so the result never depends on dict order.
        best, count = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        if count < 2:
            break
        merges.append(best)
        joined = best[0] + best[1]
        merged = collections.Counter()
        for word, c in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(joined)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += c
        words = merged
    return merges


def build_tokenizer(out_dir):
    """Writes tokenizer.json + tokenizer_config.json; returns (vocab size, special token ids by content)."""
    with open(os.path.abspath(__file__), encoding="utf-8") as f:
        corpus = f.read()
    byte_map = bytes_to_unicode()
    vocab = {byte_map[b]: b for b in range(256)}
    merges = learn_merges(corpus, NUM_MERGES)
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    specials = {s: len(vocab) + i for i, s in enumerate(SPECIALS)}
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True}
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for s, i in specials.items()],
        "normalizer": None,
        "pre_tokenizer": byte_level,
        "post_processor": byte_level,
        "decoder": byte_level,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [[a, b] for a, b in merges]},
    }
    config = {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": {str(i): {"content": s, "lstrip": False, "normalized": False, "rstrip": False,
                                          "single_word": False, "special": True} for s, i in specials.items()},
        "additional_special_tokens": SPECIALS[1:],
        "bos_token": None,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|endoftext|>",
        "errors": "replace",
        "model_max_length": 512,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False, indent=1)
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)
    return len(vocab) + len(specials), specials, vocab, merges


def encode_reference(text, vocab, merges):
    """Plain BPE over TRAIN_SPLIT words: good enough for an ASCII reference prompt (the test re-encodes in JS)."""
    byte_map = bytes_to_unicode()
    ranks = {m: i for i, m in enumerate(merges)}
    ids = []
    for w in TRAIN_SPLIT.findall(text):
        word = [byte_map[b] for b in w.encode("utf-8")]
        while len(word) > 1:
            pairs = [(ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(word, word[1:]))]
            rank, i = min(pairs)
            if rank == 1 << 30:
                break
            word = word[:i] + [word[i] + word[i + 1]] + word[i + 2:]
        ids += [vocab[t] for t in word]
    return ids


def build_model(name, layers, vocab_size, eos, seed, tokenizer_dir, out_dir, prompt_ids):
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=layers,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                      rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False,
                      bos_token_id=eos, eos_token_id=eos)
    model = Llama(cfg)
    # Wider than training init so random logits are peaked enough that greedy/top-k tests are meaningful.
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.normal_(0, 0.15)
    model.eval()
    files = {n: os.path.join(tokenizer_dir, n) for n in ("tokenizer.json", "tokenizer_config.json")}
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    write_model_dir(model, cfg, out_dir, files, extra_config={"name": name})
    with torch.no_grad():
        ids = torch.tensor([prompt_ids])
        last_logits = model(ids)[0, -1]
        greedy = []
        for _ in range(8):
            nxt = int(model(ids)[0, -1].argmax())
            greedy.append(nxt)
            ids = torch.cat([ids, torch.tensor([[nxt]])], dim=1)
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump({"prompt": REFERENCE_PROMPT, "promptIds": prompt_ids,
                   "lastLogits": [round(float(x), 6) for x in last_logits], "greedy": greedy}, f)


def main():
    fixtures = os.path.join(ROOT, "test", "fixtures")
    tok_dir = os.path.join(fixtures, ".tokenizer-build")
    vocab_size, specials, vocab, merges = build_tokenizer(tok_dir)
    eos = specials["<|endoftext|>"]
    prompt_ids = encode_reference(REFERENCE_PROMPT, vocab, merges)
    target = os.path.join(fixtures, "tiny-llama")
    draft = os.path.join(fixtures, "tiny-llama-draft")
    build_model("tiny-llama", 2, vocab_size, eos, 1234, tok_dir, target, prompt_ids)
    build_model("tiny-llama-draft", 1, vocab_size, eos, 4321, tok_dir, draft, prompt_ids)
    shutil.rmtree(tok_dir)
    default = os.path.join(ROOT, "models", "default")
    for src, name in ((target, "target"), (draft, "draft")):
        dst = os.path.join(default, name)
        if os.path.exists(dst):
            shutil.rmtree(dst)
        shutil.copytree(src, dst)
    for d in (target, draft):
        size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs)
        print(f"{os.path.relpath(d, ROOT)}: vocab {vocab_size}, {len(merges)} merges, {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
