#!/usr/bin/env bash
# Install what the export / deploy tests need beyond pip: Debian chromium (headless browser test of web/)
# and the pinned npm packages of package.json (TF.js, its wasm backend, playwright-core). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
  else
    echo "chromium is missing and apt-get is unavailable: install Chromium and make 'chromium' available on PATH" >&2
    exit 1
  fi
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "npm (Node.js >= 18) is required: install Node.js first" >&2
  exit 1
fi
# npm ci installs exactly package-lock.json; skip it when node_modules was installed after the last lock change.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
echo "deploy dependencies ready: $(chromium --version 2>/dev/null | head -1), node $(node --version)"
