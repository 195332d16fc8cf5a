#!/usr/bin/env bash
# Renders media/icon.png (the Marketplace icon, 128x128) from tools/icon/icon.svg with headless Chromium.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../media/icon.png"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --default-background-color=00000000 \
  --window-size=128,128 --screenshot="$out" "file://$here/icon.svg" >/dev/null 2>&1
file "$out"
