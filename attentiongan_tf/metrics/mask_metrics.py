"""What AttentionGAN claims, measured with ground-truth object masks: the object changes, the background stays.

For a source image, its translation and a binary object mask (True = object, e.g. the horse):

- ``background_l1`` / ``background_psnr``: mean absolute difference (on [0, 1]) and PSNR between source
  and output over background pixels only; high PSNR = background preserved.
- ``foreground_change``: mean absolute difference (on [0, 1]) inside the mask; higher = object translated.
- ``attention_iou``: IoU of the learned foreground attention ``1 - background mask`` thresholded at 0.5
  with the object mask (1.0 when both are empty).
"""

from __future__ import annotations

import numpy as np

ATTENTION_THRESHOLD = 0.5


def binarize_mask(mask: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, C) mask image -> (H, W) bool; a pixel is object when its first channel is above half scale."""
    mask = np.asarray(mask)
    if mask.ndim == 3:
        mask = mask[..., 0]
    if mask.ndim != 2:
        raise ValueError(f"expected an (H, W) mask, got shape {mask.shape}")
    if mask.dtype == bool:
        return mask
    top = 255 if mask.dtype == np.uint8 or mask.max() > 1 else 1
    return mask > top / 2


def _masked_errors(source: np.ndarray, output: np.ndarray, region: np.ndarray) -> dict[str, float]:
    a, b = np.asarray(source, np.float64) / 255, np.asarray(output, np.float64) / 255
    if a.shape != b.shape or a.shape[:2] != region.shape:
        raise ValueError(f"source {a.shape}, output {b.shape} and mask {region.shape} must share H and W")
    if not region.any():
        return {"l1": float("nan"), "psnr": float("nan")}
    diff = (a - b)[region]
    mse = float(np.mean(diff**2))
    return {"l1": float(np.mean(np.abs(diff))), "psnr": float("inf") if mse == 0 else float(-10 * np.log10(mse))}


def attention_iou(foreground_attention: np.ndarray, mask: np.ndarray) -> float:
    """IoU of ``foreground_attention >= 0.5`` with the bool object mask (both (H, W))."""
    predicted = np.asarray(foreground_attention) >= ATTENTION_THRESHOLD
    if predicted.shape != mask.shape:
        raise ValueError(f"attention {predicted.shape} and mask {mask.shape} must have the same shape")
    union = np.logical_or(predicted, mask).sum()
    return 1.0 if union == 0 else float(np.logical_and(predicted, mask).sum() / union)


def mask_metrics(
    source: np.ndarray,
    output: np.ndarray,
    mask: np.ndarray,
    foreground_attention: np.ndarray | None = None,
) -> dict[str, float]:
    """Background preservation, foreground change and (when attention is given) attention IoU for one image.

    Args:
        source: (H, W, 3) uint8 input image.
        output: (H, W, 3) uint8 translated image.
        mask: (H, W) object mask (bool, or uint8 with 255 = object).
        foreground_attention: (H, W) floats in [0, 1], ``1 - attention[..., -1]``; None skips the IoU.

    A region that is empty (no background or no object) gives NaN for its metrics.
    """
    mask = binarize_mask(mask)
    background = _masked_errors(source, output, ~mask)
    foreground = _masked_errors(source, output, mask)
    result = {
        "background_l1": background["l1"],
        "background_psnr": background["psnr"],
        "foreground_change": foreground["l1"],
    }
    if foreground_attention is not None:
        result["attention_iou"] = attention_iou(foreground_attention, mask)
    return result
