"""Where a checkpoint's storages live, read on demand with bounded reads (used by :mod:`torch_pickle`).

The pickle declares each storage (type, key, element count); :class:`Storages` records those
declarations and reads a storage's bytes only when a checked tensor needs them, never more than
the declaration says and never past the end of the file. Zip entries are checked against their
declared size before they are inflated, and read through a stream capped at that size.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from abc import ABC, abstractmethod
from typing import Any, BinaryIO

import numpy as np

from attentiongan_tf.official.torch_tensors import (
    MalformedCheckpointError,
    StorageRef,
    StorageType,
    StorageView,
    checked_int,
    clip,
    describe,
)

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_LOCATOR_SIZE = 20
_READABLE_COMPRESSION = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # torch.save writes stored entries


def is_zip_archive(file: BinaryIO | str | os.PathLike, path: str) -> bool:
    """``zipfile.is_zipfile``, which raises (instead of answering) on some damaged end records."""
    try:
        return zipfile.is_zipfile(file)
    except (zipfile.BadZipFile, OSError, ValueError, struct.error) as error:
        raise MalformedCheckpointError(f"{path}: damaged zip archive ({clip(str(error), 200)})") from error


def zip_directory_size(stream: BinaryIO) -> int:
    """Bytes of a zip's central directory, read from the end record the way :mod:`zipfile` finds it.

    ``zipfile.ZipFile`` builds one object per directory entry (about 10× its bytes) when it opens a file,
    so this is checked first. Returns 0 when no end record is found (``zipfile`` will then refuse the file).
    """
    end = stream.seek(0, os.SEEK_END)
    start = max(0, end - _EOCD.size - 0xFFFF)
    stream.seek(start)
    tail = stream.read()
    if tail[-_EOCD.size : -_EOCD.size + 4] == b"PK\x05\x06" and tail[-2:] == b"\0\0":
        at = len(tail) - _EOCD.size
    else:
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _EOCD.size:
            return 0
    size = _EOCD.unpack_from(tail, at)[5]
    zip64_at = start + at - _ZIP64_LOCATOR_SIZE - _ZIP64_EOCD.size
    if zip64_at >= 0:
        stream.seek(zip64_at)
        record = stream.read(_ZIP64_EOCD.size + 4)
        if record[:4] == b"PK\x06\x06" and record[-4:] == b"PK\x06\x07":
            size = max(size, _ZIP64_EOCD.unpack_from(record)[8])
    return size


def read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    """The bytes of one entry: at most its declared size is inflated, and a short or corrupt entry is refused."""
    name = clip(info.filename)
    if info.compress_type not in _READABLE_COMPRESSION or info.flag_bits & 0x1:
        raise MalformedCheckpointError(
            f"{where}: {name} uses compression method {info.compress_type} or encryption; only stored or deflated "
            "entries are read"
        )
    try:
        with archive.open(info) as entry:
            raw = entry.read(info.file_size + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError, NotImplementedError) as error:
        raise MalformedCheckpointError(f"{where}: cannot read {name} ({clip(str(error), 200)})") from error
    if len(raw) != info.file_size:
        raise MalformedCheckpointError(f"{where}: {name} holds {len(raw):,} bytes, not the {info.file_size:,} declared")
    return raw


class Storages(ABC):
    """The storages a checkpoint's pickle declares; subclasses know where their bytes are."""

    pid_fields = 5

    def __init__(self, path: str):
        self.path = path
        self.refs: dict[str, StorageRef] = {}
        self._decoded: dict[str, np.ndarray] = {}

    def declare(self, pid: tuple) -> StorageView:
        """Record one ``('storage', type, key, location, numel[, view])`` persistent id (unpickler hook)."""
        if len(pid) != self.pid_fields:
            raise MalformedCheckpointError(
                f"{self.path}: storage record {describe(pid)} has {len(pid)} fields, not {self.pid_fields}"
            )
        storage_type, key, numel = pid[1], pid[2], pid[4]
        if not isinstance(storage_type, StorageType):
            raise MalformedCheckpointError(
                f"{self.path}: storage record names {describe(storage_type)}, not a storage type"
            )
        if not isinstance(key, str) or len(key) > 256:
            raise MalformedCheckpointError(f"{self.path}: storage key {describe(key)} is not a short string")
        numel = checked_int(numel, f"element count of storage {key!r}", self.path)
        ref = self.refs.setdefault(key, StorageRef(storage_type, key, numel))
        if (ref.type.name, ref.numel) != (storage_type.name, numel):
            raise MalformedCheckpointError(
                f"{self.path}: storage {key!r} is declared twice, with different types or sizes"
            )
        view = pid[5] if len(pid) > 5 else None
        return StorageView(ref, 0, numel) if view is None else self._view(ref, view)

    def _view(self, ref: StorageRef, view: Any) -> StorageView:
        where = f"{self.path}: view of storage {ref.key!r}"
        if not isinstance(view, tuple) or len(view) != 3:
            raise MalformedCheckpointError(f"{where}: {describe(view)} is not (key, offset, size)")
        offset = checked_int(view[1], "offset", where)
        size = checked_int(view[2], "size", where)
        if offset + size > ref.numel:
            raise MalformedCheckpointError(
                f"{where}: elements [{offset:,}, {offset + size:,}) lie outside its {ref.numel:,} elements"
            )
        return StorageView(ref, offset, size)

    def elements(self, view: StorageView, where: str) -> np.ndarray:
        """The decoded elements of ``view`` (each storage is read once and shared by its tensors)."""
        ref = view.ref
        if ref.key not in self._decoded:
            self._decoded[ref.key] = ref.type.decode(self._read(ref, where))
        return self._decoded[ref.key][view.offset : view.offset + view.numel]

    @abstractmethod
    def _read(self, ref: StorageRef, where: str) -> bytes:
        """The ``ref.nbytes`` bytes of one storage (``where`` names the file and tensor in errors)."""


