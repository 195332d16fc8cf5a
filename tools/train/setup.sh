#!/usr/bin/env bash
# Training prerequisites on Debian bookworm: python3-torch (torch 1.13) and numpy for
# /usr/bin/python3 (python3.11; not a pyenv python), and OpenBLAS as the system BLAS.
# Debian's torch calls the generic libblas.so.3; with the reference BLAS a 4096x256x256
# matmul runs at ~3 GFLOP/s, with OpenBLAS at ~50 GFLOP/s on one core.
# Idempotent: installs only what is missing.
set -euo pipefail
PY=/usr/bin/python3
PKGS=(python3-torch python3-numpy libopenblas0-pthread)
missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then missing+=("$p"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "installing: ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
"$PY" - <<'PY'
import sys, torch, numpy
print(f"python {sys.version.split()[0]} ({sys.executable}), torch {torch.__version__}, numpy {numpy.__version__}")
PY
