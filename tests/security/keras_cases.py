"""Crafted ``.keras`` files, each derived from a genuine tiny generator (written by :func:`genuine_keras`)."""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.security.builders import zip64_multi_disk
from tests.security.crafting import deflated_zeros, write_raw_zip


@dataclass(frozen=True)
class KerasCase:
    name: str
    build: Callable[[Path, Path], Path]  # (genuine .keras, folder) -> crafted file
    match: str  # regex the ValueError must contain


def genuine_keras(path: Path) -> Path:
    from attentiongan_tf import build_generator

    build_generator("geo", ngf=4, n_blocks=1, n_masks=2).save(path)
    return path


def _rewrite(genuine: Path, folder: Path, edit: Callable[[dict], object], name: str = "config.json") -> Path:
    """Copy ``genuine`` with its config.json replaced by ``edit(config)`` (bytes, or JSON-serialisable)."""
    with zipfile.ZipFile(genuine) as source:
        entries = {n: source.read(n) for n in source.namelist()}
    new = edit(json.loads(entries.pop("config.json")))
    entries[name] = new if isinstance(new, bytes) else json.dumps(new).encode()
    path = folder / "case.keras"
    with zipfile.ZipFile(path, "w") as archive:
        for entry, data in entries.items():
            archive.writestr(entry, data)
    return path


def _top_module(config: dict) -> dict:
    return {**config, "module": "os", "class_name": "system"}


def _nested_module(config: dict) -> dict:
    config["config"]["dtype"]["module"] = "subprocess"
    return config


def _registered(config: dict) -> dict:
    return {**config, "registered_name": "os>system"}


def _lambda_class(config: dict) -> dict:
    return {**config, "class_name": "__lambda__"}


def _random_bytes(genuine: Path, folder: Path) -> Path:
    (folder / "case.keras").write_bytes(os.urandom(4096))
    return folder / "case.keras"


def _config_bomb(genuine: Path, folder: Path) -> Path:
    return write_raw_zip(folder / "case.keras", [("config.json", (deflated_zeros(3072), 3 << 30, 0))])


def _bad_weights(genuine: Path, folder: Path) -> Path:
    with zipfile.ZipFile(genuine) as source:
        entries = {n: source.read(n) for n in source.namelist()}
    entries["model.weights.h5"] = os.urandom(2048)
    with zipfile.ZipFile(folder / "case.keras", "w") as archive:
        for entry, data in entries.items():
            archive.writestr(entry, data)
    return folder / "case.keras"


def _deep_json(genuine: Path, folder: Path) -> Path:
    path = folder / "case.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "[" * 200_000 + "]" * 200_000)
    return path


def _multi_disk(genuine: Path, folder: Path) -> Path:
    return zip64_multi_disk(folder).rename(folder / "case.keras")


KERAS_CASES = [
    KerasCase("zip64_multi_disk", _multi_disk, "damaged zip archive"),
    KerasCase("random_bytes", _random_bytes, "not a .keras file"),
    KerasCase("no_config", lambda g, f: _rewrite(g, f, lambda c: c, name="other.json"), "no config.json"),
    KerasCase("module_os", lambda g, f: _rewrite(g, f, _top_module), "module 'os'"),
    KerasCase("nested_module_subprocess", lambda g, f: _rewrite(g, f, _nested_module), "module 'subprocess'"),
    KerasCase("registered_name_os", lambda g, f: _rewrite(g, f, _registered), "'os>system'"),
    KerasCase("config_not_json", lambda g, f: _rewrite(g, f, lambda c: b"\xff{not json"), "config.json is not JSON"),
    KerasCase("deeply_nested_json", _deep_json, "config.json is not JSON|nested"),
    KerasCase("config_zip_bomb", _config_bomb, "limit"),
    KerasCase("lambda_class", lambda g, f: _rewrite(g, f, _lambda_class), "Python lambda"),
    KerasCase("damaged_weights", _bad_weights, "not a loadable .keras"),
]
