"""Winograd convolution: the 3×3 stride-1 convolutions of the ResNet blocks with fewer multiplications, for
training on CPUs (``train.conv_algorithm = "winograd"``): F(4×4, 3×3) in float32 (4× fewer), F(2×2, 3×3) in
bfloat16 (2.25× fewer; :mod:`attentiongan_tf.nn.winograd_transforms` says why each).

A direct 3×3 convolution spends 9 multiply-adds per output pixel and channel pair. Winograd's minimal filtering
algorithm (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016) computes each m×m output tile
from an (m + 2)² input tile with (m + 2)²: every tile is transformed (``B^T d B``), the (m + 2)² positions of the
transformed tiles become as many independent matrix products over the channels, and the products are transformed
back (``A^T m A``). The matrix products are the only arithmetic that grows with channels², so they decide the
speed; the transforms are a few passes over memory. The gradient is written out (:func:`winograd_conv3x3`) instead
of left to autodiff, which would scatter each tile position separately.

Numbers differ from the direct convolution by rounding of the transforms: in float32 about 1e-5 of the output's
magnitude (against about 1e-6 for two direct kernels), in bfloat16 about 2.7× the direct bfloat16 kernel's error
(4e-3 against 1.7e-3 root mean square). A run is not bit-equal to the direct one, but trains as well: the
``robust`` preset on real photos scores within the spread of float32's own seeds in both precisions
(``benchmarks/RESULTS.md``, "quality_precision"). Graphs for deployment always use the direct convolution.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from attentiongan_tf.nn.captured import made_once
from attentiongan_tf.nn.shapes import dims
from attentiongan_tf.nn.winograd_tiles import (
    REFLECT_BY_ONE,
    gather_tiles,
    reflected_tile_pixel_indices,
    tile_grid_padding,
)
from attentiongan_tf.nn.winograd_transforms import F2X2, F4X4, WinogradTransforms

#: The Winograd algorithm for each dtype the convolution computes in.
TRANSFORMS_BY_DTYPE = {tf.float32: F4X4, tf.bfloat16: F2X2}


def winograd_conv3x3(inputs: tf.Tensor, kernel: tf.Tensor, padding: str = "valid") -> tf.Tensor:
    """``tf.nn.conv2d(inputs, kernel, 1, "VALID")`` for a 3×3 kernel, by Winograd, with its gradient: F(4×4, 3×3)
    in float32, F(2×2, 3×3) in bfloat16 (:data:`TRANSFORMS_BY_DTYPE`).

    Any height and width of at least 3 (``"valid"``) or 2 (``"reflect"``): the output is computed in m×m tiles
    and cropped. The transformed input tiles (2.25× the input's size in float32, 4× in bfloat16) exist only while
    a call runs: the backward pass computes them again from the input it keeps, as a direct convolution keeps its
    input.

    Args:
        inputs: float32 or bfloat16 ``[batch, height, width, in_channels]``.
        kernel: ``[3, 3, in_channels, out_channels]``, the inputs' dtype.
        padding: ``"valid"`` (``inputs`` already padded) or ``"reflect"`` (``inputs`` reflection-padded by one
            pixel first, PyTorch's ``ReflectionPad2d(1)``; the output has the input's height and width). With
            ``"reflect"`` the backward pass keeps the unpadded input, which the layer before already keeps.

    Returns:
        ``[batch, height - 2, width - 2, out_channels]`` (``"valid"``) or ``[batch, height, width, out_channels]``
        (``"reflect"``), the inputs' dtype.

    Example:
        >>> x = tf.random.stateless_normal([1, 10, 10, 8], seed=[1, 2])
        >>> k = tf.random.stateless_normal([3, 3, 8, 16], seed=[3, 4])
        >>> direct = tf.nn.conv2d(x, k, 1, "VALID")
        >>> float(tf.reduce_max(tf.abs(winograd_conv3x3(x, k) - direct)) / tf.reduce_max(tf.abs(direct))) < 2e-5
        True
    """
    inputs, kernel = tf.convert_to_tensor(inputs), tf.convert_to_tensor(kernel)
    if inputs.dtype not in TRANSFORMS_BY_DTYPE or kernel.dtype != inputs.dtype:
        raise ValueError(f"winograd_conv3x3 computes in float32 or bfloat16, got {inputs.dtype.name} inputs and "
                         f"{kernel.dtype.name} kernel (use the direct convolution in float16)")  # fmt: skip
    if kernel.shape.rank != 4 or tuple(kernel.shape[:2]) != (3, 3) or inputs.shape.rank != 4:
        raise ValueError(f"winograd_conv3x3 needs NHWC inputs and a 3×3 kernel, got {inputs.shape} and {kernel.shape}")
    if padding not in _PADDINGS:
        raise ValueError(f"winograd_conv3x3 padding must be one of {_PADDINGS}, got {padding!r}")
    return _CONVOLUTIONS[padding == "reflect", TRANSFORMS_BY_DTYPE[inputs.dtype]](inputs, kernel)


_PADDINGS = ("valid", "reflect")


def _convolution_with_gradient(reflect: bool, transforms: WinogradTransforms):
    """The custom-gradient Winograd convolution of :func:`winograd_conv3x3`, reflection-padding first or not."""
    tile = transforms.tile

    @tf.custom_gradient
    def convolution(inputs: tf.Tensor, kernel: tf.Tensor):
        batch, in_height, in_width = dims(inputs)[:3]
        height, width = (in_height + 2, in_width + 2) if reflect else (in_height, in_width)  # as padded
        rows, cols = -(-(height - 2) // tile), -(-(width - 2) // tile)  # tiles per column and per row (ceil)
        grid = tile_grid_padding(reflect, in_height, in_width, rows, cols, tile)
        reflected = None
        if grid is not None and isinstance(batch, int):
            reflected = reflected_tile_pixel_indices(batch, in_height, in_width, rows, cols, tile)

        def tiles_of(x: tf.Tensor) -> tf.Tensor:
            """The input tiles, ``[(m + 2)² · tiles, channels]``: gathered straight from ``x`` through reflected
            indices where the sizes are known (no padded copy), else from ``x`` padded to the grid."""
            if reflected is not None:
                return tf.gather(tf.reshape(x, [-1, x.shape[-1]]), reflected)
            if grid is not None:  # the reflection and the tiles' margin in one op
                return gather_tiles(tf.pad(x, grid, mode="REFLECT"), rows, cols, tile)
            return gather_tiles(tf.pad(x, REFLECT_BY_ONE, mode="REFLECT") if reflect else x, rows, cols, tile)

        kernel_tiles = _transform_kernel(transforms, kernel, after=inputs)  # [(m + 2)², in, out]
        products = tf.matmul(_transform_input(transforms, tiles_of(inputs)), kernel_tiles)  # [(m + 2)², tiles, out]
        outputs = _transform_output(transforms, products, batch, rows, cols)[:, : height - 2, : width - 2]

        def gradient(upstream: tf.Tensor):
            # The input tiles again, once the gradient has arrived (a graph would otherwise compute them at once
            # and hold them through the rest of the forward pass, which is what recomputing avoids).
            with tf.control_dependencies([upstream]):
                input_tiles = _transform_input(transforms, tiles_of(tf.identity(inputs)))  # [(m + 2)², tiles, in]
            upstream = tf.pad(upstream, [[0, 0], [0, rows * tile - height + 2], [0, cols * tile - width + 2], [0, 0]])
            d_products = _transform_output_adjoint(transforms, upstream, batch, rows, cols)  # [(m + 2)², tiles, out]
            d_kernel_tiles = tf.matmul(input_tiles, d_products, transpose_a=True)  # [(m + 2)², in, out]
            d_kernel = _transform_kernel_adjoint(transforms, d_kernel_tiles, kernel.shape)
            # The input gradient waits for the kernel gradient: it is the path the rest of the backward pass waits
            # on, and a graph runs that path first, leaving every call's [(m + 2)², in, out] kernel tiles for later.
            # The transformed kernel is (m + 2)²/9 × the kernel: transform it again rather than keep one per call.
            d_input_tiles = tf.matmul(
                d_products, _transform_kernel(transforms, kernel, after=d_kernel), transpose_b=True
            )
            d_grid = _transform_input_adjoint(transforms, d_input_tiles, batch, rows, cols)  # [batch, (rows+1)·m, ..]
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


# By (reflect, transforms).
_CONVOLUTIONS = {
    (reflect, transforms): _convolution_with_gradient(reflect, transforms)
    for reflect in (False, True)
    for transforms in TRANSFORMS_BY_DTYPE.values()
}


def _constant(matrix: np.ndarray, dtype: tf.DType) -> tf.Tensor:
    """One of the transform matrices in ``dtype``, captured by every call instead of a constant per call
    (:func:`~attentiongan_tf.nn.captured.made_once`)."""
    return _captured_matrix(matrix.tobytes(), matrix.shape, dtype)


@made_once
def _captured_matrix(data: bytes, shape: tuple[int, ...], dtype: tf.DType) -> tf.Tensor:
    return tf.constant(np.frombuffer(data).reshape(shape), dtype)


def _transform_kernel(transforms: WinogradTransforms, kernel: tf.Tensor, after: tf.Tensor) -> tf.Tensor:
    """``G g G^T`` of every (in, out) 3×3 filter: ``[(m + 2)², in, out]``, computed once ``after`` is.

    A graph runs an op as soon as its inputs are ready: without the wait, every call's transformed kernel
    ((m + 2)²/9 × the kernel) would be computed at the start of the step and held until its matrix product runs.
    """
    with tf.control_dependencies([after]):
        transformed = tf.matmul(_constant(transforms.filter2, kernel.dtype), tf.reshape(kernel, [9, -1]))
    return tf.reshape(transformed, [transforms.alpha**2, kernel.shape[2], kernel.shape[3]])


def _transform_kernel_adjoint(transforms: WinogradTransforms, d_kernel_tiles: tf.Tensor, shape) -> tf.Tensor:
    flat = tf.reshape(d_kernel_tiles, [transforms.alpha**2, -1])
    return tf.reshape(tf.matmul(_constant(transforms.filter2, flat.dtype), flat, transpose_a=True), shape)


def _transform_input(transforms: WinogradTransforms, tiles: tf.Tensor) -> tf.Tensor:
    """``B^T d B`` of every input tile, from the gathered tiles: ``[(m + 2)² · tiles, channels]`` -> ``[(m + 2)²,
    tiles, channels]``."""
    positions = transforms.alpha**2
    products = tf.matmul(_constant(transforms.input_t2, tiles.dtype), tf.reshape(tiles, [positions, -1]))
    return tf.reshape(products, [positions, -1, tiles.shape[-1]])


def _transform_input_adjoint(transforms: WinogradTransforms, d_input_tiles: tf.Tensor, batch, rows, cols) -> tf.Tensor:
    """The adjoint of :func:`_transform_input` (without the margin's crop): ``B d B^T`` of every tile, the
    overlapping tiles summed back into place, ``[(m + 2)², tiles, channels]`` -> ``[batch, (rows + 1) · m,
    (cols + 1) · m, channels]``.

    A tile's positions split into four parts by where they land: its own m×m block, the first 2 columns of the
    block to its right, the first 2 rows of the block below, and that block's 2×2 corner. One matrix product
    (the transform's adjoint, its rows grouped by part) writes the parts one after the other, a split along the
    first axis takes them apart without a copy, and each is padded to its place and the four summed: fewer passes
    over memory than slicing the tiles apart (3.5 instead of 6.3 ms per call at 128² batch 4, float32), and one
    read of the tiles instead of one per part (a ResNet convolution's forward and backward pass 5% faster in
    bfloat16, 1% in float32).
    """
    tile, channels = transforms.tile, d_input_tiles.shape[-1]
    flat = tf.reshape(d_input_tiles, [transforms.alpha**2, -1])
    products = tf.matmul(_constant(transforms.input_t2_adjoint_by_part, flat.dtype), flat)
    sizes = [rows_in_part * cols_in_part for rows_in_part, cols_in_part in transforms.part_shapes.values()]
    parts = dict(zip(transforms.part_shapes, tf.split(products, sizes), strict=True))

    def part(name: str) -> tf.Tensor:  # [tile rows, tile columns, batch, rows, cols, channels]
        return tf.reshape(parts[name], [*transforms.part_shapes[name], batch, rows, cols, channels])

    def pad(x: tf.Tensor, down=(0, 0), right=(0, 0), within_down=(0, 0), within_right=(0, 0)) -> tf.Tensor:
        return tf.pad(x, [within_down, within_right, [0, 0], down, right, [0, 0]])

    shift, rest = (1, 0), (0, tile - 2)  # one block further down (or right); a part of 2 filled to the block
    top = pad(part("block"), right=(0, 1)) + pad(part("right"), within_right=rest, right=shift)
    bottom = pad(part("below"), right=(0, 1)) + pad(part("corner"), within_right=rest, right=shift)
    blocks = pad(top, down=(0, 1)) + pad(bottom, within_down=rest, down=shift)  # [m, m, batch, rows+1, cols+1, ch]
    image = tf.transpose(blocks, [2, 3, 0, 4, 1, 5])
    return tf.reshape(image, [batch, (rows + 1) * tile, (cols + 1) * tile, channels])


def _transform_output(transforms: WinogradTransforms, products: tf.Tensor, batch, rows, cols) -> tf.Tensor:
    """``A^T m A`` of every tile, the m×m output tiles put in place: ``[batch, rows · m, cols · m, out]``."""
    tile, channels = transforms.tile, products.shape[-1]
    flat = tf.reshape(products, [transforms.alpha**2, -1])
    tiles = tf.reshape(
        tf.matmul(_constant(transforms.output_t2, flat.dtype), flat), [tile, tile, batch, rows, cols, channels]
    )
    return tf.reshape(tf.transpose(tiles, [2, 3, 0, 4, 1, 5]), [batch, rows * tile, cols * tile, channels])


def _transform_output_adjoint(transforms: WinogradTransforms, upstream: tf.Tensor, batch, rows, cols) -> tf.Tensor:
    tile, channels = transforms.tile, upstream.shape[-1]
    tiles = tf.reshape(upstream, [batch, rows, tile, cols, tile, channels])
    tiles = tf.reshape(tf.transpose(tiles, [2, 4, 0, 1, 3, 5]), [tile * tile, -1])
    products = tf.matmul(_constant(transforms.output_t2, tiles.dtype), tiles, transpose_a=True)
    return tf.reshape(products, [transforms.alpha**2, -1, channels])
