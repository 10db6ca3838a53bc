"""Exporters of AttentionGAN generators: SavedModel (TF Serving), TFLite / LiteRT and TF.js."""

from attentiongan_tf.export.savedmodel import export_savedmodel, read_metadata
from attentiongan_tf.export.serving import make_endpoints, pad_reflect, translate_any_size

__all__ = ["export_savedmodel", "make_endpoints", "pad_reflect", "read_metadata", "translate_any_size"]
