#!/usr/bin/env bash
# Builds llama-server (CPU) from the llama.cpp source node-llama-cpp ships
# (node_modules/node-llama-cpp/llama/gitRelease.bundle), so the server backend is tested against
# the same llama.cpp the in-process backend runs. Cached under .cache/ (gitignored): a build
# whose marker names the bundle's commit is reused. Installs cmake, ninja and g++ from Debian
# when missing (CI runs as root). Prints the binary's path last.
set -euo pipefail
cd "$(dirname "$0")/../.."

BUNDLE=node_modules/node-llama-cpp/llama/gitRelease.bundle
SRC="${LLAMA_SRC:-.cache/llama.cpp-src}"
BUILD="${LLAMA_SERVER_BUILD:-.cache/llama-server}"
BIN="$BUILD/bin/llama-server"
log() { echo "llama-server-build: $*" >&2; }

[ -f "$BUNDLE" ] || { log "ERROR: $BUNDLE is missing; run npm install first"; exit 1; }
commit="$(git bundle list-heads "$BUNDLE" | head -1 | cut -d' ' -f1)"
# Built for this CPU (GGML_NATIVE): a cache that moved to a CPU with other instructions would die
# of SIGILL, so the CPU's flags are part of the marker and another CPU rebuilds.
cpu="$( (grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || uname -m) | md5sum | cut -c1-12)"
MARKER="$BUILD/.ok-$commit-$cpu"
if [ -x "$BIN" ] && [ -f "$MARKER" ]; then
  log "cached ($commit, CPU $cpu)"
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
started=$SECONDS
if [ "$(git -C "$SRC" rev-parse HEAD 2>/dev/null || true)" != "$commit" ]; then
  rm -rf "$SRC"
  git clone -q "$BUNDLE" "$SRC"
  git -C "$SRC" checkout -q "$commit"
fi
rm -rf "$BUILD"
cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF >/dev/null
ninja -C "$BUILD" -j"$(nproc)" llama-server >&2
rm -f "$BUILD"/.ok-*
touch "$MARKER"
log "built in $((SECONDS - started)) s"
echo "$BIN"
