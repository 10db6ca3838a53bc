"""Checks on a SavedModel before it is loaded: does its signature fit, and was it written by export.py?"""

from __future__ import annotations

import json
import os
from pathlib import Path

from attentiongan_tf.export.savedmodel import METADATA_FILE, PRODUCER
from attentiongan_tf.export.serving import FLOAT_SIGNATURE

OUTPUT_KEYS = ("image", "attention", "content")


def savedmodel_provenance(path: str | os.PathLike) -> str | None:
    """None when the SavedModel at ``path`` carries export.py's marker, else a one-line warning to show.

    The marker (``assets.extra/attentiongan_export.json``, ``producer``) only tells our exports from others:
    it can be copied, so it does not make a SavedModel from an untrusted source safe.
    """
    file = Path(path) / "assets.extra" / METADATA_FILE
    try:
        marker = json.loads(file.read_text()).get("producer") if file.is_file() else None
    except (OSError, ValueError, AttributeError):  # unreadable or malformed: no marker
        marker = None
    if isinstance(marker, dict) and marker.get("package") == PRODUCER:
        return None
    return (
        f"{path} was not written by attentiongan_tf (no export marker in assets.extra/{METADATA_FILE}); a "
        "SavedModel runs its own graph ops (they can read and write files): load only SavedModels you trust"
    )


def check_savedmodel_signature(path: str | os.PathLike) -> None:
    """Check, from ``saved_model.pb`` and before loading anything, that ``translate_float`` fits this runner.

    Raises ``ValueError`` naming ``path`` when the signature is missing, takes other inputs than ``images``
    (a multi-domain export also takes ``labels``) or lacks the ``image``/``attention``/``content`` outputs.
    """
    from google.protobuf.message import DecodeError
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    try:
        proto.ParseFromString((Path(path) / "saved_model.pb").read_bytes())
    except (OSError, DecodeError) as error:
        raise ValueError(f"{path}/saved_model.pb is not a readable SavedModel: {error}") from None
    signatures = {name: sig for graph in proto.meta_graphs for name, sig in graph.signature_def.items()}
    if FLOAT_SIGNATURE not in signatures:
        raise ValueError(
            f"{path} has no {FLOAT_SIGNATURE!r} signature (it has {sorted(signatures)}); "
            "translate.py runs SavedModels written by export.py"
        )
    inputs, outputs = set(signatures[FLOAT_SIGNATURE].inputs), set(signatures[FLOAT_SIGNATURE].outputs)
    if "labels" in inputs:
        raise ValueError(
            f"{path} is a multi-domain SavedModel ({FLOAT_SIGNATURE} also takes labels): serve it with TF Serving, "
            "or translate from its training run with --target-domain"
        )
    if inputs != {"images"} or not set(OUTPUT_KEYS) <= outputs:
        raise ValueError(
            f"{path}: signature {FLOAT_SIGNATURE!r} takes {sorted(inputs)} and returns {sorted(outputs)}; "
            f"expected images -> {', '.join(OUTPUT_KEYS)}"
        )
