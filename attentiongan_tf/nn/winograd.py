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

from attentiongan_tf.nn.captured import made_once
from attentiongan_tf.nn.shapes import dims
from attentiongan_tf.nn.winograd_tiles import (
    ALPHA,
    REFLECT_BY_ONE,
    TILE,
    gather_tiles,
    reflected_tile_pixel_indices,
    tile_grid_padding,
)

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
# The rows of the input transform's adjoint for each part of a tile (tile row, tile column ranges), for
# _transform_input_adjoint: its own block, the next block's first columns, the next rows', the corner.
_HEAD, _TAIL = range(TILE), range(TILE, ALPHA)
_PARTS = {"block": (_HEAD, _HEAD), "right": (_HEAD, _TAIL), "below": (_TAIL, _HEAD), "corner": (_TAIL, _TAIL)}
_PART_SHAPES = {name: (len(i), len(j)) for name, (i, j) in _PARTS.items()}
_INPUT_T2_ADJOINT_PARTS = {name: _INPUT_T2.T[[ALPHA * a + b for a in i for b in j]] for name, (i, j) in _PARTS.items()}


def winograd_conv3x3(inputs: tf.Tensor, kernel: tf.Tensor, padding: str = "valid") -> tf.Tensor:
    """``tf.nn.conv2d(inputs, kernel, 1, "VALID")`` for a 3×3 kernel, by Winograd F(4×4, 3×3), with its gradient.

    Any height and width of at least 3 (``"valid"``) or 2 (``"reflect"``): the output is computed in 4×4 tiles
    and cropped. The transformed input tiles (2.25× the input's size) exist only while a call runs: the backward
    pass computes them again from the input it keeps, as a direct convolution keeps its input.

    Args:
        inputs: float32 ``[batch, height, width, in_channels]``.
        kernel: float32 ``[3, 3, in_channels, out_channels]``.
        padding: ``"valid"`` (``inputs`` already padded) or ``"reflect"`` (``inputs`` reflection-padded by one
            pixel first, PyTorch's ``ReflectionPad2d(1)``; the output has the input's height and width). With
            ``"reflect"`` the backward pass keeps the unpadded input, which the layer before already keeps.

    Returns:
        float32 ``[batch, height - 2, width - 2, out_channels]`` (``"valid"``) or ``[batch, height, width,
        out_channels]`` (``"reflect"``).

    Example:
        >>> x = tf.random.stateless_normal([1, 10, 10, 8], seed=[1, 2])
        >>> k = tf.random.stateless_normal([3, 3, 8, 16], seed=[3, 4])
        >>> direct = tf.nn.conv2d(x, k, 1, "VALID")
        >>> float(tf.reduce_max(tf.abs(winograd_conv3x3(x, k) - direct)) / tf.reduce_max(tf.abs(direct))) < 2e-5
        True
    """
    inputs, kernel = tf.convert_to_tensor(inputs), tf.convert_to_tensor(kernel)
    if inputs.dtype != tf.float32 or kernel.dtype != tf.float32:
        raise ValueError(f"winograd_conv3x3 computes in float32, got {inputs.dtype.name} inputs and "
                         f"{kernel.dtype.name} kernel (use the direct convolution under mixed precision)")  # fmt: skip
    if kernel.shape.rank != 4 or tuple(kernel.shape[:2]) != (3, 3) or inputs.shape.rank != 4:
        raise ValueError(f"winograd_conv3x3 needs NHWC inputs and a 3×3 kernel, got {inputs.shape} and {kernel.shape}")
    if padding not in _CONVOLUTIONS:
        raise ValueError(f"winograd_conv3x3 padding must be one of {tuple(_CONVOLUTIONS)}, got {padding!r}")
    return _CONVOLUTIONS[padding](inputs, kernel)


