"""Procedural multi-domain demo: objects of several colours and textures on SHARED backgrounds, offline.

Every domain draws its background and object shape/position from the same distributions as the two-domain
demo (:mod:`attentiongan_tf.data.demo`); only the object's hue range and texture depend on the domain. A
good translator therefore recolours/retextures the object and keeps the background. Layout written::

    root/train/<domain>/0000.png ...   root/test/<domain>/0000.png ...   (folder-per-domain layout)
    root/train_labels.csv, root/test_labels.csv                          (CSV layout: filename,<domains>)

The CSV files list the same images with one-hot labels, so both data layouts can be tried on the demo.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
from PIL import Image

from attentiongan_tf.data.demo import DemoDomain, hsv_to_rgb, random_background, random_shape_mask

DEMO_DOMAINS = {
    "red": DemoDomain((0.97, 0.03), "stripes"),
    "blue": DemoDomain((0.58, 0.66), "dots"),
    "violet": DemoDomain((0.76, 0.84), "checker"),
    "orange": DemoDomain((0.06, 0.1), "plain"),
}
_VERSION = 1


def _texture(kind: str, size: int) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size]
    period = max(4, size // 8)
    if kind == "stripes":
        return ((x + y) // (period // 2 + 1)) % 2 == 0
    if kind == "dots":
        return ((x % period) - period / 2) ** 2 + ((y % period) - period / 2) ** 2 < (period / 3) ** 2
    if kind == "checker":
        return ((x // period) + (y // period)) % 2 == 0
    return np.zeros((size, size), bool)


def make_example(rng: np.random.Generator, domain: str, size: int) -> dict[str, np.ndarray]:
    """One (size, size, 3) uint8 image of ``domain`` and its (size, size) uint8 object mask (255 = object)."""
    if domain not in DEMO_DOMAINS:
        raise ValueError(f"unknown demo domain {domain!r}; choose from {sorted(DEMO_DOMAINS)}")
    spec = DEMO_DOMAINS[domain]
    low, high = spec.hue
    mask = random_shape_mask(rng, size)
    hue = rng.uniform(low, high + (1.0 if high < low else 0.0))
    base = hsv_to_rgb(hue, rng.uniform(0.8, 1.0), rng.uniform(0.8, 1.0))
    obj = np.where(_texture(spec.texture, size)[..., None], base * 0.55, base)
    image = np.where(mask[..., None], obj, random_background(rng, size))
    return {"image": np.round(np.clip(image, 0, 1) * 255).astype(np.uint8), "mask": mask.astype(np.uint8) * 255}


def write_multidomain_demo(
    root: str | os.PathLike,
    domains: tuple[str, ...] = ("red", "blue", "violet"),
    size: int = 32,
    train: int = 64,
    test: int = 8,
    seed: int = 0,
) -> dict:
    """Write the demo under ``root`` (or reuse an identical complete one) and describe it.

    Domains are sorted by name. Raises ``FileExistsError`` when ``root`` exists with other content (nothing
    a user made is overwritten).

    Returns:
        dict with ``root``, ``train_dir``, ``test_dir``, ``train_csv``, ``test_csv`` (paths) and ``domains``.
    """
    root = Path(root)
    domains = tuple(sorted(domains))  # the folder layout sorts its domains: keep the CSV columns in that order
    unknown = [d for d in domains if d not in DEMO_DOMAINS]
    if unknown or len(domains) < 2 or len(set(domains)) != len(domains):
        raise ValueError(f"demo domains must be 2+ distinct names from {sorted(DEMO_DOMAINS)}, got {list(domains)}")
    meta = {"version": _VERSION, "domains": list(domains), "size": size, "train": train, "test": test, "seed": seed}
    marker = root / "multidomain_demo.json"
    info = {
        "root": root,
        "train_dir": root / "train",
        "test_dir": root / "test",
        "train_csv": root / "train_labels.csv",
        "test_csv": root / "test_labels.csv",
        "domains": list(domains),
    }
    if marker.is_file() and json.loads(marker.read_text()) == meta:
        return info
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} exists and is not a multi-domain demo with {meta}; choose another folder")
    for split, count in (("train", train), ("test", test)):
        rows = []
        for index, domain in enumerate(domains):
            rng = np.random.default_rng([seed, split == "test", list(DEMO_DOMAINS).index(domain)])
            folder = root / split / domain
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                Image.fromarray(make_example(rng, domain, size)["image"]).save(folder / f"{i:04d}.png")
                rows.append([f"{domain}/{i:04d}.png"] + [int(j == index) for j in range(len(domains))])
        with open(root / f"{split}_labels.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["filename", *domains])
            writer.writerows(rows)
    marker.write_text(json.dumps(meta))
    return info
