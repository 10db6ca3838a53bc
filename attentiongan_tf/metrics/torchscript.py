"""Read the parameters of a TorchScript archive with numpy only, never running code from it.

A TorchScript file (``torch.jit.save``) is a zip archive like a ``torch.save`` checkpoint, but its
``<prefix>/data.pkl`` pickles the module tree itself: every submodule is an instance of a compiled class
named ``__torch__.<module>.<Class>`` whose attributes are parameters, buffers, ints and child modules.
This reader resolves those class names to an inert record type (no method of the file is ever looked up
or called), reuses :mod:`attentiongan_tf.official.torch_pickle` for tensor storages and flattens the tree into a
``{"net.layers.conv.weight": array}`` dict. Anything else the pickle asks for is refused.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from typing import Any

import numpy as np

from attentiongan_tf.official import torch_pickle

_SCRIPT_CLASS_PREFIX = "__torch__."
_INTLIST = ("torch.jit._pickle", "build_intlist")


class ScriptModuleRecord:
    """Inert stand-in for a compiled TorchScript class: holds the attributes the pickle sets, nothing else.

    The pickle's ``NEWOBJ`` + ``BUILD`` fill ``vars(record)``; ``torch_type`` names the original class
    (e.g. ``__torch__.inceptionv3.Conv2dLayer``). No method of the archive is ever looked up.

    Example:
        >>> record = _record_type("__torch__.m.Net")()
        >>> record.torch_type
        '__torch__.m.Net'
    """

    torch_type = "?"


_RECORD_TYPES: dict[str, type] = {}


def _record_type(qualified_name: str) -> type:
    if qualified_name not in _RECORD_TYPES:
        attributes = {"torch_type": qualified_name}
        _RECORD_TYPES[qualified_name] = type("ScriptModuleRecord", (ScriptModuleRecord,), attributes)
    return _RECORD_TYPES[qualified_name]


class _TorchScriptUnpickler(pickle.Unpickler):
    def __init__(self, stream, archive: zipfile.ZipFile, prefix: str):
        super().__init__(stream)
        self._archive = archive
        self._prefix = prefix

    def find_class(self, module: str, name: str):
        if module.startswith(_SCRIPT_CLASS_PREFIX):
            return _record_type(f"{module}.{name}")
        if (module, name) == _INTLIST:
            return list
        if module in ("torch", "torch.storage") and name in torch_pickle.STORAGE_DTYPES:
            return torch_pickle.StorageType(name)
        if (module, name) in torch_pickle.SAFE_GLOBALS:
            return torch_pickle.SAFE_GLOBALS[(module, name)]
        raise torch_pickle.UnsafeCheckpointError(f"refusing to load {module}.{name} from a TorchScript archive")

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or len(pid) != 5 or pid[0] != "storage":
            raise torch_pickle.UnsafeCheckpointError(f"unexpected persistent id {pid!r} in TorchScript archive")
        _, storage_type, key, _location, _numel = pid
        return storage_type.decode(self._archive.read(f"{self._prefix}/data/{key}"))


def _flatten(obj: Any, name: str, out: dict[str, np.ndarray]) -> None:
    if isinstance(obj, np.ndarray):
        out[name] = obj
    elif isinstance(obj, ScriptModuleRecord):
        for key, value in vars(obj).items():
            _flatten(value, f"{name}.{key}" if name else key, out)


def read_torchscript_archive(archive: zipfile.ZipFile, source: str = "<archive>") -> dict[str, np.ndarray]:
    """Return every tensor attribute of a TorchScript module tree as ``{dotted.name: array}``.

    Args:
        archive: an open zip archive written by ``torch.jit.save``.
        source: a name for error messages (the file path).

    Raises:
        UnsafeCheckpointError: the pickle references a global other than script classes and tensors.
        ValueError: the archive is not a TorchScript module.
    """
    pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
    if len(pickles) != 1 or not any(n.endswith("/constants.pkl") for n in archive.namelist()):
        raise ValueError(f"{source}: not a TorchScript archive (needs <name>/data.pkl and <name>/constants.pkl)")
    prefix = pickles[0].split("/", 1)[0]
    root = _TorchScriptUnpickler(io.BytesIO(archive.read(pickles[0])), archive, prefix).load()
    if not isinstance(root, ScriptModuleRecord):
        raise ValueError(f"{source}: data.pkl holds a {type(root).__name__}, not a TorchScript module")
    tensors: dict[str, np.ndarray] = {}
    _flatten(root, "", tensors)
    return tensors


def read_torchscript_file(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a TorchScript ``.pt`` file from disk; see :func:`read_torchscript_archive`."""
    path = os.fspath(path)
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path}: not a zip archive, so not a TorchScript file")
    with zipfile.ZipFile(path) as archive:
        return read_torchscript_archive(archive, path)
