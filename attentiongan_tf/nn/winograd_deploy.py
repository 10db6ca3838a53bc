"""Winograd F(4×4, 3×3) for deployment: the ResNet blocks' 3×3 convolutions of an exported graph, in ops of rank
4 or less with the weights frozen as transformed constants (TFLite builtins that XNNPACK delegates).

The training form (:mod:`attentiongan_tf.nn.winograd`) gathers tiles with 5- and 6-D slices that TFLite has no
builtin for. Here each step is an op that XNNPACK runs fast:

- input transform: every channel becomes an image of its own (``[batch · in, H, W, 1]``), and one ``CONV_2D`` with
  a 6×6 kernel at stride 4 and 36 outputs computes ``B^T d B`` of every tile (the 36 output channels are the
  kernels ``outer(B[:, a], B[:, b])``);
- the 36 tile positions are one ``BATCH_MATMUL`` with the transformed kernels ``G g G^T`` (a constant);
- output transform: one ``FULLY_CONNECTED`` with ``kron(A^T, A^T)`` gives each 4×4 output tile, which
  ``DEPTH_TO_SPACE`` puts in place.

A 3×3 256→256 convolution at 64² runs about 2.6× faster in LiteRT this way; the price is the file: the
transformed kernels are 36/9 = 4× the size of the 3×3 kernels.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from attentiongan_tf.nn.shapes import dims
from attentiongan_tf.nn.winograd_transforms import F4X4

TILE, ALPHA = F4X4.tile, F4X4.alpha

# Kernel of the input-transform convolution: output channel a·6 + b is row a·6 + b of kron(B^T, B^T), laid out
# over the 6×6 tile (outer(B^T[a], B^T[b])).
_INPUT_KERNEL = F4X4.input_t2.T.reshape(ALPHA, ALPHA, 1, ALPHA * ALPHA)


def transform_kernel(kernel: np.ndarray) -> np.ndarray:
    """``G g G^T`` of every (in, out) filter of a ``[3, 3, in, out]`` kernel: ``[36, in, out]``, in float64."""
    kernel = np.asarray(kernel, np.float64)
    if kernel.ndim != 4 or kernel.shape[:2] != (3, 3):
        raise ValueError(f"a Winograd F(4×4, 3×3) kernel must be [3, 3, in, out], got {kernel.shape}")
    return (F4X4.filter2 @ kernel.reshape(9, -1)).reshape(ALPHA * ALPHA, kernel.shape[2], kernel.shape[3])


def winograd_conv3x3_constant(inputs: tf.Tensor, kernel: np.ndarray) -> tf.Tensor:
    """``tf.nn.conv2d(inputs, kernel, 1, "VALID")`` for a constant 3×3 kernel, in rank-4 ops (no gradient).

    Args:
        inputs: ``[batch, height, width, in]`` (already padded, as for a "VALID" convolution), height and width
            at least 3; static or dynamic sizes.
        kernel: the ``[3, 3, in, out]`` weights as an array (a variable's value, frozen into the graph).

    Returns:
        ``[batch, height - 2, width - 2, out]`` in the dtype of ``inputs``.

    Example:
        >>> x, k = np.random.rand(1, 10, 10, 8).astype("float32"), np.random.rand(3, 3, 8, 16).astype("float32")
        >>> y = winograd_conv3x3_constant(tf.constant(x), k)
        >>> float(tf.reduce_max(tf.abs(y - tf.nn.conv2d(x, k, 1, "VALID")))) < 1e-4
        True
    """
    dtype = inputs.dtype
    transformed = tf.constant(transform_kernel(kernel), dtype)  # [36, in, out]
    channels_in, channels_out = transformed.shape[1], transformed.shape[2]
    if inputs.shape[-1] != channels_in:
        raise ValueError(f"inputs have {inputs.shape[-1]} channels, the kernel takes {channels_in}")
    batch, height, width = dims(inputs)[:3]  # Python ints where static: constant shapes keep ops delegable
    rows, cols = -(-(height - 2) // TILE), -(-(width - 2) // TILE)  # 4×4 output tiles per column / row (ceil)
    # Static sizes that the tiles cover exactly need neither the zero pad nor the crop.
    exact = isinstance(height, int) and isinstance(width, int) and (height - 2) % TILE == 0 == (width - 2) % TILE
    padding = [[0, 0], [0, rows * TILE + 2 - height], [0, cols * TILE + 2 - width], [0, 0]]
    x = inputs if exact else tf.pad(inputs, padding)
    x = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [batch * channels_in, rows * TILE + 2, cols * TILE + 2, 1])
    tiles = tf.nn.conv2d(x, tf.constant(_INPUT_KERNEL, dtype), TILE, "VALID")  # [batch · in, rows, cols, 36]
    tiles = tf.transpose(tf.reshape(tiles, [batch, channels_in, rows * cols, ALPHA * ALPHA]), [3, 0, 2, 1])
    products = tf.matmul(tf.reshape(tiles, [ALPHA * ALPHA, -1, channels_in]), transformed)  # [36, tiles, out]
    outputs = tf.matmul(tf.transpose(tf.reshape(products, [ALPHA * ALPHA, -1])), tf.constant(F4X4.output_t2.T, dtype))
    outputs = tf.transpose(tf.reshape(outputs, [-1, channels_out, TILE * TILE]), [0, 2, 1])  # [.., 16, out]
    outputs = tf.nn.depth_to_space(tf.reshape(outputs, [batch, rows, cols, TILE * TILE * channels_out]), TILE)
    return outputs if exact else outputs[:, : height - 2, : width - 2]