def _convolution_with_gradient(reflect: bool):
    """The custom-gradient Winograd convolution of :func:`winograd_conv3x3`, reflection-padding first or not."""

    @tf.custom_gradient
    def convolution(inputs: tf.Tensor, kernel: tf.Tensor):
        batch, in_height, in_width = dims(inputs)[:3]
        height, width = (in_height + 2, in_width + 2) if reflect else (in_height, in_width)  # as padded
        rows, cols = -(-(height - 2) // TILE), -(-(width - 2) // TILE)  # tiles per column and per row (ceil)
        grid = tile_grid_padding(reflect, in_height, in_width, rows, cols)
        reflected = None
        if grid is not None and isinstance(batch, int):
            reflected = reflected_tile_pixel_indices(batch, in_height, in_width, rows, cols)

        def tiles_of(x: tf.Tensor) -> tf.Tensor:
            """The 6×6 input tiles, ``[36 · tiles, channels]``: gathered straight from ``x`` through reflected
            indices where the sizes are known (no padded copy), else from ``x`` padded to the grid."""
            if reflected is not None:
                return tf.gather(tf.reshape(x, [-1, x.shape[-1]]), reflected)
            if grid is not None:  # the reflection and the tiles' margin in one op
                return gather_tiles(tf.pad(x, grid, mode="REFLECT"), rows, cols)
            return gather_tiles(tf.pad(x, REFLECT_BY_ONE, mode="REFLECT") if reflect else x, rows, cols)

        kernel_tiles = _transform_kernel(kernel, after=inputs)  # [36, in, out]
        products = tf.matmul(_transform_input(tiles_of(inputs)), kernel_tiles)  # [36, tiles, out]
        outputs = _transform_output(products, batch, rows, cols)[:, : height - 2, : width - 2]

        def gradient(upstream: tf.Tensor):
            # The input tiles again, once the gradient has arrived (a graph would otherwise compute them at once
            # and hold them through the rest of the forward pass, which is what recomputing avoids).
            with tf.control_dependencies([upstream]):
                input_tiles = _transform_input(tiles_of(tf.identity(inputs)))  # [36, tiles, in]
            upstream = tf.pad(upstream, [[0, 0], [0, rows * TILE - height + 2], [0, cols * TILE - width + 2], [0, 0]])
            d_products = _transform_output_adjoint(upstream, batch, rows, cols)  # [36, tiles, out]
            d_kernel_tiles = tf.matmul(input_tiles, d_products, transpose_a=True)  # [36, in, out]
            d_kernel = _transform_kernel_adjoint(d_kernel_tiles, kernel.shape)
            # The input gradient waits for the kernel gradient: it is the path the rest of the backward pass waits
            # on, and a graph runs that path first, leaving every call's [36, in, out] kernel tiles for later.
            # The transformed kernel is 4× the kernel: transform it again rather than keep one per call until now.
            d_input_tiles = tf.matmul(d_products, _transform_kernel(kernel, after=d_kernel), transpose_b=True)
            d_grid = _transform_input_adjoint(d_input_tiles, batch, rows, cols)  # [batch, (rows + 1) · 4, ...]
            # The margin's gradient is zero up to rounding: only cropped outputs read the margin. The reflected
            # gather reads the same pixels as the pad to the grid, so the pad's gradient is its gradient too.
            if grid is not None:
                return tf.raw_ops.MirrorPadGrad(input=d_grid, paddings=grid, mode="REFLECT"), d_kernel
            d_inputs = d_grid[:, :height, :width]
            if reflect:
                d_inputs = tf.raw_ops.MirrorPadGrad(input=d_inputs, paddings=REFLECT_BY_ONE, mode="REFLECT")
            return d_inputs, d_kernel

        return outputs, gradient

    return convolution


_CONVOLUTIONS = {
    "valid": _convolution_with_gradient(reflect=False),
    "reflect": _convolution_with_gradient(reflect=True),
}


def _constant(matrix: np.ndarray) -> tf.Tensor:
    """One of this module's transform matrices as float32, captured by every call instead of a constant per call
    (:func:`~attentiongan_tf.nn.captured.made_once`)."""
    return _captured_matrix(matrix.tobytes(), matrix.shape)


@made_once
def _captured_matrix(data: bytes, shape: tuple[int, ...]) -> tf.Tensor:
    return tf.constant(np.frombuffer(data).reshape(shape), tf.float32)


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


def _transform_input(tiles: tf.Tensor) -> tf.Tensor:
    """``B^T d B`` of every 6×6 tile, from the gathered tiles: ``[36 · tiles, channels]`` -> ``[36, tiles,
    channels]``."""
    products = tf.matmul(_constant(_INPUT_T2), tf.reshape(tiles, [ALPHA * ALPHA, -1]))
    return tf.reshape(products, [ALPHA * ALPHA, -1, tiles.shape[-1]])


def _transform_input_adjoint(d_input_tiles: tf.Tensor, batch: tf.Tensor, rows: tf.Tensor, cols: tf.Tensor) -> tf.Tensor:
    """The adjoint of :func:`_transform_input` (without the margin's crop): ``B d B^T`` of every tile, the
    overlapping tiles summed back into place, ``[36, tiles, channels]`` -> ``[batch, (rows + 1) · 4, (cols + 1) ·
    4, channels]``.

    A tile's 6×6 positions split into four parts by where they land: its own 4×4 block, the first 2 columns of
    the block to its right, the first 2 rows of the block below, and that block's 2×2 corner. One matrix product
    per part (rows of the transform's adjoint) writes each part as a tensor of its own; each is padded to its
    place and the four summed: fewer passes over memory than slicing the 6×6 tiles apart (3.5 instead of 6.3 ms
    per call at 128² batch 4).
    """
    channels = d_input_tiles.shape[-1]
    flat = tf.reshape(d_input_tiles, [ALPHA * ALPHA, -1])

    def part(name: str) -> tf.Tensor:  # [tile rows, tile columns, batch, rows, cols, channels]
        products = tf.matmul(_constant(_INPUT_T2_ADJOINT_PARTS[name]), flat)
        return tf.reshape(products, [*_PART_SHAPES[name], batch, rows, cols, channels])

    def pad(x: tf.Tensor, down=(0, 0), right=(0, 0), within_down=(0, 0), within_right=(0, 0)) -> tf.Tensor:
        return tf.pad(x, [within_down, within_right, [0, 0], down, right, [0, 0]])

    shift = (1, 0)  # one block further down (or right)
    top = pad(part("block"), right=(0, 1)) + pad(part("right"), within_right=(0, 2), right=shift)
    bottom = pad(part("below"), right=(0, 1)) + pad(part("corner"), within_right=(0, 2), right=shift)
    blocks = pad(top, down=(0, 1)) + pad(bottom, within_down=(0, 2), down=shift)  # [4, 4, batch, rows+1, cols+1, ch]
    image = tf.transpose(blocks, [2, 3, 0, 4, 1, 5])
    return tf.reshape(image, [batch, (rows + 1) * TILE, (cols + 1) * TILE, channels])


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
