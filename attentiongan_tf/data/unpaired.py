"""Unpaired ``tf.data`` pipeline for ``dataroot/{trainA,trainB,testA,testB}``.

The stream of training examples is a pure function of ``(seed, example index)``: epoch ``e`` of domain A
visits the files in a permutation drawn from ``(seed, e)`` (B likewise, independently, as the official
unaligned dataset), and the random crop and flip of example ``k`` use a seed derived from ``k``. Resuming
at step ``s`` therefore rebuilds the pipeline from example ``s · global_batch`` instead of checkpointing
an iterator, which keeps Python decoding (PIL: webp, 16-bit, palette...) and exact resumes compatible.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import tensorflow as tf

from attentiongan_tf.data.images import SkippedImages, UnreadableImageError, list_images, read_image_rgb

logger = logging.getLogger(__name__)

PREPROCESS_MODES = ("resize_and_crop", "scale_width_and_crop", "none")
_DATA_SEED_SALT = 7919


def check_images(files: list[Path], workers: int = 8) -> tuple[list[Path], SkippedImages]:
    """Decode every file once (in ``workers`` threads); return the readable ones, in order, and the skipped ones."""

    def check(path: Path) -> UnreadableImageError | None:
        try:
            read_image_rgb(path)
        except UnreadableImageError as error:
            return error
        return None

    with ThreadPoolExecutor(max_workers=workers) as pool:
        errors = list(pool.map(check, files))
    skipped = SkippedImages()
    for path, error in zip(files, errors, strict=True):
        if error is not None:
            skipped.add(path, error)
    return [f for f, e in zip(files, errors, strict=True) if e is None], skipped


def scan_domain(folder: str | os.PathLike, workers: int = 8) -> dict:
    """Decode every image of ``folder`` (and its sub-folders) once; return ``{"files": [...readable],
    "skipped": [(path, reason)]}``.

    Unreadable files and images over the pixel limit (``image_io.max_image_pixels``) are skipped and reported
    ONCE here (one warning with their counts by reason and the first few), so training never stops on them.
    Raises ``ValueError`` naming the folder when nothing is readable.
    """
    good, skipped = check_images(list_images(folder, recursive=True), workers)
    if skipped.entries:
        logger.warning("%s: %s", folder, skipped.summary())
    if not good:
        raise ValueError(f"no readable images in folder {folder} ({skipped.summary()})")
    return {"files": good, "skipped": skipped.entries}


def decode_file(path: tf.Tensor) -> tf.Tensor:
    """Read one image file inside tf.data as uint8 RGB (any mode or bit depth, via image_io)."""
    image = tf.numpy_function(lambda p: read_image_rgb(p.decode()), [path], tf.uint8, stateful=False)
    image.set_shape([None, None, 3])
    return image


def epoch_order(count: int, seed: int, stream: int) -> tf.data.Dataset:
    """Infinite stream of file indices: epoch ``e`` is a permutation seeded by ``(seed, stream, e)``."""

    def permutation(epoch):
        keys = tf.random.stateless_uniform([count], tf.stack([tf.cast(seed * 2 + stream, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(tf.argsort(keys))

    return tf.data.Dataset.range(2**62).flat_map(permutation)


def resize_for_crop(image: tf.Tensor, mode: str, load_size: int, crop_size: int) -> tf.Tensor:
    """float32 (H, W, 3) resized for the ``crop_size``² random crop as ``mode`` says (bicubic, antialiased).

    - ``resize_and_crop``: to ``load_size``² (aspect ratio lost; the official recipe).
    - ``scale_width_and_crop``: width to ``load_size``, height by the aspect ratio (at least ``crop_size``).
    - ``none``: no rescaling, the crop is taken at the image's own resolution; only images smaller than the
      crop are enlarged (aspect kept) so that it fits.
    """
    if mode == "resize_and_crop":
        size = tf.constant([load_size, load_size])
    else:
        shape = tf.cast(tf.shape(image)[:2], tf.float32)
        if mode == "scale_width_and_crop":
            size = tf.stack([tf.maximum(tf.round(load_size * shape[0] / shape[1]), crop_size), float(load_size)])
        elif mode == "none":
            size = tf.math.ceil(shape * tf.maximum(1.0, crop_size / tf.reduce_min(shape)))
        else:
            raise ValueError(f"resize_for_crop: mode must be one of {', '.join(PREPROCESS_MODES)}, got {mode!r}")
        size = tf.cast(size, tf.int32)
    return tf.image.resize(image, size, method="bicubic", antialias=True)


def preprocess(
    image: tf.Tensor, seed: tf.Tensor, load_size: int, crop_size: int, flip: bool, mode: str = "resize_and_crop"
) -> tf.Tensor:
    """uint8 (H, W, 3) → float32 (crop, crop, 3) in [-1, 1]: resize (``mode``, see :func:`resize_for_crop`),
    random crop, flip."""
    image = resize_for_crop(tf.cast(image, tf.float32), mode, load_size, crop_size)
    image = tf.clip_by_value(image, 0.0, 255.0) / 127.5 - 1.0
    if mode != "resize_and_crop" or load_size > crop_size:
        image = tf.image.stateless_random_crop(image, [crop_size, crop_size, 3], seed=seed)
    if flip:
        image = tf.image.stateless_random_flip_left_right(image, seed=seed + 1)
    return image


def train_dataset(
    files_a: list,
    files_b: list,
    batch_size: int,
    load_size: int,
    crop_size: int,
    flip: bool = True,
    seed: int = 0,
    start_example: int = 0,
    preprocess_mode: str = "resize_and_crop",
) -> tf.data.Dataset:
    """Endless dataset of ``{"A": (batch, crop, crop, 3), "B": ...}`` global batches in [-1, 1].

    Args:
        files_a: readable files of domain A (see ``scan_domain``).
        files_b: readable files of domain B.
        batch_size: GLOBAL batch size; the strategy splits it over replicas.
        load_size: resize size before cropping.
        crop_size: training resolution.
        flip: random horizontal flips.
        seed: data seed (file order and augmentation).
        start_example: index of the first example, ``step · batch_size`` when resuming.
        preprocess_mode: ``resize_and_crop``, ``scale_width_and_crop`` or ``none`` (:func:`resize_for_crop`).
    """
    paths_a = tf.constant([str(p) for p in files_a])
    paths_b = tf.constant([str(p) for p in files_b])
    indices = tf.data.Dataset.zip(
        tf.data.Dataset.range(2**62), epoch_order(len(files_a), seed, 0), epoch_order(len(files_b), seed, 1)
    ).skip(start_example)

    def load(k, i, j):
        seed_a = tf.stack([tf.cast(seed + _DATA_SEED_SALT, tf.int64), 4 * k])
        seed_b = tf.stack([tf.cast(seed + _DATA_SEED_SALT, tf.int64), 4 * k + 2])
        return {
            "A": preprocess(decode_file(tf.gather(paths_a, i)), seed_a, load_size, crop_size, flip, preprocess_mode),
            "B": preprocess(decode_file(tf.gather(paths_b, j)), seed_b, load_size, crop_size, flip, preprocess_mode),
        }

    dataset = indices.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE).with_options(options)


def domain_folders(dataroot: str | os.PathLike) -> dict[str, Path]:
    """The train folders of ``dataroot``, with a clear error naming whatever is missing."""
    root = Path(dataroot)
    if not root.is_dir():
        raise FileNotFoundError(f"--dataroot {root} does not exist")
    folders = {"A": root / "trainA", "B": root / "trainB"}
    missing = [str(f) for f in folders.values() if not f.is_dir()]
    if missing:
        raise FileNotFoundError(f"--dataroot {root} must contain trainA/ and trainB/; missing: {', '.join(missing)}")
    return folders


def sample_images(dataroot: str | os.PathLike, domain: str, count: int, size: int) -> np.ndarray:
    """A fixed (count, size, size, 3) float32 batch in [-1, 1] for sample grids, from ``test{domain}`` if it has
    readable images, else ``train{domain}`` (first files, resized; no randomness)."""
    root = Path(dataroot)
    for folder in (root / f"test{domain}", root / f"train{domain}"):
        try:
            files = list_images(folder, recursive=True)
        except (FileNotFoundError, ValueError):
            continue
        images = []
        for path in files:
            try:
                images.append(read_image_rgb(path))
            except UnreadableImageError:  # over the pixel limit or unreadable: reported by scan_domain
                continue
            if len(images) == count:
                break
        if images:
            resized = [
                tf.image.resize(tf.cast(im, tf.float32), [size, size], "bicubic", antialias=True) for im in images
            ]
            return (tf.clip_by_value(tf.stack(resized), 0.0, 255.0) / 127.5 - 1.0).numpy()
    raise ValueError(f"no readable images for domain {domain} in {root}")
