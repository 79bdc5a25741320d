#!/usr/bin/env bash
# Builds llama.cpp's llama-quantize (and llama-bench) from the source node-llama-cpp ships, once, CPU only,
# into .locus-cache/llama.cpp/build; prints the llama-quantize path. About 10 minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(${PYTHON:-/usr/bin/python3} "$here/llama_cpp_source.py")"
bin="$src/build/bin/llama-quantize"
if [ ! -x "$bin" ]; then
  jobs="${JOBS:-$(nproc)}"
  cmake -S "$src" -B "$src/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TOOLS=ON \
    -DBUILD_SHARED_LIBS=OFF >"$src/build-cmake.log" 2>&1 || { tail -30 "$src/build-cmake.log" >&2; exit 1; }
  cmake --build "$src/build" --target llama-quantize llama-bench -j "$jobs" >"$src/build.log" 2>&1 \
    || { tail -30 "$src/build.log" >&2; exit 1; }
fi
echo "$bin"
