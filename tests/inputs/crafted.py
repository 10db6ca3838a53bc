"""Crafted image files for the hostile-input tests: huge PNGs written without ever holding their pixels."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_bomb_png(path: Path, width: int, height: int) -> Path:
    """A valid 8-bit grayscale PNG of ``width`` × ``height`` black pixels, compressed row by row.

    11000² pixels (121 MB decoded) give a file of about 120 KB: a decompression bomb.
    """
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte 0 (None) + one byte per pixel
    parts = [compressor.compress(row) for _ in range(height)]
    data = b"".join(parts) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b""))
    return path


def write_foreign_savedmodel(path: Path, kind: str = "fitting") -> Path:
    """A SavedModel someone else wrote (plain ``tf.Module``, no export marker).

    ``kind``: ``fitting`` has our ``translate_float`` signature (images -> image, attention, content; it returns
    the input unchanged), ``labels`` the same with a multi-domain ``labels`` input, ``unrelated`` only a
    ``serving_default`` (x -> 2x).
    """
    import tensorflow as tf

    images = tf.TensorSpec([None, None, None, 3], tf.float32, name="images")

    def identity(images):
        mask = tf.ones_like(images[..., :1])
        return {"image": images, "attention": mask, "content": images[..., tf.newaxis, :]}

    if kind == "fitting":
        signatures = {"translate_float": tf.function(identity, input_signature=[images])}
    elif kind == "labels":
        labels = tf.TensorSpec([None, 3], tf.float32, name="labels")
        signatures = {"translate_float": tf.function(lambda images, labels: identity(images), [images, labels])}
    else:
        signatures = {"serving_default": tf.function(lambda x: {"y": 2 * x}, [tf.TensorSpec([None], tf.float32)])}
    tf.saved_model.save(tf.Module(), str(path), signatures=signatures)
    return path
