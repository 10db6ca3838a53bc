"""Running a generator from a checkpoint or any exported artifact: loading, runners, pixel helpers.

The public names load lazily (as in :mod:`attentiongan_tf`), so that importing one submodule stays light.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "KerasRunner": "runners",
    "PerImageRunner": "runners",
    "Runner": "runners",
    "open_runner": "runners",
    "ONNXRunner": "artifacts",
    "SavedModelRunner": "artifacts",
    "TFLiteRunner": "artifacts",
    "TFJSNodeRunner": "tfjs_node",
    "find_node_modules": "tfjs_node",
    "check_savedmodel_signature": "savedmodel_checks",
    "savedmodel_provenance": "savedmodel_checks",
    "resize_uint8": "pixels",
    "to_model_input": "pixels",
    "working_size": "pixels",
    "load_generator_any": "loading",
    "DomainTranslator": "domains",
    "label_vector": "domains",
    "target_vector": "domains",
    "Translation": "translation",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"attentiongan_tf.inference.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'attentiongan_tf.inference' has no attribute {name!r}")
