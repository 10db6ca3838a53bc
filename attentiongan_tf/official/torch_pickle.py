"""Read PyTorch ``torch.save`` state dicts with numpy only, refusing anything but tensors.

Both formats ``torch.save`` writes are supported: the zip archive (PyTorch ≥ 1.6)
and the legacy stream of pickles (older releases, as many published checkpoints
are). A restricted unpickler only resolves the handful of globals a state dict
needs (``OrderedDict``, tensor rebuild functions and storage types); any other
global — ``os.system``, ``builtins.eval``, a custom class — raises
:class:`UnsafeCheckpointError` before it can run. torch is never imported.

Nothing the file declares is trusted (see :mod:`attentiongan_tf.official.torch_tensors`): sizes in the zip
directory are checked before anything is decompressed, every tensor's size, stride and offset
against the bytes its storage really holds, and what may be allocated is capped by
:class:`ReadLimits`; violations raise :class:`MalformedCheckpointError` naming the file and tensor.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import pickletools
import struct
import zipfile
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

from attentiongan_tf.official.torch_storages import (
    LegacyStorages,
    Storages,
    ZipStorages,
    is_zip_archive,
    read_entry,
    zip_directory_size,
)
from attentiongan_tf.official.torch_tensors import (
    STORAGE_DTYPES,
    MalformedCheckpointError,
    ReadLimits,
    Sealed,
    StorageType,
    StorageView,
    TensorRef,
    UnsafeCheckpointError,
    build_tensor,
    check_layout,
    clip,
    describe,
)

__all__ = [
    "STORAGE_DTYPES",
    "MalformedCheckpointError",
    "ReadLimits",
    "StorageType",
    "UnsafeCheckpointError",
    "read_torch_state_dict",
]

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C

# What a malformed pickle can make the C unpickler raise (a huge BINBYTES8 length: MemoryError).
_UNPICKLING_ERRORS = (
    pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError,
    OverflowError, MemoryError, RecursionError, struct.error,
)  # fmt: skip


def _rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any, *_unused: Any) -> Any:
    if isinstance(storage, StorageView):  # checked and built once the state-dict key is known
        return TensorRef(storage, offset, size, stride)
    if isinstance(storage, np.ndarray):  # a decoded storage (TorchScript archives)
        return build_tensor(storage, offset, size, stride, "tensor")
    raise MalformedCheckpointError(f"a tensor's storage is {describe(storage)}, not a storage")


def _rebuild_parameter(data: Any, *_unused: Any) -> Any:
    return data


class _SafeCallable(Sealed):
    """A global the pickle may call; sealed so that ``BUILD`` cannot replace what it calls."""

    __slots__ = ("function",)
    function: Callable[..., Any]

    def __init__(self, function: Callable[..., Any]):
        self._init(function=function)

    def __call__(self, *args: Any) -> Any:
        return self.function(*args)


SAFE_GLOBALS: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _SafeCallable(_rebuild_tensor),
    ("torch._utils", "_rebuild_tensor"): _SafeCallable(_rebuild_tensor),
    ("torch._utils", "_rebuild_parameter"): _SafeCallable(_rebuild_parameter),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, stream: BinaryIO, load_storage: Callable[[tuple], StorageView]):
        super().__init__(stream)
        self._load_storage = load_storage

    def find_class(self, module: str, name: str) -> Any:
        if module in ("torch", "torch.storage") and name in STORAGE_DTYPES:
            return StorageType(name)
        if (module, name) in SAFE_GLOBALS:
            return SAFE_GLOBALS[(module, name)]
        if module == "torch" and name.endswith("Storage"):
            raise MalformedCheckpointError(f"tensors of type torch.{clip(name)} are not supported")
        raise UnsafeCheckpointError(
            f"refusing to load {clip(module)}.{clip(name)}: a PyTorch state dict only holds tensors, so this file "
            "may contain code. Only load checkpoints you trust, and re-save them as plain state dicts."
        )

    def persistent_load(self, pid: Any) -> StorageView:
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise UnsafeCheckpointError(f"unexpected persistent id {describe(pid)} in checkpoint")
        return self._load_storage(pid)


def _check_opcodes(stream: BinaryIO, path: str) -> None:
    """Walk one pickle's opcodes (without running them) and refuse memo indices beyond the opcode count.

    The C unpickler grows its memo to the largest ``PUT`` index at once: a 7-byte pickle with
    ``LONG_BINPUT 2**26`` zeroes 1 GiB. Picklers number memo entries 0, 1, 2, ..., so a real index is
    never larger than the number of opcodes before it. Truncated or garbled opcodes are refused here too.
    """
    try:
        for count, (opcode, arg, _) in enumerate(pickletools.genops(stream)):
            if opcode.name in ("PUT", "BINPUT", "LONG_BINPUT") and isinstance(arg, int) and arg > count:
                raise MalformedCheckpointError(
                    f"{path}: pickle memo index {arg:,} after {count:,} opcodes; refusing a memory bomb"
                )
    except MalformedCheckpointError:
        raise
    except _UNPICKLING_ERRORS as error:
        reason = clip(str(error) or type(error).__name__, 200)
        raise MalformedCheckpointError(f"{path}: not a readable PyTorch checkpoint ({reason})") from error


def _unpickle(stream: BinaryIO, load_storage: Callable[[tuple], StorageView], path: str) -> Any:
    start = stream.tell()
    _check_opcodes(stream, path)
    stream.seek(start)
    try:
        return _RestrictedUnpickler(stream, load_storage).load()
    except (UnsafeCheckpointError, MalformedCheckpointError) as error:
        if str(error).startswith(path):
            raise
        raise type(error)(f"{path}: {error}") from error
    except _UNPICKLING_ERRORS as error:
        reason = clip(str(error) or type(error).__name__, 200)
        raise MalformedCheckpointError(f"{path}: not a readable PyTorch checkpoint ({reason})") from error


def _state_dict(obj: Any, storages: Storages, limits: ReadLimits, path: str) -> dict[str, np.ndarray]:
    """Check every entry (names, layouts, total size) first, then read storages and build the arrays."""
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise MalformedCheckpointError(f"{path}: expected a state dict (name -> tensor), found {type(obj).__name__}")
    entries: dict[str, tuple[str, TensorRef]] = {}
    total = 0
    for key, value in obj.items():
        if not isinstance(key, str):
            raise MalformedCheckpointError(f"{path}: state dict key {describe(key)} is not a string")
        where = f"{path}: tensor {clip(key)!r}"
        if not isinstance(value, TensorRef):
            raise MalformedCheckpointError(f"{where} is a {type(value).__name__}, not a tensor")
        name = key.removeprefix("module.")
        if name in entries:
            raise MalformedCheckpointError(f"{path}: tensor {clip(name)!r} appears twice (with and without module.)")
        shape, _ = check_layout(value.size, value.stride, value.offset, value.storage.numel, where)
        total += int(np.prod(shape, dtype=object)) * value.storage.ref.type.dtype.itemsize
        entries[name] = (where, value)
    total += sum(ref.nbytes for ref in storages.refs.values())
    if total > limits.max_total_bytes:
        raise MalformedCheckpointError(
            f"{path}: reading it needs {total:,} bytes (storages and tensors), over the limit of "
            f"{limits.max_total_bytes:,} (set ATTENTIONGAN_MAX_CHECKPOINT_BYTES to allow more for a file you trust)"
        )
    return {
        name: build_tensor(storages.elements(ref.storage, where), ref.offset, ref.size, ref.stride, where)
        for name, (where, ref) in entries.items()
    }


def _load_zip(stream: BinaryIO, path: str, limits: ReadLimits) -> dict[str, np.ndarray]:
    directory = zip_directory_size(stream)
    if directory > limits.max_directory_bytes:
        raise MalformedCheckpointError(
            f"{path}: its zip central directory takes {directory:,} bytes (limit {limits.max_directory_bytes:,}); "
            "a state dict has a few entries per tensor"
        )
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as error:
        raise MalformedCheckpointError(f"{path}: damaged zip archive ({clip(str(error), 200)})") from error
    with archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise MalformedCheckpointError(f"{path}: not a torch.save zip archive (no single <name>/data.pkl entry)")
        prefix = pickles[0].rsplit("/", 1)[0]
        declared = sum(i.file_size for i in archive.infolist() if i.filename.startswith(f"{prefix}/data/"))
        if declared > limits.max_total_bytes:
            raise MalformedCheckpointError(
                f"{path}: its zip directory declares {declared:,} bytes of tensor data, over the limit of "
                f"{limits.max_total_bytes:,} (set ATTENTIONGAN_MAX_CHECKPOINT_BYTES to allow more for a file you trust)"
            )
        names = set(archive.namelist())
        if f"{prefix}/byteorder" in names:
            byteorder = archive.getinfo(f"{prefix}/byteorder")
            if byteorder.file_size > 16 or read_entry(archive, byteorder, path).strip() != b"little":
                raise MalformedCheckpointError(f"{path}: big-endian checkpoints are not supported")
        info = archive.getinfo(pickles[0])
        if info.file_size > limits.max_pickle_bytes:
            raise MalformedCheckpointError(
                f"{path}: its pickle takes {info.file_size:,} bytes, over the limit of {limits.max_pickle_bytes:,}"
            )
        storages = ZipStorages(archive, prefix, path)
        obj = _unpickle(io.BytesIO(read_entry(archive, info, path)), storages.declare, path)
        return _state_dict(obj, storages, limits, path)


def _load_legacy(stream: BinaryIO, path: str, limits: ReadLimits) -> dict[str, np.ndarray]:
    head = io.BytesIO(stream.read(limits.max_pickle_bytes))  # the pickles come first; storages follow

    def refuse(pid: tuple) -> StorageView:
        raise MalformedCheckpointError(f"{path}: not a PyTorch checkpoint (storage reference outside its body)")

    if _unpickle(head, refuse, path) != LEGACY_MAGIC:
        raise MalformedCheckpointError(
            f"{path}: not a PyTorch checkpoint (neither a zip archive nor the legacy format)"
        )
    _unpickle(head, refuse, path)  # protocol version
    _unpickle(head, refuse, path)  # sys info
    storages = LegacyStorages(stream, path)
    obj = _unpickle(head, storages.declare, path)
    storages.locate(_unpickle(head, refuse, path), head.tell())
    return _state_dict(obj, storages, limits, path)


def read_torch_state_dict(path: str | os.PathLike, limits: ReadLimits | None = None) -> dict[str, np.ndarray]:
    """Read a ``torch.save``-d state dict as ``{name: numpy array}`` without torch and without running code.

    A leading ``module.`` (DataParallel) is stripped and a ``{"state_dict": ...}``
    wrapper is unwrapped.

    Args:
        path: the ``.pth`` file.
        limits: caps on what reading may allocate (default :class:`ReadLimits`: 2 GiB of tensor data,
            or ``$ATTENTIONGAN_MAX_CHECKPOINT_BYTES``).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        UnsafeCheckpointError: the pickle references anything but tensors and dicts (a ``ValueError``).
        MalformedCheckpointError: the file is not a PyTorch state dict, is damaged, declares tensors beyond
            its data or more data than ``limits`` allow (a ``ValueError``).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path}")
    limits = limits or ReadLimits()
    with open(path, "rb") as stream:
        if is_zip_archive(stream, path):
            return _load_zip(stream, path, limits)
        stream.seek(0)
        return _load_legacy(stream, path, limits)
