"""Aspect ratio: --preprocess for training (resize_and_crop, scale_width_and_crop, none) and
translate.py --load-size (translate at the training scale, scale back to the photo's size)."""


import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from attentiongan_tf import build_generator
from attentiongan_tf.data.unpaired import preprocess, resize_for_crop
from attentiongan_tf.inference import KerasRunner, resize_uint8, working_size
from tests.e2e.export_helpers import random_uint8, run_cli


def test_resize_modes_keep_or_drop_the_aspect_ratio():
    image = tf.zeros((40, 80, 3))
    assert resize_for_crop(image, "resize_and_crop", 32, 16).shape == (32, 32, 3)
    assert resize_for_crop(image, "scale_width_and_crop", 32, 16).shape == (16, 32, 3)
    assert resize_for_crop(tf.zeros((80, 40, 3)), "scale_width_and_crop", 32, 16).shape == (64, 32, 3)
    assert resize_for_crop(image, "none", 32, 16).shape == (40, 80, 3)
    assert resize_for_crop(tf.zeros((8, 12, 3)), "none", 32, 16).shape == (16, 24, 3)  # enlarged to fit the crop
    with pytest.raises(ValueError, match="^resize_for_crop: mode must be one of"):
        resize_for_crop(image, "scale_height", 32, 16)


def test_preprocess_none_crops_at_the_native_resolution():
    image = random_uint8((40, 60, 3), 1)
    crop = preprocess(tf.constant(image), tf.constant([1, 2], tf.int64), 32, 16, False, "none").numpy()
    pixels = np.round((crop + 1) * 127.5).astype(np.uint8)
    windows = np.lib.stride_tricks.sliding_window_view(image, (16, 16, 3))[..., 0, :, :, :]
    assert any((windows[y, x] == pixels).all() for y in range(windows.shape[0]) for x in range(windows.shape[1]))


def test_train_cli_maps_preprocess_onto_the_config():
    from attentiongan_tf.cli import train as module

    config = module.build_config(module.parse_args(["--preprocess", "scale_width_and_crop"]))
    assert config.data.preprocess == "scale_width_and_crop"
    assert module.build_config(module.parse_args([])).data.preprocess == "resize_and_crop"


@pytest.mark.slow
def test_translate_load_size_translates_at_the_training_scale_and_scales_back(tmp_path):
    tf.keras.utils.set_random_seed(4)
    model = build_generator(ngf=4, n_blocks=1, n_masks=2)
    model.save(tmp_path / "g.keras")
    photo = random_uint8((90, 120, 3), 2)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    done = run_cli("translate.py", "--model", str(tmp_path / "g.keras"), "--input", str(tmp_path / "photo.png"),
                   "--output", str(tmp_path / "out"), "--load-size", "32", "--grid")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = np.asarray(Image.open(tmp_path / "out" / "photo.png"))
    assert result.shape == photo.shape
    assert working_size(90, 120, 32) == (32, 43)
    small = KerasRunner(model).run([resize_uint8(photo, (32, 43))])[0]["image"]
    expected = resize_uint8(small, (90, 120))
    assert np.abs(result.astype(int) - expected).max() <= 1
    bad = run_cli("translate.py", "--model", str(tmp_path / "g.keras"), "--input", str(tmp_path / "photo.png"),
                  "--output", str(tmp_path / "o2"), "--load-size", "0")  # fmt: skip
    assert bad.returncode != 0 and "--load-size must be a positive integer" in bad.stderr
