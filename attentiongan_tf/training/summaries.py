"""TensorBoard summaries, saving sample grids (drawn by ``grids.labelled_grid``) and mask-collapse detection."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image

from attentiongan_tf.training.run_dir import atomic_write

COLLAPSE_THRESHOLD = 0.05


def to_uint8(image: np.ndarray) -> np.ndarray:
    """float [-1, 1] -> uint8 [0, 255] (rounded, clipped), as the ``serving_default`` signature does."""
    return np.round(np.clip((np.asarray(image) + 1.0) * 127.5, 0.0, 255.0)).astype(np.uint8)


def save_grid(grid: np.ndarray, path: str | os.PathLike) -> Path:
    """Write ``grid`` (uint8 HWC) as an image all at once (``RunWriteError`` naming ``path`` when it fails)."""
    path = Path(path)
    image_format = Image.registered_extensions().get(path.suffix.lower(), "PNG")
    return atomic_write(path, lambda temp: Image.fromarray(grid).save(temp, format=image_format))


def collapse_warning(background_mean: float, direction: str) -> str | None:
    """A warning when the masks are (almost) all background or all foreground, else ``None``."""
    if background_mean > 1.0 - COLLAPSE_THRESHOLD:
        state = "all background (the generator copies its input)"
        advice = "At small budgets the official recipe fails this way too"
    elif background_mean < COLLAPSE_THRESHOLD:
        state = "all foreground (the background is not preserved)"
        advice = "Raise --lambda-identity or --lambda-cycle"
    else:
        return None
    return (
        f"attention masks of {direction} collapsed to {state}: mean background weight {background_mean:.4f}. "
        f"{advice}; see docs/qa.md (mask collapse) for what was measured and tried. --on-collapse stop ends such "
        "runs early."
    )


class TrainingSummaries:
    """TensorBoard writer for losses, learning rate, throughput, mask statistics and sample grids.

    Args:
        log_dir: TensorBoard folder; ``None`` writes nothing (non-chief workers).

    Example:
        >>> summaries = TrainingSummaries(None)
        >>> summaries.scalars({"cycle_a": 1.0}, step=0)
        []
    """

    def __init__(self, log_dir: str | os.PathLike | None) -> None:
        self.log_dir = log_dir
        self.writer = tf.summary.create_file_writer(str(log_dir)) if log_dir else tf.summary.create_noop_writer()
        self.warned: set[str] = set()

    def scalars(self, values: dict, step: int) -> list[str]:
        """Write every value under ``loss/``, ``masks/`` or ``train/``; return new mask-collapse warnings."""
        warnings = []
        with self.writer.as_default(step=step):
            for name, value in values.items():
                group = "masks" if name.startswith(("background_mean", "mask_entropy")) else "loss"
                group = "train" if name in ("learning_rate", "images_per_second") else group
                tf.summary.scalar(f"{group}/{name}", float(value))
            for key in (k for k in values if k.startswith("background_mean")):
                # background_mean_ab / _ba (two generators) or background_mean (the multi-domain generator)
                direction = key.removeprefix("background_mean").lstrip("_") or "the generator"
                message = collapse_warning(float(values[key]), direction)
                if message and direction not in self.warned:
                    self.warned.add(direction)
                    tf.summary.text("warnings/mask_collapse", message)
                    warnings.append(message)
        self.writer.flush()
        return warnings

    def image(self, name: str, grid: np.ndarray, step: int) -> None:
        with self.writer.as_default(step=step):
            tf.summary.image(name, grid[np.newaxis], max_outputs=1)
        self.writer.flush()
