"""Reading user images robustly: any PIL mode to 8-bit RGB, one pixel limit, clear errors for bad files and folders.

Every reader of the project (training scan and stream, sample grids, multi-domain data, translate, evaluate,
export calibration) goes through :func:`read_image_rgb`, so the pixel limit of :func:`max_image_pixels` holds
everywhere: the size in the file header is checked before any pixel is decoded.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff")
MAX_PIXELS_ENV = "ATTENTIONGAN_MAX_IMAGE_PIXELS"
# 64 MP holds every camera photo (61 MP full-frame sensors, 48-50 MP phones) and is ~1000 times a 256² training
# image. Reading costs up to ~10.5 bytes per pixel at peak (measured on a grayscale PNG: PIL's image, its RGB
# conversion and the numpy copy), so ~0.7 GB at the limit. PIL alone decodes up to 179 MP (its error threshold).
DEFAULT_MAX_IMAGE_PIXELS = 64_000_000

# Our limit replaces PIL's DecompressionBombWarning (emitted at open time, before our check can refuse the file).
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """float [-1, 1] -> uint8 [0, 255] (rounded, clipped), as the ``serving_default`` signature does."""
    return np.round(np.clip((np.asarray(image) + 1.0) * 127.5, 0.0, 255.0)).astype(np.uint8)


class UnreadableImageError(ValueError):
    """An image file that cannot be decoded (corrupt, truncated, not an image); the message names the path."""


class ImageTooLargeError(UnreadableImageError):
    """An image whose header declares more pixels than :func:`max_image_pixels` (a possible decompression bomb)."""


def max_image_pixels(max_pixels: int | None = None) -> int:
    """The pixel limit: ``max_pixels`` if given, else ``$ATTENTIONGAN_MAX_IMAGE_PIXELS``, else 64 000 000.

    Raises ``ValueError`` naming the variable when it is not a positive integer.
    """
    if max_pixels is not None:
        return int(max_pixels)
    text = os.environ.get(MAX_PIXELS_ENV, "").strip().replace("_", "")
    if not text:
        return DEFAULT_MAX_IMAGE_PIXELS
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{MAX_PIXELS_ENV} must be a positive integer number of pixels, got {text!r}")
    return int(text)


def _too_large(path: Path, size: tuple[int, int], limit: int) -> ImageTooLargeError:
    width, height = size
    return ImageTooLargeError(
        f"image {path} has {width}×{height} = {width * height:,} pixels, over the pixel limit of {limit:,} "
        f"(raise it with {MAX_PIXELS_ENV})"
    )


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


def read_image_rgb(path: str | os.PathLike, max_pixels: int | None = None) -> np.ndarray:
    """Read any image PIL understands as a (H, W, 3) uint8 RGB array (the first frame of a GIF or TIFF).

    Grayscale, RGBA (composited on white), palette, CMYK and 16-bit images are converted; EXIF orientation
    is NOT applied (datasets are stored upright).

    Args:
        path: the image file.
        max_pixels: pixel limit (default :func:`max_image_pixels`), checked on the header before decoding.

    Raises:
        ImageTooLargeError: the image has more pixels than the limit (a subclass of ``UnreadableImageError``).
        UnreadableImageError: corrupt, truncated or non-image files; the message names ``path``.
        FileNotFoundError: ``path`` does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image file not found: {path}")
    limit = max_image_pixels(max_pixels)
    if Image.MAX_IMAGE_PIXELS is not None and limit > 2 * Image.MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = limit  # PIL refuses more than twice this in Image.open: let our limit hold.
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(path) as image:
            if image.width * image.height > limit:
                raise _too_large(path, image.size, limit)
            image.load()
            array = _to_uint8_rgb(image)
    except Image.DecompressionBombError as error:
        raise ImageTooLargeError(f"image {path} is over the pixel limit of {limit:,}: {error}") from error
    except UnreadableImageError:
        raise
    except (OSError, SyntaxError, ValueError) as error:
        raise UnreadableImageError(f"cannot read image {path}: {error}") from error
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous
    if array.ndim != 3 or array.shape[0] == 0 or array.shape[1] == 0:
        raise UnreadableImageError(f"cannot read image {path}: empty image of shape {array.shape}")
    return array


