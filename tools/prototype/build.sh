#!/usr/bin/env bash
# Builds the fused-read prototype (bench:branch only, never shipped) against the static llama.cpp
# libraries of tools/llama-server/build.sh's tree, which it builds first if needed. Prints the
# binary's path last.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/llama-server/build.sh llama-batched-bench >/dev/null
B=.cache/llama-server
S=.cache/llama.cpp-src
OUT=.cache/prototype/fused-read
mkdir -p .cache/prototype
isa=()
flags="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)"
for f in avx2 fma f16c; do [[ " $flags " == *" $f "* ]] && isa+=("-m$f"); done
if [ ! -x "$OUT" ] || [ tools/prototype/fused-read.cpp -nt "$OUT" ] || [ tools/prototype/fused-sweep.cpp -nt "$OUT" ]; then
  g++ -O3 "${isa[@]}" -std=c++17 -I"$S/include" -I"$S/ggml/include" -c tools/prototype/fused-read.cpp -o .cache/prototype/fused-read.o
  # fast-math for the sweep alone, so Σ exp vectorises; today's reads keep the addon's scalar expf.
  g++ -O3 "${isa[@]}" -ffast-math -std=c++17 -c tools/prototype/fused-sweep.cpp -o .cache/prototype/fused-sweep.o
  g++ .cache/prototype/fused-read.o .cache/prototype/fused-sweep.o "$B/src/libllama.a" "$B/ggml/src/libggml.a" "$B/ggml/src/libggml-cpu.a" \
    "$B/ggml/src/libggml-base.a" -lpthread -lgomp -lm -o "$OUT"
fi
echo "$OUT"
