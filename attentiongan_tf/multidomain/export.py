"""Deprecated: both families export through :func:`attentiongan_tf.export.savedmodel.export_savedmodel`, whose
endpoints (:func:`attentiongan_tf.export.serving.make_endpoints`) take the ``labels`` input of a multi-domain
generator. These names still work and warn."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence

import keras

from attentiongan_tf.export.savedmodel import export_savedmodel
from attentiongan_tf.export.serving import Endpoint, make_endpoints


def _warn(old: str, new: str) -> None:
    warnings.warn(f"attentiongan_tf.multidomain.export.{old} is deprecated; use {new}", DeprecationWarning, 3)


def make_multidomain_endpoints(model: keras.Model) -> dict[str, Endpoint]:
    """Deprecated alias of :func:`attentiongan_tf.export.serving.make_endpoints`."""
    _warn("make_multidomain_endpoints", "attentiongan_tf.export.serving.make_endpoints")
    return make_endpoints(model)


def export_multidomain_savedmodel(
    model: keras.Model,
    output: str | os.PathLike,
    domains: Sequence[str] | None = None,
    name: str = "attentiongan_multidomain",
    version: int = 1,
    overwrite: bool = False,
) -> dict:
    """Deprecated: :func:`attentiongan_tf.export.savedmodel.export_savedmodel` with ``domains``.

    Raises:
        ValueError: ``model`` is not a multi-domain generator.
    """
    _warn("export_multidomain_savedmodel", "attentiongan_tf.export.savedmodel.export_savedmodel")
    if not hasattr(model, "n_domains"):
        raise ValueError(f"{type(model).__name__} is not a multi-domain generator (it has no n_domains)")
    return export_savedmodel(model, output, name, version, overwrite, domains=domains)
