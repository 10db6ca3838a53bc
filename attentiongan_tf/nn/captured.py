"""Tensors made once, outside any graph, which every traced function captures instead of holding its own copy."""

from __future__ import annotations

import functools
from collections.abc import Callable

import tensorflow as tf


def made_once(build: Callable[..., tf.Tensor]) -> Callable[..., tf.Tensor]:
    """Decorate ``build`` (hashable arguments) to run once per arguments, outside any graph (``tf.init_scope``).

    Every later call returns the same eager tensor, which a traced function captures once however many calls use
    it: one graph input instead of a constant per call (a graph op costs memory however small its tensor,
    docs/performance_log.md). TensorFlow still inlines captured tensors of up to 128 elements as constants.

    Example:
        >>> ones = made_once(lambda n: tf.ones([n]))
        >>> ones(200) is ones(200)
        True
    """

    @functools.lru_cache(maxsize=64)
    @functools.wraps(build)
    def made(*args):
        with tf.init_scope():
            return build(*args)

    return made
