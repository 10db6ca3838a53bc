"""Inert tensor records and the bounds checks behind :mod:`attentiongan_tf.official.torch_pickle`.

Every number a checkpoint's pickle holds (sizes, strides, offsets, element counts) comes from the
file, so none is trusted: a tensor is only turned into an array after its whole layout has been
checked against the bytes its storage really holds, and what may be read and built is capped
(:class:`ReadLimits`). The records are sealed: pickle's ``BUILD`` opcode, which sets
attributes on whatever object is on its stack, cannot change them.
"""

from __future__ import annotations

import math
import os
import pickle
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MiB = 1 << 20
GiB = 1 << 30
MAX_BYTES_ENV = "ATTENTIONGAN_MAX_CHECKPOINT_BYTES"
MAX_NDIM = 64  # numpy's limit
MAX_INT = (1 << 63) - 1  # sizes, strides and offsets are int64 in torch

STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "BFloat16Storage": None,  # decoded from uint16 by StorageType.decode
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class UnsafeCheckpointError(pickle.UnpicklingError, ValueError):
    """The file asks to run code or build objects a plain state dict never contains."""


class MalformedCheckpointError(ValueError):
    """The file is damaged or lies about its contents (sizes, offsets, types); nothing is read past its data."""


def _max_bytes_from_env() -> int:
    text = os.environ.get(MAX_BYTES_ENV, "")
    if not text:
        return 2 * GiB
    try:
        value = int(float(text))
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"{MAX_BYTES_ENV}={text!r} must be a positive number of bytes")
    return value


@dataclass(frozen=True)
class ReadLimits:
    """Caps on what reading one checkpoint may allocate.

    Args:
        max_total_bytes: bytes of tensor data a file may declare, and bytes of its storages plus the arrays
            built from them (default 2 GiB, or ``$ATTENTIONGAN_MAX_CHECKPOINT_BYTES``).
        max_pickle_bytes: size of the pickle that describes the state dict (real ones are kilobytes).
        max_directory_bytes: size of a zip checkpoint's central directory (46+ bytes per entry).
    """

    max_total_bytes: int = field(default_factory=_max_bytes_from_env)
    max_pickle_bytes: int = 16 * MiB
    max_directory_bytes: int = 16 * MiB


