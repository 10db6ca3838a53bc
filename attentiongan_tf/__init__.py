"""AttentionGAN in TensorFlow / Keras 3 (Tang et al., arXiv 1911.11897).

The public names load lazily, so that ``attentiongan_tf.cli.env`` can prepare the process (quiet start)
before anything imports TensorFlow.
"""

from __future__ import annotations

import importlib

from attentiongan_tf import _moved

__version__ = "0.1.0"

_EXPORTS = {
    "AttentionGANGenerator": "models.generators",
    "AttentionGuidedDiscriminator": "models.discriminators",
    "CycleGANGenerator": "models.generators",
    "PatchGANDiscriminator": "models.discriminators",
    "SchemeIGenerator": "models.generators",
    "build_discriminator": "models.discriminators",
    "build_generator": "models.generators",
}

__all__ = sorted(_EXPORTS)

_moved.install()  # the flat 0.1 module paths (attentiongan_tf.config, ...) still import, with a warning


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"attentiongan_tf.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'attentiongan_tf' has no attribute {name!r}")
