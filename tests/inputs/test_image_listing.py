"""Which files are images: .gif (first frame) and .tif/.tiff are read, training folders are searched recursively in
a stable order, and whatever is ignored is counted in one log line."""

import logging

import numpy as np
import pytest
from PIL import Image

from attentiongan_tf.data.images import list_images, read_image_rgb


def _gif(path, colours):
    frames = [Image.new("RGB", (6, 4), colour) for colour in colours]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50)


def test_gif_first_frame_and_tiff_are_read(tmp_path):
    _gif(tmp_path / "anim.gif", [(255, 0, 0), (0, 0, 255)])
    array = read_image_rgb(tmp_path / "anim.gif")
    assert array.shape == (4, 6, 3)
    np.testing.assert_allclose(array[0, 0], [255, 0, 0], atol=8)
    Image.new("RGB", (3, 2), (10, 20, 30)).save(tmp_path / "x.tif")
    Image.fromarray(np.full((2, 2), 65535, np.uint16)).save(tmp_path / "g16.TIFF")
    np.testing.assert_array_equal(read_image_rgb(tmp_path / "x.tif")[0, 0], [10, 20, 30])
    np.testing.assert_array_equal(read_image_rgb(tmp_path / "g16.TIFF")[0, 0], [255, 255, 255])
    assert [p.name for p in list_images(tmp_path)] == ["anim.gif", "g16.TIFF", "x.tif"]


def _tree(root, order):
    for relative in order:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (4, 4), (len(relative) * 9, 0, 0)).save(path)


NESTED = ["b.png", "a.png", "z_sub/c.png", "sub/deeper/e.png", "sub/d.jpg", "sub/a.png"]


def test_recursive_listing_is_sorted_and_independent_of_creation_order(tmp_path):
    _tree(tmp_path / "one", NESTED)
    _tree(tmp_path / "two", NESTED[::-1])
    first = [p.relative_to(tmp_path / "one").as_posix() for p in list_images(tmp_path / "one", recursive=True)]
    second = [p.relative_to(tmp_path / "two").as_posix() for p in list_images(tmp_path / "two", recursive=True)]
    assert first == second == ["a.png", "b.png", "sub/a.png", "sub/d.jpg", "sub/deeper/e.png", "z_sub/c.png"]


def test_training_domains_include_sub_folders_in_a_stable_stream(tmp_path):
    from attentiongan_tf.data.unpaired import scan_domain, train_dataset

    _tree(tmp_path / "one", NESTED)
    _tree(tmp_path / "two", NESTED[::-1])
    files_one = scan_domain(tmp_path / "one")["files"]
    files_two = scan_domain(tmp_path / "two")["files"]
    assert len(files_one) == len(NESTED)
    streams = [
        [b["A"] for b in train_dataset(files, files, 1, 4, 4, seed=1).take(len(NESTED) + 2).as_numpy_iterator()]
        for files in (files_one, files_two)
    ]
    for x, y in zip(*streams, strict=True):
        np.testing.assert_array_equal(x, y)


def test_ignored_files_and_folders_are_counted_in_one_line(tmp_path, caplog):
    _tree(tmp_path, ["a.png", "nested/b.png", ".hidden/c.png"])
    for name in ("notes.txt", "labels.csv", ".DS_Store"):
        (tmp_path / name).write_text("x")
    with caplog.at_level(logging.WARNING):
        flat = list_images(tmp_path)
    assert [p.name for p in flat] == ["a.png"]
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1, lines
    assert "3 non-image file(s)" in lines[0] and "2 sub-folder(s)" in lines[0] and str(tmp_path) in lines[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        deep = list_images(tmp_path, recursive=True)
    assert [p.relative_to(tmp_path).as_posix() for p in deep] == ["a.png", "nested/b.png"]
    (line,) = [r.getMessage() for r in caplog.records]
    assert "3 non-image file(s)" in line and "1 sub-folder(s)" in line and ".hidden" in line


def test_a_clean_folder_logs_nothing(tmp_path, caplog):
    _tree(tmp_path, ["a.png"])
    with caplog.at_level(logging.WARNING):
        list_images(tmp_path)
    assert not caplog.records


def test_no_images_error_names_what_was_found(tmp_path):
    (tmp_path / "readme.txt").write_text("x")
    _tree(tmp_path, ["deep/a.png"])
    with pytest.raises(ValueError, match=r"no images .* in folder .*1 non-image file.*1 sub-folder"):
        list_images(tmp_path)
