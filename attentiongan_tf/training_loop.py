"""Moved to :mod:`attentiongan_tf.training.loop`; this path still works and warns."""

from attentiongan_tf._moved import moved_module

__getattr__ = moved_module(__name__, "attentiongan_tf.training.loop")
