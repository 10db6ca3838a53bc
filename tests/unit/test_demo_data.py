import numpy as np
import pytest

from attentiongan_tf.data.demo import make_example, read_mask, write_demo_dataset
from attentiongan_tf.data.images import list_images, read_image_rgb


def test_domains_differ_only_in_the_object():
    a = [make_example(np.random.default_rng(i), "A", 32) for i in range(20)]
    b = [make_example(np.random.default_rng(100 + i), "B", 32) for i in range(20)]

    def mean_colour(examples, inside):
        pixels = [e["image"][(e["mask"] > 0) == inside] for e in examples]
        return np.concatenate(pixels).astype(float).mean(0)

    # Objects: A is red-dominant, B is blue-dominant.
    assert mean_colour(a, True)[0] > mean_colour(a, True)[2] + 50
    assert mean_colour(b, True)[2] > mean_colour(b, True)[0] + 50
    # Backgrounds come from the same distribution: similar mean colours.
    np.testing.assert_allclose(mean_colour(a, False), mean_colour(b, False), atol=25)
    coverage = np.mean([e["mask"].mean() / 255 for e in a + b])
    assert 0.05 < coverage < 0.4


def test_write_layout_masks_and_reuse(tmp_path):
    root = write_demo_dataset(tmp_path / "demo", size=16, train=3, test=2)
    for split, count in (("train", 3), ("test", 2)):
        for domain in "AB":
            files = list_images(root / f"{split}{domain}")
            assert len(files) == count
            assert read_image_rgb(files[0]).shape == (16, 16, 3)
            mask = read_mask(files[0])
            assert mask.shape == (16, 16) and mask.dtype == bool and 0 < mask.sum() < 256
    before = (root / "trainA" / "0000.png").stat().st_mtime_ns
    write_demo_dataset(tmp_path / "demo", size=16, train=3, test=2)
    assert (root / "trainA" / "0000.png").stat().st_mtime_ns == before


def test_never_overwrites_user_folders(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "photo.png").write_bytes(b"x")
    with pytest.raises(FileExistsError, match="mine"):
        write_demo_dataset(tmp_path / "mine", size=16, train=1, test=1)
    write_demo_dataset(tmp_path / "demo", size=16, train=1, test=1)
    with pytest.raises(FileExistsError):
        write_demo_dataset(tmp_path / "demo", size=32, train=1, test=1)
