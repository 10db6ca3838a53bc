"""Winograd F(4×4, 3×3) convolution: the 3×3 stride-1 convolutions of the ResNet blocks with 4× fewer
multiplications, for float32 training on CPUs (``train.conv_algorithm = "winograd"``).

A direct 3×3 convolution spends 9 multiply-adds per output pixel and channel pair. Winograd's minimal filtering
algorithm (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016) computes each 4×4 output tile
from a 6×6 input tile with 36: every tile is transformed (``B^T d B``), the 36 positions of the transformed tiles
become 36 independent matrix products over the channels, and the products are transformed back (``A^T m A``).
The matrix products are the only arithmetic that grows with channels², so they decide the speed; the transforms
are a few passes over memory. The gradient is written out (:func:`winograd_conv3x3`) instead of left to autodiff,
which would scatter each of the 36 tile positions separately.

Numbers differ from the direct convolution by float32 rounding of the transforms (about 1e-5 of the output's
magnitude, against about 1e-6 for two direct kernels): training behaves the same, but a run is not bit-equal to
the direct one. Graphs for deployment always use the direct convolution.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

#: Output tile edge (m) and input tile edge (m + 2) of F(4×4, 3×3).
TILE = 4
ALPHA = TILE + 2
# Interpolation points 0, ±1, ±2 and ∞ (Lavin & Gray 2016, F(4, 3)).
_INPUT_T = np.array([
    [4, 0, -5, 0, 1, 0],
    [0, -4, -4, 1, 1, 0],
    [0, 4, -4, -1, 1, 0],
    [0, -2, -1, 2, 1, 0],
    [0, 2, -1, -2, 1, 0],
    [0, 4, 0, -5, 0, 1],
], np.float64)  # fmt: skip
_FILTER = np.array([
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
], np.float64)  # fmt: skip
_OUTPUT_T = np.array([
    [1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, -1, 8, -8, 1],
], np.float64)  # fmt: skip
# A 2-D tile transform X -> T X T^T, applied to tiles flattened row-major, is one matrix: kron(T, T).
_INPUT_T2 = np.kron(_INPUT_T, _INPUT_T)
_FILTER2 = np.kron(_FILTER, _FILTER)
_OUTPUT_T2 = np.kron(_OUTPUT_T, _OUTPUT_T)


def winograd_conv3x3(inputs: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
    """``tf.nn.conv2d(inputs, kernel, 1, "VALID")`` for a 3×3 kernel, by Winograd F(4×4, 3×3), with its gradient.

    Any height and width of at least 3 (the output is computed in 4×4 tiles and cropped). The backward pass keeps
    the transformed input tiles (2.25× the input's size) instead of the input.

    Args:
        inputs: float32 ``[batch, height, width, in_channels]`` (already padded, as for a "VALID" convolution).
        kernel: float32 ``[3, 3, in_channels, out_channels]``.

    Returns:
        float32 ``[batch, height - 2, width - 2, out_channels]``.

    Example:
        >>> x, k = tf.random.normal([1, 10, 10, 8]), tf.random.normal([3, 3, 8, 16])
        >>> float(tf.reduce_max(tf.abs(winograd_conv3x3(x, k) - tf.nn.conv2d(x, k, 1, "VALID")))) < 1e-4
        True
    """
    inputs, kernel = tf.convert_to_tensor(inputs), tf.convert_to_tensor(kernel)
    if inputs.dtype != tf.float32 or kernel.dtype != tf.float32:
        raise ValueError(f"winograd_conv3x3 computes in float32, got {inputs.dtype.name} inputs and "
                         f"{kernel.dtype.name} kernel (use the direct convolution under mixed precision)")  # fmt: skip
    if kernel.shape.rank != 4 or tuple(kernel.shape[:2]) != (3, 3) or inputs.shape.rank != 4:
        raise ValueError(f"winograd_conv3x3 needs NHWC inputs and a 3×3 kernel, got {inputs.shape} and {kernel.shape}")
    return _winograd_conv3x3(inputs, kernel)


@tf.custom_gradient
def _winograd_conv3x3(inputs: tf.Tensor, kernel: tf.Tensor):
    shape = tf.shape(inputs)
    batch, height, width = shape[0], shape[1], shape[2]
    rows, cols = -(-(height - 2) // TILE), -(-(width - 2) // TILE)  # tiles per column and per row (ceil)
    kernel_tiles = _transform_kernel(kernel, after=inputs)  # [36, in, out]
    input_tiles = _transform_input(inputs, rows, cols)  # [36, tiles, in]
    products = tf.matmul(input_tiles, kernel_tiles)  # [36, tiles, out]
    outputs = _transform_output(products, batch, rows, cols)[:, : height - 2, : width - 2]

    def gradient(upstream: tf.Tensor):
        upstream = tf.pad(upstream, [[0, 0], [0, rows * TILE - height + 2], [0, cols * TILE - width + 2], [0, 0]])
        d_products = _transform_output_adjoint(upstream, batch, rows, cols)  # [36, tiles, out]
        d_kernel_tiles = tf.matmul(input_tiles, d_products, transpose_a=True)  # [36, in, out]
        d_kernel = _transform_kernel_adjoint(d_kernel_tiles, kernel.shape)
        # The input gradient waits for the kernel gradient: it is the path the rest of the backward pass waits
        # on, and a graph runs that path first, leaving every call's [36, in, out] kernel tiles for later.
        # The transformed kernel is 4× the kernel: transform it again rather than keep one per call until now.
        d_input_tiles = tf.matmul(d_products, _transform_kernel(kernel, after=d_kernel), transpose_b=True)
        d_inputs = _transform_input_adjoint(d_input_tiles, batch, rows, cols)[:, :height, :width]
        return d_inputs, d_kernel

    return outputs, gradient


def _constant(matrix: np.ndarray) -> tf.Tensor:
    return tf.constant(matrix, tf.float32)


def _transform_kernel(kernel: tf.Tensor, after: tf.Tensor) -> tf.Tensor:
    """``G g G^T`` of every (in, out) 3×3 filter: ``[36, in, out]``, computed once ``after`` is.

    A graph runs an op as soon as its inputs are ready: without the wait, every call's transformed kernel (4×
    the kernel) would be computed at the start of the step and held until its matrix product runs.
    """
    with tf.control_dependencies([after]):
        transformed = tf.matmul(_constant(_FILTER2), tf.reshape(kernel, [9, -1]))
    return tf.reshape(transformed, [ALPHA * ALPHA, kernel.shape[2], kernel.shape[3]])


def _transform_kernel_adjoint(d_kernel_tiles: tf.Tensor, shape: tf.TensorShape) -> tf.Tensor:
    d_kernel = tf.matmul(_constant(_FILTER2), tf.reshape(d_kernel_tiles, [ALPHA * ALPHA, -1]), transpose_a=True)
    return tf.reshape(d_kernel, shape)


def _gather_tiles(inputs: tf.Tensor, rows: tf.Tensor, cols: tf.Tensor) -> tf.Tensor:
    """The overlapping 6×6 tiles (stride 4) of ``inputs``: ``[6, 6, batch, rows, cols, channels]``.

    Zero-pads the bottom and right to ``(rows + 1) · 4`` × ``(cols + 1) · 4``; tile ``i`` is then 4-row block
    ``i`` followed by the first 2 rows of block ``i + 1`` (the same along the columns).
    """
    channels = inputs.shape[-1]
    shape = tf.shape(inputs)
    x = tf.pad(inputs, [[0, 0], [0, (rows + 1) * TILE - shape[1]], [0, (cols + 1) * TILE - shape[2]], [0, 0]])
    x = tf.reshape(x, [shape[0], rows + 1, TILE, (cols + 1) * TILE, channels])
    x = tf.concat([x[:, :rows], x[:, 1:, : ALPHA - TILE]], axis=2)
    x = tf.reshape(x, [shape[0], rows, ALPHA, cols + 1, TILE, channels])
    x = tf.concat([x[:, :, :, :cols], x[:, :, :, 1:, : ALPHA - TILE]], axis=4)
    return tf.transpose(x, [2, 4, 0, 1, 3, 5])


def _scatter_add_tiles(tiles: tf.Tensor) -> tf.Tensor:
    """The adjoint of :func:`_gather_tiles` (without its padding): the overlapping tiles summed back into place,
    ``[6, 6, batch, rows, cols, channels]`` -> ``[batch, (rows + 1) · 4, (cols + 1) · 4, channels]``."""
    x = tf.transpose(tiles, [2, 3, 0, 4, 1, 5])  # [batch, rows, 6, cols, 6, channels]
    return _overlap_add(_overlap_add(x, axis=4), axis=2)


def _overlap_add(x: tf.Tensor, axis: int) -> tf.Tensor:
    """Merge the tile axis ``axis - 1`` and the within-tile axis ``axis`` (6 long, stride 4): tile ``i``'s first 4
    entries go to block ``i``, its last 2 are added to the start of block ``i + 1``."""
    before = [slice(None)] * axis
    head, tail = x[tuple(before + [slice(0, TILE)])], x[tuple(before + [slice(TILE, None)])]
    after = [[0, 0]] * (x.shape.rank - axis - 1)
    tail = tf.pad(tail, [[0, 0]] * axis + [[0, 2 * TILE - ALPHA]] + after)
    shape = tf.shape(head)
    merged = tf.concat([shape[: axis - 1], [shape[axis - 1] * TILE], shape[axis + 1 :]], 0)
    head, tail = tf.reshape(head, merged), tf.reshape(tail, merged)
    pad = lambda start, end: [[0, 0]] * (axis - 1) + [[start, end]] + after  # noqa: E731
    return tf.pad(head, pad(0, TILE)) + tf.pad(tail, pad(TILE, 0))


def _transform_input(inputs: tf.Tensor, rows: tf.Tensor, cols: tf.Tensor) -> tf.Tensor:
    """``B^T d B`` of every 6×6 tile: ``[36, tiles, channels]``."""
    channels = inputs.shape[-1]
    tiles = tf.reshape(_gather_tiles(inputs, rows, cols), [ALPHA * ALPHA, -1])
    return tf.reshape(tf.matmul(_constant(_INPUT_T2), tiles), [ALPHA * ALPHA, -1, channels])


def _transform_input_adjoint(d_input_tiles: tf.Tensor, batch: tf.Tensor, rows: tf.Tensor, cols: tf.Tensor) -> tf.Tensor:
    channels = d_input_tiles.shape[-1]
    tiles = tf.matmul(_constant(_INPUT_T2), tf.reshape(d_input_tiles, [ALPHA * ALPHA, -1]), transpose_a=True)
    tiles = tf.reshape(tiles, [ALPHA, ALPHA, batch, rows, cols, channels])
    return _scatter_add_tiles(tiles)


def _transform_output(products: tf.Tensor, batch: tf.Tensor, rows: tf.Tensor, cols: tf.Tensor) -> tf.Tensor:
    """``A^T m A`` of every tile, the 4×4 output tiles put in place: ``[batch, rows · 4, cols · 4, out]``."""
    channels = products.shape[-1]
    tiles = tf.matmul(_constant(_OUTPUT_T2), tf.reshape(products, [ALPHA * ALPHA, -1]))
    tiles = tf.reshape(tiles, [TILE, TILE, batch, rows, cols, channels])
    return tf.reshape(tf.transpose(tiles, [2, 3, 0, 4, 1, 5]), [batch, rows * TILE, cols * TILE, channels])


def _transform_output_adjoint(upstream: tf.Tensor, batch: tf.Tensor, rows: tf.Tensor, cols: tf.Tensor) -> tf.Tensor:
    channels = upstream.shape[-1]
    tiles = tf.reshape(upstream, [batch, rows, TILE, cols, TILE, channels])
    tiles = tf.reshape(tf.transpose(tiles, [2, 4, 0, 1, 3, 5]), [TILE * TILE, -1])
    products = tf.matmul(_constant(_OUTPUT_T2), tiles, transpose_a=True)
    return tf.reshape(products, [ALPHA * ALPHA, -1, channels])