@dataclass
class SkippedImages:
    """Images left out by a reader, with the reason: over the pixel limit or unreadable (a one-line summary)."""

    entries: list[tuple[Path, str]] = field(default_factory=list)
    over_limit: int = 0

    def add(self, path: Path, error: Exception) -> None:
        """Record ``path`` as skipped because of ``error``."""
        self.entries.append((Path(path), str(error)))
        self.over_limit += isinstance(error, ImageTooLargeError)

    @property
    def unreadable(self) -> int:
        return len(self.entries) - self.over_limit

    def counts(self) -> dict[str, int]:
        return {"over_pixel_limit": self.over_limit, "unreadable": self.unreadable}

    def summary(self, examples: int = 3) -> str | None:
        """``"N image(s) skipped: X over the pixel limit, Y unreadable (e.g. ...)"`` with the first ``examples``
        reasons, or None when none were."""
        if not self.entries:
            return None
        count = len(self.entries)
        line = f"{count} image(s) skipped: {self.over_limit} over the pixel limit, {self.unreadable} unreadable"
        shown = "; ".join(reason for _, reason in self.entries[:examples])
        return f"{line} (e.g. {shown})" if shown else line


def read_images(paths: list[Path], skipped: SkippedImages) -> list[tuple[Path, np.ndarray]]:
    """``(path, image)`` for every readable path, in order; the others are recorded in ``skipped``."""
    read = []
    for path in paths:
        try:
            read.append((path, read_image_rgb(path)))
        except UnreadableImageError as error:
            skipped.add(path, error)
    return read


def list_images(folder: str | os.PathLike, recursive: bool = False) -> list[Path]:
    """Sorted image files (jpg/jpeg/png/bmp/webp/gif/tif/tiff, any case) in ``folder``.

    Args:
        folder: the folder to list.
        recursive: also list sub-folders (training domains, as CycleGAN's ``make_dataset``). The order is the
            sorted relative paths, whatever the file system's order. Hidden entries (``.name``) and symbolic
            links to folders are not searched.

    Whatever is left out (non-image files, sub-folders not searched) is counted in ONE warning line.
    Raises ``FileNotFoundError`` when the folder does not exist and ``ValueError`` when it holds no image;
    both messages name the folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"image folder not found: {folder}")
    files: list[Path] = []
    other_files: list[Path] = []
    skipped_dirs: list[Path] = []
    for directory, dirnames, filenames in os.walk(folder):
        base = Path(directory)
        searched = [d for d in dirnames if recursive and not d.startswith(".") and not (base / d).is_symlink()]
        skipped_dirs += [base / d for d in dirnames if d not in searched]
        dirnames[:] = searched
        for name in filenames:
            is_image = not name.startswith(".") and Path(name).suffix.lower() in IMAGE_EXTENSIONS
            (files if is_image else other_files).append(base / name)
    ignored = _ignored_line(folder, other_files, skipped_dirs, recursive)
    if not files:
        found = f"; {ignored}" if ignored else ""
        raise ValueError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) in folder {folder}{found}")
    if ignored:
        logger.warning("%s: %s", folder, ignored)
    return sorted(files, key=lambda path: path.relative_to(folder).parts)


def _ignored_line(folder: Path, other_files: list[Path], skipped_dirs: list[Path], recursive: bool) -> str:
    parts = []
    if other_files:
        names = ", ".join(p.relative_to(folder).as_posix() for p in sorted(other_files)[:3])
        parts.append(f"{len(other_files)} non-image file(s) (e.g. {names})")
    if skipped_dirs:
        names = ", ".join(p.relative_to(folder).as_posix() + "/" for p in sorted(skipped_dirs)[:3])
        why = "hidden or symbolic links" if recursive else "sub-folders are not searched here"
        parts.append(f"{len(skipped_dirs)} sub-folder(s) ({why}: {names})")
    return f"ignored {' and '.join(parts)}" if parts else ""
