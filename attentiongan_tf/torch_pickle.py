"""Read PyTorch ``torch.save`` state dicts with numpy only, refusing anything but tensors.

Both formats ``torch.save`` writes are supported: the zip archive (PyTorch ≥ 1.6)
and the legacy stream of pickles (older releases, as many published checkpoints
are). A restricted unpickler only resolves the handful of globals a state dict
needs (``OrderedDict``, tensor rebuild functions and storage types); any other
global — ``os.system``, ``builtins.eval``, a custom class — raises
:class:`UnsafeCheckpointError` before it can run. torch is never imported.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C

STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "BFloat16Storage": None,  # handled by _bfloat16_to_float32
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class UnsafeCheckpointError(pickle.UnpicklingError):
    """The file asks to run code or build objects a plain state dict never contains."""


class StorageType:
    """Stand-in for ``torch.FloatStorage`` & co.: remembers the element type."""

    def __init__(self, name: str):
        self.name = name
        self.dtype = np.dtype(STORAGE_DTYPES[name] or np.uint16)

    def decode(self, raw: bytes) -> np.ndarray:
        array = np.frombuffer(raw, dtype=self.dtype.newbyteorder("<"))
        if self.name == "BFloat16Storage":
            return (array.astype(np.uint32) << 16).view(np.float32)
        return array


def _rebuild_tensor(storage: np.ndarray, offset: int, size, stride, *_unused) -> np.ndarray:
    if not size:
        return np.array(storage[offset])
    item = storage.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=tuple(size), strides=tuple(s * item for s in stride), writeable=False
    )
    return np.array(view)


def _rebuild_parameter(data: np.ndarray, *_unused) -> np.ndarray:
    return data


SAFE_GLOBALS: dict[tuple[str, str], Callable[..., Any]] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, stream: BinaryIO, load_storage: Callable[[tuple], np.ndarray]):
        super().__init__(stream)
        self._load_storage = load_storage

    def find_class(self, module: str, name: str):
        if module in ("torch", "torch.storage") and name in STORAGE_DTYPES:
            return StorageType(name)
        if (module, name) in SAFE_GLOBALS:
            return SAFE_GLOBALS[(module, name)]
        raise UnsafeCheckpointError(
            f"refusing to load {module}.{name}: a PyTorch state dict only holds tensors, so this file "
            "may contain code. Only load checkpoints you trust, and re-save them as plain state dicts."
        )

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise UnsafeCheckpointError(f"unexpected persistent id {pid!r} in checkpoint")
        return self._load_storage(pid)


def _flatten_state_dict(obj: Any, path: str) -> dict[str, np.ndarray]:
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a state dict (name -> tensor), found {type(obj).__name__}")
    tensors = {}
    for key, value in obj.items():
        if not isinstance(value, np.ndarray):
            raise ValueError(f"{path}: entry {key!r} is a {type(value).__name__}, not a tensor")
        tensors[key.removeprefix("module.")] = value
    return tensors


def _load_zip(archive: zipfile.ZipFile, path: str) -> Any:
    pickles = [n for n in archive.namelist() if n.endswith("data.pkl") and n.count("/") == 1]
    if len(pickles) != 1:
        raise ValueError(f"{path}: not a torch.save zip archive (no <name>/data.pkl entry)")
    prefix = pickles[0].rsplit("/", 1)[0]
    byteorder = f"{prefix}/byteorder"
    if byteorder in archive.namelist() and archive.read(byteorder).strip() != b"little":
        raise ValueError(f"{path}: big-endian checkpoints are not supported")

    def load_storage(pid: tuple) -> np.ndarray:
        _, storage_type, key, _location, _numel = pid
        return storage_type.decode(archive.read(f"{prefix}/data/{key}"))

    return _RestrictedUnpickler(io.BytesIO(archive.read(pickles[0])), load_storage).load()


def _load_legacy(stream: BinaryIO, path: str) -> Any:
    def plain_load() -> Any:
        return _RestrictedUnpickler(stream, _refuse_storage).load()

    if plain_load() != LEGACY_MAGIC:
        raise ValueError(f"{path}: not a PyTorch checkpoint (neither a zip archive nor the legacy format)")
    plain_load()  # protocol version
    plain_load()  # sys info
    storage_types: dict[str, StorageType] = {}
    views: list[tuple[dict, str, str, int, int]] = []
    placeholders: dict[str, dict] = {}

    def load_storage(pid: tuple) -> np.ndarray:
        # Storages are written after the pickle, so hand out a mutable holder now and fill it later.
        _, storage_type, root_key, _location, _size, view = pid
        storage_types[root_key] = storage_type
        holder = placeholders.setdefault(root_key, {})
        if view is None:
            return _LazyStorage(holder, 0, None)
        view_key, offset, view_size = view
        views.append((holder, root_key, view_key, offset, view_size))
        return _LazyStorage(holder, offset, view_size)

    result = _RestrictedUnpickler(stream, load_storage).load()
    keys = plain_load()
    for key in keys:
        numel = int(np.frombuffer(stream.read(8), dtype="<i8")[0])
        storage_type = storage_types[key]
        placeholders[key]["data"] = storage_type.decode(stream.read(numel * storage_type.dtype.itemsize))
    return _resolve_lazy(result)


def _refuse_storage(pid: tuple) -> np.ndarray:
    raise UnsafeCheckpointError(f"unexpected storage reference {pid!r} outside the checkpoint body")


class _LazyStorage:
    """A legacy-format storage whose bytes come after the pickle that references it."""

    def __init__(self, holder: dict, offset: int, size: int | None):
        self.holder, self.offset, self.size = holder, offset, size


class _LazyTensor:
    def __init__(self, storage: _LazyStorage, offset: int, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride


def _resolve_lazy(obj: Any) -> Any:
    if isinstance(obj, _LazyTensor):
        base = obj.storage.holder["data"]
        end = None if obj.storage.size is None else obj.storage.offset + obj.storage.size
        return _rebuild_tensor(base[obj.storage.offset : end], obj.offset, obj.size, obj.stride)
    if isinstance(obj, dict):
        resolved = type(obj)() if isinstance(obj, collections.OrderedDict) else {}
        for key, value in obj.items():
            resolved[key] = _resolve_lazy(value)
        return resolved
    return obj


def _rebuild_tensor_any(storage, offset, size, stride, *rest):
    if isinstance(storage, _LazyStorage):
        return _LazyTensor(storage, offset, size, stride)
    return _rebuild_tensor(storage, offset, size, stride, *rest)


SAFE_GLOBALS[("torch._utils", "_rebuild_tensor_v2")] = _rebuild_tensor_any
SAFE_GLOBALS[("torch._utils", "_rebuild_tensor")] = _rebuild_tensor_any


def read_torch_state_dict(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a ``torch.save``-d state dict as ``{name: numpy array}`` without torch and without running code.

    A leading ``module.`` (DataParallel) is stripped and a ``{"state_dict": ...}``
    wrapper is unwrapped.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        UnsafeCheckpointError: the pickle references anything but tensors and dicts.
        ValueError: the file is not a PyTorch checkpoint or not a state dict.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path}")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            obj = _load_zip(archive, path)
    else:
        with open(path, "rb") as stream:
            try:
                obj = _load_legacy(stream, path)
            except UnsafeCheckpointError:
                raise
            except (pickle.UnpicklingError, EOFError, IndexError, KeyError, TypeError) as error:
                raise ValueError(f"{path}: not a readable PyTorch checkpoint ({error})") from error
    return _flatten_state_dict(obj, path)
