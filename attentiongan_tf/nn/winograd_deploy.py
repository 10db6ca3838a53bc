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

That form reshapes between tiles and the image, which needs the number of tile rows and columns; at run-time
sizes those reshapes are ops XNNPACK does not take (it takes a reshape only to a constant shape with at most one
dimension left to the run time), and they split an any-size model into 97 delegated parts. A batch of one image
has a form without reshapes: ``TRANSPOSE`` to ``[in, H, W, 1]`` (the channels as the batch), the input-transform
convolution (``[in, rows, cols, 36]``), ``TRANSPOSE`` to ``[36, rows, cols, in]`` and one ``BATCH_MATMUL`` with
the kernels broadcast over the tile rows, ``TRANSPOSE`` to ``[out, rows, cols, 36]``, the output transform as a
1×1 ``CONV_2D`` and ``DEPTH_TO_SPACE`` (``[out, H - 2, W - 2, 1]``) and a last ``TRANSPOSE`` back. Every shape
follows from the input's, so XNNPACK runs an any-size model whole, as long as the tiles cover the image exactly
(``whole_tiles``: the exported graphs pad images to a multiple of 16 for that). At a static size the first form
stays: it was the faster of the two there (a 256² model in 0.42–0.46 against 0.44–0.53 s, alternating runs).

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
# The output transform as a 1×1 convolution: output channel i·4 + j is the tile's pixel (i, j).
_OUTPUT_KERNEL = F4X4.output_t2.T.reshape(1, 1, ALPHA * ALPHA, TILE * TILE)


def transform_kernel(kernel: np.ndarray) -> np.ndarray:
    """``G g G^T`` of every (in, out) filter of a ``[3, 3, in, out]`` kernel: ``[36, in, out]``, in float64."""
    kernel = np.asarray(kernel, np.float64)
    if kernel.ndim != 4 or kernel.shape[:2] != (3, 3):
        raise ValueError(f"a Winograd F(4×4, 3×3) kernel must be [3, 3, in, out], got {kernel.shape}")
    return (F4X4.filter2 @ kernel.reshape(9, -1)).reshape(ALPHA * ALPHA, kernel.shape[2], kernel.shape[3])


def winograd_conv3x3_constant(inputs: tf.Tensor, kernel: np.ndarray, whole_tiles: bool = False) -> tf.Tensor:
    """``tf.nn.conv2d(inputs, kernel, 1, "VALID")`` for a constant 3×3 kernel, in rank-4 ops (no gradient).

    Args:
        inputs: ``[batch, height, width, in]`` (already padded, as for a "VALID" convolution), height and width
            at least 3; static or dynamic sizes.
        kernel: the ``[3, 3, in, out]`` weights as an array (a variable's value, frozen into the graph).
        whole_tiles: the caller guarantees that ``height - 2`` and ``width - 2`` are multiples of 4 where they
            are only known at run time: a batch of one image then runs in ops with no run-time sized op (module
            docstring). Other sizes would lose their last rows or columns (an error where the result meets a
            tensor of the right size, as a residual sum does).

    Returns:
        ``[batch, height - 2, width - 2, out]`` in the dtype of ``inputs``.

    Example:
        >>> x, k = np.random.rand(1, 10, 10, 8).astype("float32"), np.random.rand(3, 3, 8, 16).astype("float32")
        >>> y = winograd_conv3x3_constant(tf.constant(x), k)
        >>> float(tf.reduce_max(tf.abs(y - tf.nn.conv2d(x, k, 1, "VALID")))) < 1e-4
        True
    """
    transformed = transform_kernel(kernel)  # [36, in, out]
    if inputs.shape[-1] != transformed.shape[1]:
        raise ValueError(f"inputs have {inputs.shape[-1]} channels, the kernel takes {transformed.shape[1]}")
    static = None not in inputs.shape[1:3]
    if whole_tiles and not static and inputs.shape[0] == 1:
        return _channels_as_batch(inputs, transformed)
    batch, height, width = dims(inputs)[:3]  # Python ints where static: constant shapes keep ops delegable
    rows, cols = -(-(height - 2) // TILE), -(-(width - 2) // TILE)  # 4×4 output tiles per column / row (ceil)
    # Static sizes that the tiles cover exactly need neither the zero pad nor the crop.
    exact = static and (height - 2) % TILE == 0 == (width - 2) % TILE
    padding = [[0, 0], [0, rows * TILE + 2 - height], [0, cols * TILE + 2 - width], [0, 0]]
    outputs = _channels_as_images(inputs if exact else tf.pad(inputs, padding), transformed, batch, rows, cols)
    return outputs if exact else outputs[:, : height - 2, : width - 2]


def _channels_as_batch(x: tf.Tensor, transformed: np.ndarray) -> tf.Tensor:
    """The convolution of one image ``x`` that the tiles cover exactly, in ops whose shapes all follow from the
    input's (no reshape: module docstring)."""
    dtype = x.dtype
    planes = tf.transpose(x, [3, 1, 2, 0])  # [in, H, W, 1]
    tiles = tf.nn.conv2d(planes, tf.constant(_INPUT_KERNEL, dtype), TILE, "VALID")  # [in, rows, cols, 36]
    kernels = tf.constant(transformed[:, None], dtype)  # [36, 1, in, out]: broadcast over the tile rows
    products = tf.matmul(tf.transpose(tiles, [3, 1, 2, 0]), kernels)  # [36, rows, cols, out]
    outputs = tf.nn.conv2d(tf.transpose(products, [3, 1, 2, 0]), tf.constant(_OUTPUT_KERNEL, dtype), 1, "VALID")
    return tf.transpose(tf.nn.depth_to_space(outputs, TILE), [3, 1, 2, 0])  # [out, H - 2, W - 2, 1] -> NHWC


def _channels_as_images(x: tf.Tensor, transformed: np.ndarray, batch, rows, cols) -> tf.Tensor:
    """The convolution of a batch ``x`` that the tiles cover exactly, with reshapes between tiles and images."""
    dtype = x.dtype
    channels_in, channels_out = transformed.shape[1], transformed.shape[2]
    x = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [batch * channels_in, rows * TILE + 2, cols * TILE + 2, 1])
    tiles = tf.nn.conv2d(x, tf.constant(_INPUT_KERNEL, dtype), TILE, "VALID")  # [batch · in, rows, cols, 36]
    tiles = tf.transpose(tf.reshape(tiles, [batch, channels_in, rows * cols, ALPHA * ALPHA]), [3, 0, 2, 1])
    products = tf.matmul(tf.reshape(tiles, [ALPHA * ALPHA, -1, channels_in]), tf.constant(transformed, dtype))
    outputs = tf.matmul(tf.transpose(tf.reshape(products, [ALPHA * ALPHA, -1])), tf.constant(F4X4.output_t2.T, dtype))
    outputs = tf.transpose(tf.reshape(outputs, [-1, channels_out, TILE * TILE]), [0, 2, 1])  # [.., 16, out]
    return tf.nn.depth_to_space(tf.reshape(outputs, [batch, rows, cols, TILE * TILE * channels_out]), TILE)
