"""Reading user images robustly: any PIL mode to 8-bit RGB, clear errors for bad files and folders."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


class UnreadableImageError(ValueError):
    """An image file that cannot be decoded (corrupt, truncated, not an image); the message names the path."""


def _to_uint8_rgb(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16/32-bit grayscale: scale the full integer range to 8 bits.
        array = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
        gray = np.clip(np.round(array / top * 255.0), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=-1)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Composite transparent pixels on white rather than on arbitrary stored colours.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(background, rgba).convert("RGB"), dtype=np.uint8)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def read_image_rgb(path: str | os.PathLike) -> np.ndarray:
    """Read any image PIL understands as a (H, W, 3) uint8 RGB array.

    Grayscale, RGBA (composited on white), palette, CMYK and 16-bit images are converted; EXIF orientation
    is NOT applied (datasets are stored upright). Raises ``UnreadableImageError`` naming ``path`` for corrupt,
    truncated or non-image files, and ``FileNotFoundError`` for missing ones.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image file not found: {path}")
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(path) as image:
            image.load()
            array = _to_uint8_rgb(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise UnreadableImageError(f"cannot read image {path}: {error}") from error
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous
    if array.ndim != 3 or array.shape[0] == 0 or array.shape[1] == 0:
        raise UnreadableImageError(f"cannot read image {path}: empty image of shape {array.shape}")
    return array


def list_images(folder: str | os.PathLike) -> list[Path]:
    """Sorted image files (jpg/jpeg/png/bmp/webp, any case) directly inside ``folder``.

    Raises ``FileNotFoundError`` when the folder does not exist and ``ValueError`` when it holds no image;
    both messages name the folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"image folder not found: {folder}")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise ValueError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) in folder {folder}")
    return files
