"""Exporters of AttentionGAN generators of both families: SavedModel (TF Serving), TFLite / LiteRT, TF.js, ONNX.

One endpoint builder (:func:`make_endpoints`) serves every artifact; a multi-domain generator's endpoints take
the optional ``labels`` input (:class:`LabelInput`).
"""

from attentiongan_tf.export.savedmodel import export_savedmodel, read_metadata
from attentiongan_tf.export.serving import Endpoint, LabelInput, make_endpoints, pad_reflect, translate_any_size

__all__ = [
    "Endpoint",
    "LabelInput",
    "export_savedmodel",
    "make_endpoints",
    "pad_reflect",
    "read_metadata",
    "translate_any_size",
]
