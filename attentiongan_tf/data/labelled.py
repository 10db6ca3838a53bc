"""Labelled multi-domain data: folder-per-domain and CSV / CelebA attribute-file layouts, and the tf.data stream.

- ``folders``: ``root/<domain>/*.png``; each sub-folder is a domain (sorted names), labels are one-hot.
- ``csv``: ``filename,attr1,attr2,...`` with 0/1 (or -1/1) values, file names relative to the image root;
  or CelebA's ``list_attr_celeba.txt`` (line 1 the count, line 2 the attribute names, then
  ``file v1 v2 ...`` separated by spaces). Labels are multi-hot, ``attributes`` selects columns.

Like the two-domain pipeline, example ``k`` of the stream is a pure function of ``(seed, k)`` (file order,
augmentation and the random target label), so resuming at step ``s`` rebuilds it from example ``s · batch``.
"""

from __future__ import annotations

import csv
import logging
import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from attentiongan_tf.data.images import IMAGE_EXTENSIONS, read_image_rgb
from attentiongan_tf.data.unpaired import check_images, decode_file, epoch_order, preprocess, scan_domain

logger = logging.getLogger(__name__)
_TARGET_SALT = 104_729


def folder_domains(root: str | os.PathLike) -> dict:
    """Scan ``root/<domain>/`` folders: ``{"files": [Path], "labels": (N, c) float32 one-hot, "domains": [str]}``.

    Each domain folder is searched recursively; unreadable images and images over the pixel limit are skipped
    with one warning per folder. Raises ``FileNotFoundError`` / ``ValueError``
    naming ``root`` when it is missing or has fewer than two domain folders.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"--dataroot {root} does not exist")
    domains = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(domains) < 2:
        raise ValueError(f"--dataroot {root} needs one sub-folder of images per domain (at least 2), found {domains}")
    files, labels = [], []
    for index, domain in enumerate(domains):
        found = scan_domain(root / domain)["files"]
        files += found
        labels += [np.eye(len(domains), dtype=np.float32)[index]] * len(found)
    return {"files": files, "labels": np.stack(labels), "domains": domains}


def _read_rows(path: Path) -> dict:
    """Header and rows of a CSV or a CelebA attribute file (detected by its first line being a count)."""
    lines = path.read_text().splitlines()
    if lines and lines[0].strip().isdigit():
        header = ["filename", *lines[1].split()]
        rows = [(i + 3, line.split()) for i, line in enumerate(lines[2:]) if line.strip()]
        return {"header": header, "rows": rows}
    reader = list(csv.reader(lines))
    if not reader:
        raise ValueError(f"--labels-csv {path} is empty")
    return {"header": [h.strip() for h in reader[0]], "rows": [(i + 2, r) for i, r in enumerate(reader[1:]) if r]}


def csv_domains(
    labels_csv: str | os.PathLike, image_root: str | os.PathLike | None = None, attributes: list[str] | None = None
) -> dict:
    """Read a label file: ``{"files": [Path], "labels": (N, c) float32 multi-hot, "domains": [attribute]}``.

    Args:
        labels_csv: CSV with a header ``filename,attr...`` or a CelebA ``list_attr_celeba.txt``.
        image_root: folder the file names are relative to (default: the label file's folder).
        attributes: columns to keep, in this order (default: every attribute column).

    Unreadable images and images over the pixel limit are skipped with one warning (counts by reason).
    Raises ``FileNotFoundError`` or ``ValueError`` naming the file (and line) for a missing file, unknown
    attribute, malformed row, value other than 0/1/-1, images that do not exist or no readable image.
    """
    path = Path(labels_csv)
    if not path.is_file():
        raise FileNotFoundError(f"--labels-csv {path} does not exist")
    root = Path(image_root) if image_root is not None else path.parent
    if not root.is_dir():
        raise FileNotFoundError(f"image root {root} for --labels-csv {path} does not exist")
    table = _read_rows(path)
    header = table["header"]
    names = list(attributes) if attributes else header[1:]
    unknown = [a for a in names if a not in header[1:]]
    if unknown or len(names) < 1:
        raise ValueError(f"attribute(s) {unknown or names} not in --labels-csv {path}; it has {header[1:]}")
    columns = [header.index(a) for a in names]
    values = {"1": 1.0, "0": 0.0, "-1": 0.0, "1.0": 1.0, "0.0": 0.0, "-1.0": 0.0}
    files, labels = [], []
    for line, row in table["rows"]:
        if len(row) != len(header):
            raise ValueError(f"{path}:{line}: expected {len(header)} fields, got {len(row)}")
        try:
            labels.append([values[row[c].strip()] for c in columns])
        except KeyError as error:
            raise ValueError(f"{path}:{line}: label values must be 0/1 or -1/1, got {error.args[0]!r}") from None
        files.append(root / row[0].strip())
    if not files:
        raise ValueError(f"--labels-csv {path} lists no images")
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} image(s) listed in {path} do not exist, e.g. {missing[:3]}")
    bad_type = [str(f) for f in files if f.suffix.lower() not in IMAGE_EXTENSIONS]
    if bad_type:
        raise ValueError(f"{path} lists files that are not images ({', '.join(IMAGE_EXTENSIONS)}): {bad_type[:3]}")
    good, skipped = check_images(files)
    if skipped.entries:
        logger.warning("%s: %s", path, skipped.summary())
    if not good:
        raise ValueError(f"no readable images listed in --labels-csv {path} ({skipped.summary()})")
    keep = set(good)
    rows = [i for i, f in enumerate(files) if f in keep]
    return {"files": good, "labels": np.asarray(labels, np.float32)[rows], "domains": names}


def load_labelled_images(
    dataroot: str | os.PathLike, layout: str = "auto", labels_csv: str | None = None, attributes: list | None = None
) -> dict:
    """Dispatch on ``layout`` (``auto`` = ``csv`` when ``labels_csv`` is given, else ``folders``)."""
    if layout == "auto":
        layout = "csv" if labels_csv else "folders"
    if layout == "csv":
        if not labels_csv:
            raise ValueError("the csv layout needs --labels-csv")
        return csv_domains(labels_csv, dataroot, attributes)
    if layout == "folders":
        return folder_domains(dataroot)
    raise ValueError(f"--layout must be auto, folders or csv, got {layout!r}")


def resolve_classification(labels: np.ndarray, requested: str = "auto") -> str:
    """``single_label`` when every label is one-hot (``auto``), else ``multi_label``; checks explicit choices."""
    one_hot = bool(np.all(labels.sum(axis=1) == 1))
    if requested == "auto":
        return "single_label" if one_hot else "multi_label"
    if requested == "single_label" and not one_hot:
        raise ValueError("--classification single_label needs exactly one active domain per image")
    return requested


def parse_target(text: str, domains: list[str]) -> np.ndarray:
    """A target label from ``"blue"``, ``"Black_Hair+Male"`` (names joined by ``+``) or ``"0,1,0"``."""
    parts = [p.strip() for p in text.replace("+", ",").split(",") if p.strip()]
    if len(parts) == len(domains) and all(p in ("0", "1") for p in parts):
        return np.asarray([float(p) for p in parts], np.float32)
    unknown = [p for p in parts if p not in domains]
    if unknown or not parts:
        raise ValueError(
            f"--target-domain {text!r}: unknown domain(s) {unknown}; choose from {domains} "
            f"or give {len(domains)} comma-separated 0/1 values"
        )
    return np.asarray([float(d in parts) for d in domains], np.float32)


def train_dataset(
    files: list,
    labels: np.ndarray,
    batch_size: int,
    image_size: int,
    flip: bool = True,
    seed: int = 0,
    start_example: int = 0,
) -> tf.data.Dataset:
    """Endless ``{"image": (B, S, S, 3) in [-1, 1], "label": (B, c), "target": (B, c)}`` global batches.

    ``target`` is the label of another random training image (StarGAN shuffles labels within the batch;
    drawing from the whole set keeps the same distribution and also works for batch size 1).
    """
    paths = tf.constant([str(p) for p in files])
    label_table = tf.constant(labels, tf.float32)
    count = len(files)
    indices = tf.data.Dataset.zip(tf.data.Dataset.range(2**62), epoch_order(count, seed, 0)).skip(start_example)

    def load(k, i):
        key = tf.stack([tf.cast(seed + _TARGET_SALT, tf.int64), k])
        other = tf.random.stateless_uniform([], key, maxval=count, dtype=tf.int32)
        image = preprocess(decode_file(tf.gather(paths, i)), key * 3, image_size, image_size, flip)
        return {"image": image, "label": tf.gather(label_table, i), "target": tf.gather(label_table, other)}

    dataset = indices.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def sample_batch(files: list, labels: np.ndarray, image_size: int, per_domain: int = 1) -> dict:
    """A fixed batch for sample grids: the first ``per_domain`` images having each label column active."""
    chosen = []
    for column in range(labels.shape[1]):
        chosen += [i for i in np.flatnonzero(labels[:, column] > 0) if i not in chosen][:per_domain]
    chosen = chosen or [0]
    seed = tf.constant([0, 0], tf.int64)
    images = [preprocess(tf.constant(read_image_rgb(files[i])), seed, image_size, image_size, False) for i in chosen]
    return {"image": tf.stack(images).numpy(), "label": labels[chosen]}
