"""Where the input tiles of the Winograd training convolution (:mod:`attentiongan_tf.nn.winograd`) come from: the
grid of overlapping input tiles (``tile + 2`` on a side, at stride ``tile``: 6×6 at stride 4 for F(4×4, 3×3)), its
padding, and the pixel indices one ``tf.gather`` reads them by.

Every function orders the tiles the same way: by position in the tile ((tile + 2)²), then image, tile row, tile
column.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from attentiongan_tf.nn.captured import made_once
from attentiongan_tf.nn.shapes import dims

#: ReflectionPad2d(1) of NHWC height and width.
REFLECT_BY_ONE = [[0, 0], [1, 1], [1, 1], [0, 0]]


def tile_grid_padding(reflect: bool, in_height, in_width, rows, cols, tile: int) -> list | None:
    """Paddings that reflect the input by one pixel and continue the reflection over the tiles' bottom and right
    margin, or None where the sizes are unknown when traced or too small to reflect that far (a reflection pad
    must be shorter than the side). The margin's values only reach outputs that are cropped, so a reflection
    serves there as well as zeros, and one pad replaces two passes over the input."""
    if not reflect or not all(isinstance(n, int) for n in (in_height, in_width, rows, cols)):
        return None
    bottom, right = (rows + 1) * tile - in_height - 1, (cols + 1) * tile - in_width - 1
    if bottom >= in_height or right >= in_width:
        return None
    return [[0, 0], [1, bottom], [1, right], [0, 0]]


def gather_tiles(inputs: tf.Tensor, rows: tf.Tensor, cols: tf.Tensor, tile: int) -> tf.Tensor:
    """The overlapping ``(tile + 2)²`` tiles (stride ``tile``) of ``inputs``: ``[(tile + 2)² · batch · rows · cols,
    channels]``.

    Zero-pads the bottom and right to ``(rows + 1) · tile`` × ``(cols + 1) · tile`` (unless already that size), then
    gathers each tile position's pixels in one op: every gathered row is a pixel's channels, contiguous in memory
    (one pass, against three for slicing, concatenating and transposing the tiles out of the image).
    """
    shape = dims(inputs)
    margin = [[0, 0], [0, (rows + 1) * tile - shape[1]], [0, (cols + 1) * tile - shape[2]], [0, 0]]
    no_margin = all(isinstance(n, int) and n == 0 for side in margin[1:3] for n in side)
    x = inputs if no_margin else tf.pad(inputs, margin)
    return tf.gather(tf.reshape(x, [-1, inputs.shape[-1]]), _tile_pixel_indices(shape[0], rows, cols, tile))


@made_once  # one tensor captured by every call of the shape (see _constant_tile_pixel_indices)
def reflected_tile_pixel_indices(batch: int, height: int, width: int, rows: int, cols: int, tile: int) -> tf.Tensor:
    """The flat pixel index in an unpadded ``[batch, height, width]`` input of every tile pixel of the grid that
    :func:`tile_grid_padding` pads to: ``tf.gather`` by these reads the same pixels as that pad followed by
    :func:`gather_tiles`, without the padded copy."""
    grid_height, grid_width = (rows + 1) * tile, (cols + 1) * tile
    image, pixel = np.divmod(_tile_pixel_index_formula(batch, rows, cols, tile).numpy(), grid_height * grid_width)
    y, x = np.divmod(pixel, grid_width)
    source_y, source_x = _reflected(height, grid_height)[y], _reflected(width, grid_width)[x]
    return tf.constant(image * (height * width) + source_y * width + source_x, tf.int32)


def _reflected(size: int, grid_size: int) -> np.ndarray:
    """The input coordinate of every grid coordinate: reflected by one pixel at the start and past the far end."""
    coordinate = np.abs(np.arange(grid_size) - 1)
    coordinate = np.where(coordinate > size - 1, 2 * (size - 1) - coordinate, coordinate)
    assert coordinate.min() >= 0, "tile_grid_padding keeps the margin shorter than the side"
    return coordinate


def _tile_pixel_indices(batch, rows, cols, tile: int) -> tf.Tensor:
    """For :func:`gather_tiles`: the flat pixel index of every (tile position, image, tile row, tile column)."""
    if all(isinstance(n, int) for n in (batch, rows, cols)):
        return _constant_tile_pixel_indices(batch, rows, cols, tile)
    return _tile_pixel_index_formula(batch, rows, cols, tile)


@made_once
def _constant_tile_pixel_indices(batch: int, rows: int, cols: int, tile: int) -> tf.Tensor:
    # Made once per shape outside any graph: the 216 calls of a training step capture the same tensor instead of
    # each folding a copy into the graph (147 kB each at 256² batch 4).
    return _tile_pixel_index_formula(batch, rows, cols, tile)


def _tile_pixel_index_formula(batch, rows, cols, tile: int) -> tf.Tensor:
    width = (cols + 1) * tile
    offsets = tf.range(tile + 2)
    position = tf.reshape(offsets[:, None] * width + offsets[None, :], [-1, 1])  # [(tile + 2)², 1]
    image = tf.range(batch)[:, None, None] * ((rows + 1) * tile * width)
    corner = image + tf.range(rows)[None, :, None] * (tile * width) + tf.range(cols)[None, None, :] * tile
    return tf.reshape(position + tf.reshape(corner, [1, -1]), [-1])