class ZipStorages(Storages):
    """Storages of a zip checkpoint: entry ``<prefix>/data/<key>``, exactly ``numel × itemsize`` bytes."""

    def __init__(self, archive: zipfile.ZipFile, prefix: str, path: str):
        super().__init__(path)
        self.archive, self.prefix = archive, prefix

    def _read(self, ref: StorageRef, where: str) -> bytes:
        name = f"{self.prefix}/data/{ref.key}"
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            raise MalformedCheckpointError(f"{where}: its storage {name} is missing from the archive") from None
        if info.file_size != ref.nbytes:
            raise MalformedCheckpointError(
                f"{where}: storage {name} holds {info.file_size:,} bytes, but its record declares {ref.numel:,} "
                f"{ref.type.name} elements ({ref.nbytes:,} bytes)"
            )
        return read_entry(self.archive, info, where)


class LegacyStorages(Storages):
    """Storages of a legacy checkpoint: after the pickles, an int64 element count then the bytes, per key."""

    pid_fields = 6

    def __init__(self, stream: BinaryIO, path: str):
        super().__init__(path)
        self.stream = stream
        self.offsets: dict[str, int] = {}

    def locate(self, keys: Any, start: int) -> None:
        """Walk the storage records from ``start``, checking each count against the declaration and the file size."""
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys) or len(set(keys)) != len(keys):
            raise MalformedCheckpointError(f"{self.path}: the list of storage keys is damaged ({describe(keys)})")
        size = os.fstat(self.stream.fileno()).st_size
        position = start
        for key in keys:
            ref = self.refs.get(key)
            if ref is None:
                raise MalformedCheckpointError(f"{self.path}: stores storage {clip(key)!r}, which no tensor uses")
            self.stream.seek(position)
            header = self.stream.read(8)
            if len(header) != 8:
                raise MalformedCheckpointError(f"{self.path}: the file ends before storage {key!r} (truncated?)")
            numel = int.from_bytes(header, "little", signed=True)
            if numel != ref.numel:
                raise MalformedCheckpointError(
                    f"{self.path}: storage {key!r} is stored with {numel:,} elements but declared with {ref.numel:,}"
                )
            position += 8
            if ref.nbytes > size - position:
                raise MalformedCheckpointError(
                    f"{self.path}: storage {key!r} needs {ref.nbytes:,} bytes but only {size - position:,} are left "
                    "in the file (truncated?)"
                )
            self.offsets[key] = position
            position += ref.nbytes

    def _read(self, ref: StorageRef, where: str) -> bytes:
        if ref.key not in self.offsets:
            raise MalformedCheckpointError(f"{where}: its storage {ref.key!r} is not in the file")
        self.stream.seek(self.offsets[ref.key])
        raw = self.stream.read(ref.nbytes)
        if len(raw) != ref.nbytes:
            raise MalformedCheckpointError(f"{where}: the file ends inside storage {ref.key!r} (truncated?)")
        return raw
