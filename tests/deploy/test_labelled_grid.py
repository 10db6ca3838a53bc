"""Sample grids explain themselves: a header names every column, a left strip names each row block's direction,
the foreground attention is an overlay on the input, and grids stay phone-sized."""

import numpy as np
from PIL import Image

from attentiongan_tf.data.grids import BASE_COLUMNS, GAP, HEADER, LABEL_WIDTH, GridRow, labelled_grid


def outputs(batch: int, size: int, n_masks: int, background: float = 0.25) -> dict:
    rng = np.random.default_rng(n_masks)
    attention = np.full((batch, size, size, n_masks), (1 - background) / (n_masks - 1), np.float64)
    attention[..., -1] = background
    if n_masks > 3:
        attention[..., 2] *= 3  # content 3 gets the most attention
    return {
        "image": rng.uniform(-1, 1, (batch, size, size, 3)).astype(np.float64),
        "attention": attention,
        "content": rng.uniform(-1, 1, (batch, size, size, n_masks - 1, 3)).astype(np.float64),
    }


def test_header_names_every_column_and_rows_name_their_direction():
    inputs = np.full((2, 64, 64, 3), 200, np.uint8)
    rows = [GridRow("A→B", inputs, outputs(2, 64, 3)), GridRow("B→A", inputs, outputs(2, 64, 3))]
    grid = labelled_grid(rows)
    assert grid.columns == [*BASE_COLUMNS, "content 1", "content 2"]
    assert grid.columns[:4] == ["input", "translation", "background mask", "foreground overlay"]
    image = grid.image
    assert image.shape == (HEADER + 4 * (64 + GAP), LABEL_WIDTH + 6 * (64 + GAP), 3)
    for index in range(len(grid.columns)):  # every header cell holds drawn text
        x = LABEL_WIDTH + index * (64 + GAP)
        assert image[:HEADER, x : x + 64].std() > 10, grid.columns[index]
    for block in range(2):  # each row block has its direction drawn in the left strip
        top = HEADER + block * 2 * (64 + GAP)
        assert image[top : top + 2 * (64 + GAP), :LABEL_WIDTH].std() > 10
    np.testing.assert_array_equal(image[HEADER : HEADER + 64, LABEL_WIDTH : LABEL_WIDTH + 64], inputs[0])
    background = image[HEADER : HEADER + 64, LABEL_WIDTH + 2 * (64 + GAP) :][:, :64]
    assert abs(int(background.mean()) - 64) <= 1  # background weight 0.25 drawn grey
    overlay = image[HEADER : HEADER + 64, LABEL_WIDTH + 3 * (64 + GAP) :][:, :64].astype(int)
    assert overlay[..., 0].mean() > overlay[..., 1].mean() + 40  # tinted red where the foreground is


def test_many_masks_show_the_strongest_contents_and_grids_stay_phone_sized():
    inputs = np.zeros((1, 256, 256, 3), np.uint8)
    grid = labelled_grid([GridRow("A→B", inputs, outputs(1, 256, 10))])
    assert len(grid.columns) == 8 and "content 3" in grid.columns[4:]  # 4 of 9, the strongest among them
    assert grid.image.shape[1] <= 1600
    Image.fromarray(grid.image)  # a valid RGB image


def test_rows_without_content_images_and_float_inputs():
    row = outputs(1, 16, 2)
    del row["content"]
    grid = labelled_grid([GridRow("in→out", np.zeros((1, 16, 16, 3), np.float64), row)])
    assert grid.columns == list(BASE_COLUMNS)
    assert grid.image.shape[0] == HEADER + 64 + GAP  # enlarged to MIN_TILE
