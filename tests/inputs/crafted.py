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
