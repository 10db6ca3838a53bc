"""Checks on a SavedModel before it is loaded: does its signature fit, and was it written by export.py?"""

from __future__ import annotations

import json
import os
from pathlib import Path

from attentiongan_tf.export.savedmodel import METADATA_FILE, PRODUCER
from attentiongan_tf.export.serving import FLOAT_SIGNATURE, LABELS_INPUT, OUTPUT_KEYS


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


def check_savedmodel_signature(path: str | os.PathLike) -> int | None:
    """Check, from ``saved_model.pb`` and before loading anything, that ``translate_float`` fits the runners.

    Returns:
        the label size of a multi-domain export (its signature also takes ``labels`` (B, n_domains)), else None.

    Raises:
        ValueError: naming ``path`` when the signature is missing, takes other inputs than ``images`` (and
            ``labels``), has a label input of unknown size or lacks the ``image``/``attention``/``content``
            outputs.
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
    signature = signatures[FLOAT_SIGNATURE]
    inputs, outputs = set(signature.inputs), set(signature.outputs)
    if inputs - {LABELS_INPUT} != {"images"} or not set(OUTPUT_KEYS) <= outputs:
        raise ValueError(
            f"{path}: signature {FLOAT_SIGNATURE!r} takes {sorted(inputs)} and returns {sorted(outputs)}; "
            f"expected images (and {LABELS_INPUT}) -> {', '.join(OUTPUT_KEYS)}"
        )
    if LABELS_INPUT not in inputs:
        return None
    dims = [dim.size for dim in signature.inputs[LABELS_INPUT].tensor_shape.dim]
    if len(dims) != 2 or dims[1] < 1:
        raise ValueError(f"{path}: the {LABELS_INPUT} input of {FLOAT_SIGNATURE!r} has shape {dims}, not (B, n)")
    return dims[1]
