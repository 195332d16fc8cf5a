#!/usr/bin/env bash
# Builds llama-server (CPU) from the llama.cpp source node-llama-cpp ships
# (node_modules/node-llama-cpp/llama/gitRelease.bundle), so the server backend is tested against
# the same llama.cpp the in-process backend runs. Cached under .cache/ (gitignored): a build
# whose marker names the bundle's commit is reused. Installs cmake, ninja and g++ from Debian
# when missing (CI runs as root). Prints the binary's path last.
#
#   bash tools/llama-server/build.sh [TARGET]   (default llama-server; bench:branch asks for
#                                                llama-batched-bench, built in the same tree)
set -euo pipefail
cd "$(dirname "$0")/../.."

BUNDLE=node_modules/node-llama-cpp/llama/gitRelease.bundle
SRC="${LLAMA_SRC:-.cache/llama.cpp-src}"
BUILD="${LLAMA_SERVER_BUILD:-.cache/llama-server}"
TARGET="${1:-llama-server}"
BIN="$BUILD/bin/$TARGET"
log() { echo "llama-server-build: $*" >&2; }

[ -f "$BUNDLE" ] || { log "ERROR: $BUNDLE is missing; run npm install first"; exit 1; }
commit="$(git bundle list-heads "$BUNDLE" | head -1 | cut -d' ' -f1)"
# Not GGML_NATIVE: on this project's VMs the CPU lists AVX-512 extensions that its quantized
# kernels then die on (SIGILL, general protection faults on Q8_0 models), while node-llama-cpp's
# prebuilt CPU binary runs. AVX2/FMA/F16C where the CPU has them, as that binary's common variant.
isa=()
flags="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)"
for f in avx avx2 fma f16c bmi2; do
  if [[ " $flags " == *" $f "* ]]; then isa+=("-DGGML_${f^^}=ON"); else isa+=("-DGGML_${f^^}=OFF"); fi
done
# The marker names the llama.cpp commit and the build's options: a cache that moved to a CPU with
# other instruction sets, or older options, rebuilds.
config=(-DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_CURL=OFF
  -DLLAMA_OPENSSL=OFF -DGGML_NATIVE=OFF "${isa[@]}" -DBUILD_SHARED_LIBS=OFF)
options="$(echo "${config[*]}" | md5sum | cut -c1-12)"
# The configured tree is kept while its commit and options hold; each target has its own marker.
CONFIGURED="$BUILD/.configured-$commit-$options"
MARKER="$BUILD/.ok-$TARGET-$commit-$options"
if [ -x "$BIN" ] && [ -f "$MARKER" ]; then
  log "cached ($commit, options $options)"
  echo "$BIN"
  exit 0
fi

need=()
command -v cmake >/dev/null || need+=(cmake)
command -v ninja >/dev/null || need+=(ninja-build)
command -v g++ >/dev/null || need+=(g++)
command -v git >/dev/null || need+=(git)
if ((${#need[@]})); then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  log "apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# Two builds at once (CI and a developer) would write the same files.
mkdir -p .cache
exec 9>.cache/llama-server.lock
flock 9
# Another build may have finished while this one waited for the lock.
if [ -x "$BIN" ] && [ -f "$MARKER" ]; then
  log "built meanwhile ($commit, options $options)"
  echo "$BIN"
  exit 0
fi
started=$SECONDS
if [ "$(git -C "$SRC" rev-parse HEAD 2>/dev/null || true)" != "$commit" ]; then
  rm -rf "$SRC"
  git clone -q "$BUNDLE" "$SRC"
  git -C "$SRC" checkout -q "$commit"
fi
if [ ! -f "$CONFIGURED" ]; then
  rm -rf "$BUILD"
  cmake -S "$SRC" -B "$BUILD" -G Ninja "${config[@]}" >/dev/null
  touch "$CONFIGURED"
fi
ninja -C "$BUILD" -j"$(nproc)" "$TARGET" >&2
touch "$MARKER"
log "built in $((SECONDS - started)) s"
echo "$BIN"
