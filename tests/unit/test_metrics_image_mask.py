"""PSNR/SSIM against TensorFlow's implementations, and the mask metrics on hand-made cases."""

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.metrics import attention_iou, binarize_mask, mask_metrics, psnr, ssim


def _pair(seed: int, shape=(24, 20, 3)):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, shape, dtype=np.uint8)
    noise = rng.integers(-40, 41, shape)
    return a, np.clip(a.astype(int) + noise, 0, 255).astype(np.uint8)


def test_psnr_matches_tensorflow_and_definition():
    a, b = _pair(0)
    expected = float(tf.image.psnr(a, b, max_val=255))
    assert psnr(a, b) == pytest.approx(expected, rel=1e-5)
    mse = np.mean((a.astype(float) - b) ** 2)
    assert psnr(a, b) == pytest.approx(10 * np.log10(255**2 / mse))
    assert psnr(a, a) == float("inf")


@pytest.mark.parametrize("shape", [(24, 20, 3), (16, 16, 1), (11, 30, 3)])
def test_ssim_matches_tensorflow(shape):
    a, b = _pair(1, shape)
    expected = float(tf.image.ssim(tf.constant(a), tf.constant(b), max_val=255))
    assert ssim(a, b) == pytest.approx(expected, abs=1e-5)
    assert ssim(a, a) == pytest.approx(1.0)


def test_image_metrics_reject_shape_mismatch():
    with pytest.raises(ValueError, match="same shape"):
        psnr(np.zeros((4, 4, 3)), np.zeros((4, 5, 3)))
    with pytest.raises(ValueError, match="at least 11x11"):
        ssim(np.zeros((10, 40, 3)), np.zeros((10, 40, 3)))


def test_mask_metrics_on_constructed_images():
    source = np.full((8, 8, 3), 100, np.uint8)
    output = source.copy()
    output[:4] = 200  # top half changed
    output[4:, :4] = 110  # small change in part of the background
    mask = np.zeros((8, 8), np.uint8)
    mask[:4] = 255
    attention = np.zeros((8, 8))
    attention[:2] = 0.9  # predicted object: rows 0-1 only -> IoU 16/32
    result = mask_metrics(source, output, mask, attention)
    assert result["foreground_change"] == pytest.approx(100 / 255)
    assert result["background_l1"] == pytest.approx(0.5 * 10 / 255)
    assert result["background_psnr"] == pytest.approx(-10 * np.log10(0.5 * (10 / 255) ** 2))
    assert result["attention_iou"] == pytest.approx(0.5)


def test_mask_metrics_edge_cases():
    image = np.zeros((4, 4, 3), np.uint8)
    assert attention_iou(np.zeros((4, 4)), np.zeros((4, 4), bool)) == 1.0
    result = mask_metrics(image, image, np.zeros((4, 4), np.uint8))
    assert np.isnan(result["foreground_change"]) and result["background_psnr"] == float("inf")
    assert "attention_iou" not in result
    assert binarize_mask(np.array([[0, 255], [127, 128]], np.uint8)).tolist() == [[False, True], [False, True]]
    with pytest.raises(ValueError, match="share H and W"):
        mask_metrics(image, image, np.zeros((5, 4), np.uint8))
