"""Labelled sample grids: one builder for training ``samples/``, ``translate.py --grid`` and TensorBoard.

Layout: a header strip names the columns (input, translation, background mask, foreground overlay,
content i...); a left strip names each row block's direction (``A→B``, ``B→A`` or a target domain). The
foreground overlay tints the input red where the generator paints (1 − background mask). With many
masks only the content images with the most attention are shown (``max_content``), and tiles shrink so
that the grid is at most ``max_width`` pixels wide (phone-friendly).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from attentiongan_tf.training.summaries import to_uint8

MAX_WIDTH = 1600
MAX_CONTENT = 4
MIN_TILE = 64  # smaller images (16 px demo runs) are enlarged, pixel for pixel, so that the labels fit
HEADER = 20
LABEL_WIDTH = 56
GAP = 2
OVERLAY_COLOR = np.array([255, 40, 40], np.float32)
OVERLAY_STRENGTH = 0.6
BASE_COLUMNS = ("input", "translation", "background mask", "foreground overlay")


@dataclass
class GridRow:
    """One block of rows: ``label`` (e.g. ``"A→B"``), ``inputs`` (B, H, W, 3) and the generator's ``outputs``.

    ``inputs`` and ``outputs["image"]`` are uint8 or float in [-1, 1]; ``outputs["attention"]`` is
    (B, H, W, n) in [0, 1] with the background last; ``outputs["content"]`` (B, H, W, k, 3) in [-1, 1] may be
    missing (e.g. the ONNX uint8 model).
    """

    label: str
    inputs: np.ndarray
    outputs: dict = field(default_factory=dict)


@dataclass
class Grid:
    """The rendered grid (uint8 (H, W, 3)) and the column names drawn in its header, left to right."""

    image: np.ndarray
    columns: list[str]


def as_uint8(images: np.ndarray) -> np.ndarray:
    """uint8 images unchanged; float [-1, 1] -> uint8 [0, 255] (rounded, clipped)."""
    images = np.asarray(images)
    return images if images.dtype == np.uint8 else to_uint8(images)


def foreground_overlay(inputs: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Tint uint8 ``inputs`` (..., H, W, 3) red in proportion to the foreground weight 1 − ``background``."""
    weight = OVERLAY_STRENGTH * (1.0 - np.asarray(background, np.float32))[..., np.newaxis]
    return np.round(inputs.astype(np.float32) * (1.0 - weight) + OVERLAY_COLOR * weight).astype(np.uint8)


def chosen_contents(rows: list[GridRow], max_content: int) -> list[int]:
    """Indices of the content images to show: all if ≤ ``max_content``, else those with the most attention."""
    with_content = [r for r in rows if r.outputs.get("content") is not None]
    if not with_content:
        return []
    count = min(np.asarray(r.outputs["content"]).shape[-2] for r in with_content)
    if count <= max_content:
        return list(range(count))
    weight = sum(np.asarray(r.outputs["attention"])[..., :count].mean(axis=(0, 1, 2)) for r in with_content)
    return sorted(int(i) for i in np.argsort(-weight, kind="stable")[:max_content])


def row_tiles(row: GridRow, contents: list[int]) -> list[np.ndarray]:
    """(B, H, W, 3) uint8 tiles of one row block in column order."""
    inputs = as_uint8(row.inputs)
    background = np.asarray(row.outputs["attention"])[..., -1]
    mask = np.repeat(np.round(background * 255).astype(np.uint8)[..., np.newaxis], 3, -1)
    tiles = [inputs, as_uint8(row.outputs["image"]), mask, foreground_overlay(inputs, background)]
    content = row.outputs.get("content")
    return tiles + [as_uint8(np.asarray(content)[..., k, :]) for k in contents if content is not None]


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def draw_label(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, font) -> None:
    """Draw ``text`` with each ``→`` as a drawn arrow (the default font has no arrow glyph)."""
    x, y = xy
    parts = text.split("→")
    for index, part in enumerate(parts):
        if part:
            draw.text((x, y), part, fill=(0, 0, 0), font=font)
            x += int(draw.textlength(part, font=font))
        if index < len(parts) - 1:
            middle = y + font.size // 2 + 1
            draw.line([(x + 2, middle), (x + 11, middle)], fill=(0, 0, 0), width=1)
            draw.polygon([(x + 12, middle), (x + 8, middle - 3), (x + 8, middle + 3)], fill=(0, 0, 0))
            x += 15


def tile_width(image_width: int, n_columns: int, max_width: int = MAX_WIDTH) -> int:
    """Width of every tile: the image width, enlarged to ``MIN_TILE`` and shrunk to fit ``max_width``."""
    return min(max(image_width, MIN_TILE), (max_width - LABEL_WIDTH - GAP * n_columns) // n_columns)


def fit_tile(tile: np.ndarray, width: int) -> np.ndarray:
    """Scale a uint8 tile to ``width`` keeping its aspect (nearest when enlarging, bilinear when shrinking)."""
    if tile.shape[1] == width:
        return tile
    height = max(1, round(tile.shape[0] * width / tile.shape[1]))
    method = Image.NEAREST if width > tile.shape[1] else Image.BILINEAR
    return np.asarray(Image.fromarray(tile).resize((width, height), method))


def labelled_grid(rows: list[GridRow], max_width: int = MAX_WIDTH, max_content: int = MAX_CONTENT) -> Grid:
    """Render ``rows`` as one labelled grid at most ``max_width`` pixels wide.

    Args:
        rows: row blocks (e.g. A→B then B→A); every image of a block shares its H and W.
        max_width: cap on the grid width; tiles are scaled down (aspect kept) to fit.
        max_content: most content images shown per row (those with the largest mean attention).

    Returns:
        :class:`Grid` with the uint8 image and the header's column names.
    """
    contents = chosen_contents(rows, max_content)
    columns = [*BASE_COLUMNS, *(f"content {k + 1}" for k in contents)]
    width_each = tile_width(max(np.asarray(r.inputs).shape[2] for r in rows), len(columns), max_width)
    blocks = []
    for row in rows:
        tiles = row_tiles(row, contents)
        blocks.append([[fit_tile(tile[b], width_each) for tile in tiles] for b in range(tiles[0].shape[0])])
    heights = [[line[0].shape[0] for line in block] for block in blocks]
    width = LABEL_WIDTH + len(columns) * (width_each + GAP)
    height = HEADER + sum(h + GAP for block in heights for h in block)
    canvas = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    font = _font(12 if width_each >= 96 else 10)
    for index, name in enumerate(columns):
        x = LABEL_WIDTH + index * (width_each + GAP)
        short = name.replace(" mask", "").replace(" overlay", "")
        text = name if draw.textlength(name, font=font) <= width_each else short
        draw_label(draw, (x + 2, 3), text, font)
    y = HEADER
    for row, block, block_heights in zip(rows, blocks, heights, strict=True):
        top = y
        for line, line_height in zip(block, block_heights, strict=True):
            for index, tile in enumerate(line):
                canvas.paste(Image.fromarray(tile), (LABEL_WIDTH + index * (width_each + GAP), y))
            y += line_height + GAP
        draw_label(draw, (4, (top + y) // 2 - 7), row.label, _font(13))
    return Grid(np.asarray(canvas), columns)
