"""Runs llama.cpp's convert_hf_to_gguf.py (from the source node-llama-cpp ships) on a Hugging Face model folder,
offline, with torch 1.13 and without the `transformers` package. No file in llama.cpp is edited; this wrapper
patches four things in memory before handing over to the converter's own main():

1. `transformers` is not installable here. conversion/base.py imports `AutoConfig` (it falls back to reading
   config.json when that fails) and the GPT-2-style vocab path loads `AutoTokenizer`. A stub module stands in, and
   `TextModel.get_vocab_base` is replaced by a reader of tokenizer.json (vocab, added tokens, special flags) that
   builds the same (tokens, token types, pre-tokenizer) triple. Merges are read by gguf-py's SpecialVocab as usual.
2. The pre-tokenizer is chosen from tokenizer.json itself instead of the hash table in get_vocab_base_pre (which
   needs AutoTokenizer and rejects custom BPEs, ../shared/research/runtime.md section 7.2): Qwen2's Split regex ->
   "qwen2", ByteLevel(use_regex=True) -> "gpt-2"; anything else stops with an error unless --pre names one.
3. `sentencepiece` is not installed either; Qwen2/Llama's set_vocab imports it before looking for tokenizer.model,
   so a stub module lets that path fail with FileNotFoundError and fall through to the GPT-2-style vocab as intended.
   `tqdm` (gguf-py's progress bar) likewise gets a silent stand-in when missing.
4. torch 1.13 lacks the float8 dtypes that conversion/base.py names in class-level tables; placeholders are set
   (no float8 tensor is ever read from our checkpoints).

    /usr/bin/python3 scripts/gguf/convert_hf_to_gguf_offline.py <model dir> --outtype f16 --outfile <file.gguf>
"""
import json
import os
import runpy
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_cpp_source import ensure_source  # noqa: E402

QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
               r"|\s+(?!\S)|\s+")


def pre_tokenizer_name(tokenizer_json):
    """llama.cpp's name for the pre-tokenizer in tokenizer.json, or None when it is not one we can vouch for."""
    pre = tokenizer_json.get("pre_tokenizer") or {}
    parts = pre.get("pretokenizers", [pre]) if pre.get("type") == "Sequence" else [pre]
    kinds = [p.get("type") for p in parts]
    if kinds == ["Split", "ByteLevel"] and parts[0].get("pattern", {}).get("Regex") == QWEN2_SPLIT \
            and not parts[1].get("use_regex", True):
        return "qwen2"
    if kinds == ["ByteLevel"] and parts[0].get("use_regex", True):
        return "gpt-2"
    return None


def install_patches(forced_pre):
    import torch

    for name in ("float8_e4m3fn", "float8_e5m2"):
        if not hasattr(torch, name):
            setattr(torch, name, torch.uint8)

    stub = types.ModuleType("transformers")

    class _Unavailable:
        @classmethod
        def from_pretrained(cls, *args, **kwargs):
            raise RuntimeError("transformers is not installed (offline wrapper)")

    stub.AutoConfig = stub.AutoTokenizer = _Unavailable
    stub.__getattr__ = lambda name: _Unavailable  # any other `from transformers import X`
    sys.modules["transformers"] = stub
    try:
        import sentencepiece  # noqa: F401
    except ImportError:
        sp = types.ModuleType("sentencepiece")

        class SentencePieceProcessor:
            def __init__(self, *args, **kwargs):
                raise RuntimeError("sentencepiece is not installed (offline wrapper)")

        sp.SentencePieceProcessor = SentencePieceProcessor
        sys.modules["sentencepiece"] = sp
    try:
        import tqdm  # noqa: F401
    except ImportError:
        tq = types.ModuleType("tqdm")

        class _Bar:
            def __init__(self, *args, **kwargs):
                pass

            def __getattr__(self, name):
                return lambda *args, **kwargs: None

        tq.tqdm = _Bar
        sys.modules["tqdm"] = tq

    import gguf
    import conversion.base as base

    def get_vocab_base(self):
        with open(self.dir_model / "tokenizer.json", encoding="utf-8") as f:
            tj = json.load(f)
        vocab = dict(tj["model"]["vocab"])
        added = {a["content"]: a for a in tj.get("added_tokens", [])}
        for content, a in added.items():
            vocab[content] = a["id"]
        vocab_size = self.hparams.get("vocab_size", len(vocab))
        assert max(vocab.values()) < vocab_size
        tokpre = forced_pre or pre_tokenizer_name(tj)
        if tokpre is None:
            raise NotImplementedError(f"pre-tokenizer of {self.dir_model}/tokenizer.json is neither Qwen2's nor GPT-2's: "
                                      "pass --pre <llama.cpp name> after checking that its regex matches")
        reverse = {i: t for t, i in vocab.items()}
        tokens, toktypes = [], []
        for i in range(vocab_size):
            if i not in reverse:
                tokens.append(f"[PAD{i}]")
                toktypes.append(gguf.TokenType.UNUSED)
                continue
            token = reverse[i]
            if token in added:
                special = added[token].get("special", False) or self.does_token_look_special(token)
                toktypes.append(gguf.TokenType.CONTROL if special else gguf.TokenType.USER_DEFINED)
            else:
                toktypes.append(gguf.TokenType.NORMAL)
            tokens.append(token)
        return tokens, toktypes, tokpre

    base.TextModel.get_vocab_base = get_vocab_base


def main():
    argv = sys.argv[1:]
    forced_pre = None
    if "--pre" in argv:
        i = argv.index("--pre")
        forced_pre = argv[i + 1]
        del argv[i:i + 2]
    src = ensure_source()
    sys.path[:0] = [src, os.path.join(src, "gguf-py")]
    install_patches(forced_pre)
    sys.argv = [os.path.join(src, "convert_hf_to_gguf.py"), *argv]
    runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
