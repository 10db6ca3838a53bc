"""Procedural two-domain demo dataset: same backgrounds, different foreground objects, with GT masks.

Domain A holds warm (red/orange) objects with stripes, domain B cool (blue/cyan) objects with dots; shape,
position, size and the background (gradients, stripes, soft blobs in muted colours) are drawn from the SAME
distribution for both. A good translator must therefore change the object and keep the background, which
the attention masks make visible. Ground-truth foreground masks are written beside the images:
``trainA/0001.png`` has ``trainA_masks/0001.png`` (255 = object).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class DemoDomain:
    """How the objects of one demo domain look.

    Args:
        hue: (low, high) hue range in [0, 1]; ``high < low`` wraps around red (e.g. 0.98 to 0.08).
        texture: ``stripes``, ``dots``, ``checker`` or ``plain``.
    """

    hue: tuple[float, float]
    texture: str


DOMAINS = {"A": DemoDomain((0.98, 0.08), "stripes"), "B": DemoDomain((0.52, 0.66), "dots")}
_VERSION = 1


def hsv_to_rgb(h: np.ndarray | float, s: np.ndarray | float, v: np.ndarray | float) -> np.ndarray:
    """HSV in [0, 1] to RGB in [0, 1], elementwise (numpy arrays or scalars)."""
    h = np.mod(h, 1.0) * 6.0
    i = np.floor(h).astype(int) % 6
    f = h - np.floor(h)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    rgb = np.zeros(np.broadcast(h, s, v).shape + (3,))
    for k, (r, g, b) in enumerate(table):
        rgb[i == k] = np.stack(np.broadcast_arrays(r, g, b), -1)[i == k]
    return rgb


def random_background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A random background (gradient, stripes or blobs) shared by both domains: float RGB in [0, 1], (size, size, 3)."""
    y, x = np.mgrid[0:size, 0:size] / size
    # Muted colours (low saturation) with hues in the green/yellow/grey range, never the objects' hues.
    def colour():
        return hsv_to_rgb(rng.uniform(0.12, 0.4), rng.uniform(0.0, 0.35), rng.uniform(0.3, 0.9))

    kind = rng.integers(3)
    c0, c1 = colour(), colour()
    if kind == 0:
        angle = rng.uniform(0, np.pi)
        t = np.clip(np.cos(angle) * x + np.sin(angle) * y, 0, 1)[..., None]
        return c0 * (1 - t) + c1 * t
    if kind == 1:
        period = rng.uniform(0.15, 0.4)
        t = (np.sin((x + rng.uniform() * y) / period * 2 * np.pi) > 0)[..., None]
        return np.where(t, c0, c1)
    image = np.broadcast_to(c0, (size, size, 3)).copy()
    for _ in range(3):
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.15, 0.35)
        w = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))[..., None]
        image = image * (1 - w) + colour() * w
    return image


def random_shape_mask(rng: np.random.Generator, size: int) -> np.ndarray:
    """A random object silhouette as a boolean (size, size) mask."""
    y, x = np.mgrid[0:size, 0:size] / size
    cx, cy = rng.uniform(0.3, 0.7, size=2)
    r = rng.uniform(0.16, 0.28)
    kind = rng.integers(3)
    if kind == 0:
        return (x - cx) ** 2 + (y - cy) ** 2 < r * r
    if kind == 1:
        return (np.abs(x - cx) < r * 0.85) & (np.abs(y - cy) < r * 0.85)
    return (np.abs(x - cx) + np.abs(y - cy)) < r * 1.2


def _object(rng: np.random.Generator, domain: str, size: int) -> np.ndarray:
    spec = DOMAINS[domain]
    low, high = spec.hue
    hue = rng.uniform(low, high + (1.0 if high < low else 0.0))
    base = hsv_to_rgb(hue, rng.uniform(0.75, 1.0), rng.uniform(0.75, 1.0))
    y, x = np.mgrid[0:size, 0:size]
    period = max(3, size // 8)
    if spec.texture == "stripes":
        pattern = ((x + y) // (period // 2 + 1)) % 2 == 0
    else:
        pattern = ((x % period) - period / 2) ** 2 + ((y % period) - period / 2) ** 2 < (period / 3) ** 2
    return np.where(pattern[..., None], base * 0.55, base)


def make_example(rng: np.random.Generator, domain: str, size: int) -> dict[str, np.ndarray]:
    """One (size, size, 3) uint8 image of ``domain`` and its (size, size) uint8 mask (255 = object)."""
    mask = random_shape_mask(rng, size)
    image = np.where(mask[..., None], _object(rng, domain, size), random_background(rng, size))
    return {"image": np.round(np.clip(image, 0, 1) * 255).astype(np.uint8), "mask": mask.astype(np.uint8) * 255}


def write_demo_dataset(
    root: str | os.PathLike, size: int = 32, train: int = 256, test: int = 16, seed: int = 0
) -> Path:
    """Write ``root/{trainA,trainB,testA,testB}`` PNGs plus ``*_masks`` folders; reuse a complete identical one.

    Raises ``FileExistsError`` when ``root`` exists and is not a demo dataset with the same parameters
    (nothing a user made is overwritten).
    """
    root = Path(root)
    meta = {"version": _VERSION, "size": size, "train": train, "test": test, "seed": seed}
    marker = root / "demo_dataset.json"
    if marker.is_file() and json.loads(marker.read_text()) == meta:
        return root
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} exists and is not a demo dataset with {meta}; choose another folder")
    for split, count in (("train", train), ("test", test)):
        for domain in DOMAINS:
            rng = np.random.default_rng([seed, (split == "test") * 2 + (domain == "B")])
            (root / f"{split}{domain}").mkdir(parents=True, exist_ok=True)
            (root / f"{split}{domain}_masks").mkdir(parents=True, exist_ok=True)
            for i in range(count):
                example = make_example(rng, domain, size)
                Image.fromarray(example["image"]).save(root / f"{split}{domain}" / f"{i:04d}.png")
                Image.fromarray(example["mask"]).save(root / f"{split}{domain}_masks" / f"{i:04d}.png")
    marker.write_text(json.dumps(meta))
    return root


def read_mask(image_path: str | os.PathLike) -> np.ndarray:
    """The ground-truth (H, W) bool mask written beside a demo image (``trainA/x.png`` → ``trainA_masks/x.png``)."""
    path = Path(image_path)
    mask_path = path.parent.with_name(path.parent.name + "_masks") / path.name
    if not mask_path.is_file():
        raise FileNotFoundError(f"no ground-truth mask {mask_path} for {path}")
    return np.asarray(Image.open(mask_path)) > 127
