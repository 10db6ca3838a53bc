import numpy as np
import pytest
from PIL import Image

from attentiongan_tf.data.images import UnreadableImageError, list_images, read_image_rgb


@pytest.mark.parametrize(
    "mode, value, expected",
    [("L", 128, [128, 128, 128]), ("RGB", (10, 20, 30), [10, 20, 30]), ("CMYK", (0, 0, 0, 0), [255, 255, 255])],
)
def test_modes_become_rgb(tmp_path, mode, value, expected):
    path = tmp_path / "x.jpg" if mode == "CMYK" else tmp_path / "x.png"
    Image.new(mode, (5, 4), value).save(path)
    array = read_image_rgb(path)
    assert array.shape == (4, 5, 3) and array.dtype == np.uint8
    np.testing.assert_allclose(array[0, 0], expected, atol=2)


def test_rgba_is_composited_on_white(tmp_path):
    image = Image.new("RGBA", (2, 1), (255, 0, 0, 255))
    image.putpixel((1, 0), (0, 0, 0, 0))
    image.save(tmp_path / "a.png")
    np.testing.assert_array_equal(read_image_rgb(tmp_path / "a.png"), [[[255, 0, 0], [255, 255, 255]]])


def test_palette_and_16_bit(tmp_path):
    Image.new("RGB", (3, 3), (0, 128, 255)).convert("P", palette=Image.Palette.ADAPTIVE).save(tmp_path / "p.png")
    np.testing.assert_allclose(read_image_rgb(tmp_path / "p.png")[1, 1], [0, 128, 255], atol=3)
    Image.fromarray(np.full((3, 3), 65535, np.uint16)).save(tmp_path / "16.png")
    np.testing.assert_array_equal(read_image_rgb(tmp_path / "16.png")[0, 0], [255, 255, 255])


def test_webp(tmp_path):
    Image.new("RGB", (4, 4), (0, 200, 0)).save(tmp_path / "x.webp", lossless=True)
    np.testing.assert_array_equal(read_image_rgb(tmp_path / "x.webp")[0, 0], [0, 200, 0])


def test_corrupt_and_truncated_files_name_the_path(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(UnreadableImageError, match="bad.png"):
        read_image_rgb(tmp_path / "bad.png")
    Image.new("RGB", (64, 64), (1, 2, 3)).save(tmp_path / "full.jpg")
    data = (tmp_path / "full.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableImageError, match="cut.jpg"):
        read_image_rgb(tmp_path / "cut.jpg")
    assert issubclass(UnreadableImageError, ValueError)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.png"):
        read_image_rgb(tmp_path / "nope.png")


def test_list_images(tmp_path):
    for name in ("b.PNG", "a.jpg", "c.webp", "d.bmp", "e.jpeg", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "sub.png").mkdir()
    assert [p.name for p in list_images(tmp_path)] == ["a.jpg", "b.PNG", "c.webp", "d.bmp", "e.jpeg"]


def test_list_images_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing"):
        list_images(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty"):
        list_images(tmp_path / "empty")
