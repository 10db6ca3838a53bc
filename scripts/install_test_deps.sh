#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine with Python 3.10+ (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
for step in scripts/install_deploy_deps.sh scripts/install_eval_deps.sh; do
  if [ -f "$step" ]; then bash "$step"; fi
done
