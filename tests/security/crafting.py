"""Hand-assembled ``torch.save`` files (torch is not needed): the genuine layout, and ways to lie in it.

``encode`` writes pickle opcodes for a tiny tree of :class:`Global`, :class:`Call`, :class:`PersistentId`
and plain values, the way torch's pickler lays out a state dict (see tests/data/torch_*.pth).
"""

from __future__ import annotations

import pickle
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any, NamedTuple

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class Global(NamedTuple):
    module: str
    name: str


class Call(NamedTuple):
    function: Any
    args: tuple


class PersistentId(NamedTuple):
    value: Any


class OrderedDictOf(NamedTuple):
    items: dict


class Raw(NamedTuple):
    opcodes: bytes


def encode(obj: Any) -> bytes:
    """Pickle opcodes (protocol 2) building ``obj``."""
    if isinstance(obj, Global):
        return b"c" + f"{obj.module}\n{obj.name}\n".encode()
    if isinstance(obj, Call):
        return encode(obj.function) + encode(tuple(obj.args)) + b"R"
    if isinstance(obj, PersistentId):
        return encode(obj.value) + b"Q"
    if isinstance(obj, Raw):
        return obj.opcodes
    if isinstance(obj, OrderedDictOf):
        pairs = b"".join(encode(k) + encode(v) for k, v in obj.items.items())
        return encode(Call(Global("collections", "OrderedDict"), ())) + b"(" + pairs + b"u"
    if isinstance(obj, tuple):
        return b"(" + b"".join(encode(v) for v in obj) + b"t"
    if isinstance(obj, list):
        return b"](" + b"".join(encode(v) for v in obj) + b"e"
    if isinstance(obj, dict):
        return b"}(" + b"".join(encode(k) + encode(v) for k, v in obj.items()) + b"u"
    return pickle.dumps(obj, protocol=2)[2:-1]


def pickle_bytes(obj: Any) -> bytes:
    return b"\x80\x02" + encode(obj) + b"."


def storage(key: str, numel: int, kind: str = "FloatStorage", legacy: bool = False, view: Any = None):
    """The persistent id of a storage (zip records have 5 fields, legacy ones a 6th: the view)."""
    fields = ("storage", Global("torch", kind), key, "cpu", numel) + ((view,) if legacy else ())
    return PersistentId(fields)


def tensor(storage_id: Any, offset: Any, size: Any, stride: Any) -> Call:
    hooks = Call(Global("collections", "OrderedDict"), ())
    return Call(Global("torch._utils", "_rebuild_tensor_v2"), (storage_id, offset, size, stride, False, hooks))


def write_zip(path: Path, root: Any, storages: dict[str, bytes], raw_pickle: bytes | None = None) -> Path:
    """A zip-format checkpoint: ``archive/data.pkl`` (``root`` pickled) and ``archive/data/<key>``."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", raw_pickle if raw_pickle is not None else pickle_bytes(root))
        archive.writestr("archive/byteorder", "little")
        for key, data in storages.items():
            archive.writestr(f"archive/data/{key}", data)
    return path


def write_legacy(path: Path, root: Any, storages: list[tuple[str, int, bytes]], keys: Any = None) -> Path:
    """A legacy-format checkpoint: magic, protocol, sys info, ``root``, the key list, then (numel, bytes)."""
    parts = [pickle.dumps(v, protocol=2) for v in (LEGACY_MAGIC, 1001, {"little_endian": True})]
    parts.append(pickle_bytes(root))
    parts.append(pickle.dumps([k for k, _, _ in storages] if keys is None else keys, protocol=2))
    for _, numel, data in storages:
        parts.append(struct.pack("<q", numel) + data)
    path.write_bytes(b"".join(parts))
    return path


def deflate(data: bytes) -> tuple[bytes, int, int]:
    """``(raw deflate stream, size, crc)`` of ``data``: an honest entry for :func:`write_raw_zip`."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(), len(data), zlib.crc32(data)


def write_raw_zip(path: Path, entries: list[tuple[str, tuple[bytes, int, int]]]) -> Path:
    """A zip of deflated entries whose declared size and CRC are whatever the caller says.

    Args:
        entries: ``(name, (deflate stream, declared uncompressed size, crc))``; nothing checks the declaration.
    """
    local, central = bytearray(), bytearray()
    for name, (data, size, crc) in entries:
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), size, len(name), 0)
        central += (
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(data),
                size,
                len(name),
                0,
                0,
                0,
                0,
                0,
                len(local),
            )
            + name.encode()
        )
        local += header + name.encode() + data
    end = struct.pack(
        "<4s4H2LH",
        b"PK\x05\x06",
        0,
        0,
        min(len(entries), 0xFFFF),
        min(len(entries), 0xFFFF),
        len(central),
        len(local),
        0,
    )
    path.write_bytes(bytes(local + central + end))
    return path


def deflated_zeros(n_mib: int) -> bytes:
    """A raw deflate stream of ``n_mib`` MiB of zeros (about 1 KB per MiB, built without inflating it)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return block * n_mib + compressor.flush()


def float_bytes(*values: float) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


_STORAGE_KINDS = {"float32": "FloatStorage", "float16": "HalfStorage", "float64": "DoubleStorage",
                  "int64": "LongStorage", "int32": "IntStorage", "uint8": "ByteStorage"}  # fmt: skip


def write_state_dict_zip(path: Path, arrays: dict) -> Path:
    """A genuine-layout zip checkpoint holding ``arrays`` (numpy, one contiguous storage each)."""
    items, data = {}, {}
    for index, (name, array) in enumerate(arrays.items()):
        array = array.astype(array.dtype.newbyteorder("<"), copy=False).copy(order="C")
        strides = tuple(s // array.itemsize for s in array.strides)
        kind = _STORAGE_KINDS[array.dtype.name]
        items[name] = tensor(storage(str(index), array.size, kind), 0, tuple(array.shape), strides)
        data[str(index)] = array.tobytes()
    return write_zip(path, OrderedDictOf(items), data)
