"""The deploy form of a generator: how every exporter traces it (same weights, same numbers, faster runtimes).

Each switch changes how some layers compute while the ``with`` block lasts and restores them afterwards; none is
part of a layer's config, so checkpoints and ``.keras`` files never see them (docs/models.md has the table):

- transposed convs as sub-pixel phase convolutions interleaved by concat + reshape (XNNPACK has no run-time
  shaped TRANSPOSE_CONV, TF.js wasm no fast ``Conv2DBackpropInput`` and a per-element ``DepthToSpace``);
- the attention fusion as two constant 1×1 convolutions (TF.js wasm slices channels per element);
- the content head's ``tanh`` as ``2·sigmoid(2x) − 1`` (TF.js wasm computes ``Tanh`` per element);
- reflection pads as slices where asked (``reflection="slices"``: XNNPACK has no MIRROR_PAD);
- instance-norm means as full-size average pools (``normalization="pool"``, static H and W only) or as matrix
  products with a column of 1/(H·W) (``"matmul"``, any size) where asked: TF.js wasm transposes NHWC for every ``Mean``
  over H and W;
- the ResNet blocks' 3×3 convolutions as direct convolutions (``conv_algorithm="direct"``), whatever a trainer
  set, or as Winograd F(4×4, 3×3) in rank-4 ops with the weights frozen as constants (``"winograd"``: the
  ``float32_winograd`` TFLite variant; the training form needs 5- and 6-D slices that TFLite has no builtin for).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import keras

from attentiongan_tf.models.fusion import deploy_fusion
from attentiongan_tf.nn.blocks import deploy_tanh
from attentiongan_tf.nn.conv_transpose import deploy_implementation
from attentiongan_tf.nn.layers import deploy_normalization, deploy_reflection
from attentiongan_tf.nn.resnet_block import deploy_convolutions


@contextlib.contextmanager
def deploy_graph(
    model: keras.Layer, reflection: str = "pad", normalization: str = "reduce", conv_algorithm: str = "direct"
) -> Iterator[None]:
    """Trace ``model`` inside this block to get its deploy graph (see the module docstring).

    Args:
        model: a generator of either family.
        reflection: ``"pad"`` (``MirrorPad``) or ``"slices"``.
        normalization: ``"reduce"`` (``Mean``), ``"pool"`` (average pools where H and W are static) or
            ``"matmul"`` (matrix products).
        conv_algorithm: ``"direct"`` or ``"winograd"`` (weights frozen into the graph as constants).

    Example:
        >>> with deploy_graph(generator, reflection="slices"):  # doctest: +SKIP
        ...     concrete = tf.function(generator).get_concrete_function(tf.TensorSpec([1, 256, 256, 3]))
    """
    with (
        deploy_implementation(model, "phases"),
        deploy_fusion(model, "conv"),
        deploy_tanh(model, "sigmoid"),
        deploy_reflection(model, reflection),
        deploy_normalization(model, normalization),
        deploy_convolutions(model, conv_algorithm),
    ):
        yield