def clip(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters: names from the file can be megabytes long."""
    return text if len(text) <= limit else text[:limit] + "…"


def describe(value: Any) -> str:
    """A short, bounded description of a value from the file (never the repr of a huge object)."""
    if isinstance(value, bool | float) or value is None:
        return repr(value)
    if isinstance(value, int):
        return repr(value) if abs(value) <= MAX_INT else f"an integer of {value.bit_length()} bits"
    if isinstance(value, str) and len(value) <= 64:
        return repr(value)
    if isinstance(value, tuple | list) and len(value) <= 8:
        return "(" + ", ".join(describe(v) for v in value) + ")"
    return f"a {type(value).__name__}"


class Sealed:
    """Base of the records the unpickler hands out: no ``__dict__``, no ``__setstate__``, no setattr."""

    __slots__ = ()

    def _init(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise UnsafeCheckpointError(f"refusing to set {name!r} on a {type(self).__name__}: not a plain state dict")

    def __delattr__(self, name: str) -> None:
        raise UnsafeCheckpointError(f"refusing to delete {name!r} of a {type(self).__name__}")


class StorageType(Sealed):
    """Stand-in for ``torch.FloatStorage`` & co.: remembers the element type."""

    __slots__ = ("name", "dtype")
    name: str
    dtype: np.dtype

    def __init__(self, name: str):
        self._init(name=name, dtype=np.dtype(STORAGE_DTYPES[name] or np.uint16).newbyteorder("<"))

    def decode(self, raw: bytes) -> np.ndarray:
        """The elements of a storage's little-endian bytes (a whole number of elements)."""
        if len(raw) % self.dtype.itemsize:
            raise MalformedCheckpointError(
                f"a {self.name} holds {len(raw)} bytes, not a multiple of its {self.dtype.itemsize}-byte elements"
            )
        array = np.frombuffer(raw, dtype=self.dtype)
        if self.name == "BFloat16Storage":
            return (array.astype(np.uint32) << 16).view(np.float32)
        return array


class StorageRef(Sealed):
    """One storage of the file (``<archive>/data/<key>`` or a legacy record), as the pickle declares it."""

    __slots__ = ("type", "key", "numel")
    type: StorageType
    key: str
    numel: int

    def __init__(self, storage_type: StorageType, key: str, numel: int):
        self._init(type=storage_type, key=key, numel=numel)

    @property
    def nbytes(self) -> int:
        return self.numel * self.type.dtype.itemsize


class StorageView(Sealed):
    """Elements ``[offset, offset + numel)`` of a storage (the whole storage except in legacy views)."""

    __slots__ = ("ref", "offset", "numel")
    ref: StorageRef
    offset: int
    numel: int

    def __init__(self, ref: StorageRef, offset: int, numel: int):
        self._init(ref=ref, offset=offset, numel=numel)


class TensorRef(Sealed):
    """A tensor as ``_rebuild_tensor_v2`` describes it; :func:`build_tensor` checks and builds it."""

    __slots__ = ("storage", "offset", "size", "stride")
    storage: StorageView
    offset: Any
    size: Any
    stride: Any

    def __init__(self, storage: StorageView, offset: Any, size: Any, stride: Any):
        self._init(storage=storage, offset=offset, size=size, stride=stride)


def checked_int(value: Any, what: str, where: str) -> int:
    """``value`` if it is an int in ``[0, 2**63)``, else :class:`MalformedCheckpointError`."""
    if type(value) is not int or not 0 <= value <= MAX_INT:
        raise MalformedCheckpointError(f"{where}: {what} {describe(value)} is not an integer in [0, 2**63)")
    return value


def _checked_dims(values: Any, what: str, where: str) -> tuple[int, ...]:
    if not isinstance(values, tuple | list) or len(values) > MAX_NDIM:
        raise MalformedCheckpointError(f"{where}: {what} {describe(values)} is not a tuple of at most {MAX_NDIM} ints")
    return tuple(checked_int(v, f"{what} entry", where) for v in values)


def check_layout(size: Any, stride: Any, offset: Any, available: int, where: str) -> tuple[tuple[int, ...], ...]:
    """Check that a tensor lies inside ``available`` storage elements without overlapping itself.

    Args:
        size, stride, offset: as the pickle gives them (element units).
        available: elements the storage (view) really holds.
        where: names the file and the tensor in errors.

    Returns:
        ``(shape, strides)`` as validated int tuples.

    Raises:
        MalformedCheckpointError: non-integer, negative or huge numbers, a tensor reaching past its storage,
            or two elements sharing memory (a zero or overlapping stride).
    """
    shape = _checked_dims(size, "size", where)
    strides = _checked_dims(stride, "stride", where)
    offset = checked_int(offset, "storage offset", where)
    if len(strides) != len(shape):
        raise MalformedCheckpointError(f"{where}: {len(shape)} sizes but {len(strides)} strides")
    if math.prod(n for n in shape if n) > MAX_INT:
        raise MalformedCheckpointError(f"{where}: size {shape} has more than 2**63 elements")
    if math.prod(shape) == 0:
        return shape, strides
    last = offset + sum((n - 1) * s for n, s in zip(shape, strides, strict=True))
    if last >= available:
        raise MalformedCheckpointError(
            f"{where}: size {shape}, stride {strides} and offset {offset} reach element {last:,}, but its storage "
            f"holds only {available:,} elements"
        )
    # Sorted by stride, each dimension must step over the whole extent of the ones inside it.
    extent = 1
    for s, n in sorted((s, n) for n, s in zip(shape, strides, strict=True) if n > 1):
        if s < extent:
            raise MalformedCheckpointError(
                f"{where}: stride {strides} makes elements of size {shape} overlap; state dicts hold plain tensors"
            )
        extent = s * n
    return shape, strides


def build_tensor(storage: np.ndarray, offset: Any, size: Any, stride: Any, where: str) -> np.ndarray:
    """Copy a tensor out of ``storage`` (the elements of its storage view) after :func:`check_layout`.

    Args:
        storage: the decoded elements the tensor may use.
        offset, size, stride: the tensor's layout as the pickle gives it.
        where: names the file and the tensor in errors.
    """
    shape, strides = check_layout(size, stride, offset, len(storage), where)
    if math.prod(shape) == 0:
        return np.empty(shape, storage.dtype)
    item = storage.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=shape, strides=tuple(s * item for s in strides), writeable=False
    )
    return np.array(view)
