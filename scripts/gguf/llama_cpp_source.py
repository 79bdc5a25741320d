"""Locates llama.cpp's source without the internet: node-llama-cpp ships it as a git bundle
(node_modules/node-llama-cpp/llama/gitRelease.bundle). `ensure_source()` clones it once into the git-ignored
.locus-cache/llama.cpp and returns that path (convert_hf_to_gguf.py, conversion/, gguf-py/, models/ggml-vocab-*.gguf).
"""
import os
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUNDLE = os.path.join(REPO, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle")
DEFAULT_DEST = os.path.join(REPO, ".locus-cache", "llama.cpp")


def ensure_source(dest=None):
    dest = dest or os.environ.get("LOCUS_LLAMA_CPP_DIR") or DEFAULT_DEST
    if os.path.isfile(os.path.join(dest, "convert_hf_to_gguf.py")):
        return dest
    if not os.path.isfile(BUNDLE):
        sys.exit(f"{BUNDLE} is missing: run `npm install` (node-llama-cpp is a devDependency)")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    subprocess.run(["git", "-c", "advice.detachedHead=false", "clone", "-q", BUNDLE, dest], check=True)
    return dest


if __name__ == "__main__":
    print(ensure_source(sys.argv[1] if len(sys.argv) > 1 else None))
