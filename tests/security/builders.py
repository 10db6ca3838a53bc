"""Builders of crafted ``.pth`` files for tests/security/pth_cases.py (each writes ``case.pth`` in a folder)."""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.conftest import DATA_DIR
from tests.security.crafting import (
    Global,
    OrderedDictOf,
    Raw,
    deflate,
    deflated_zeros,
    encode,
    float_bytes,
    pickle_bytes,
    storage,
    tensor,
    write_legacy,
    write_raw_zip,
    write_zip,
)

FOUR = float_bytes(1, 2, 3, 4)


def touch(folder: Path) -> str:
    return f"touch {folder / 'pwned'}"


def one_tensor(offset, size, stride, numel=4, data=FOUR, kind="FloatStorage", key="w"):
    def build(folder: Path) -> Path:
        root = OrderedDictOf({key: tensor(storage("0", numel, kind), offset, size, stride)})
        return write_zip(folder / "case.pth", root, {"0": data})

    return build


def zip_root(root_of: Callable[[Path], object], storages: dict[str, bytes] | None = None):
    return lambda folder: write_zip(folder / "case.pth", root_of(folder), storages or {})


def raw_pickle(data_of: Callable[[Path], bytes]):
    return lambda folder: write_zip(folder / "case.pth", None, {}, raw_pickle=data_of(folder))


def legacy(root_of, storages, keys=None):
    return lambda folder: write_legacy(folder / "case.pth", root_of(folder), storages, keys)


def bare_pickle(root_of):
    def build(folder: Path) -> Path:
        (folder / "case.pth").write_bytes(pickle_bytes(root_of(folder)))
        return folder / "case.pth"

    return build


def zip_bomb(folder: Path) -> Path:
    """3 MB on disk, 3 GiB declared and really inflating to 3 GiB of zeros (honest sizes, bogus CRC)."""
    numel = 3 * (1 << 30) // 4
    root = OrderedDictOf({"w": tensor(storage("0", numel), 0, (numel,), (1,))})
    entries = [
        ("archive/data.pkl", deflate(pickle_bytes(root))),
        ("archive/data/0", (deflated_zeros(3072), 4 * numel, 0)),
    ]
    return write_raw_zip(folder / "case.pth", entries)


def lying_zip_header(folder: Path) -> Path:
    """The storage entry declares 16 bytes (as the record says) but inflates to 256 MiB."""
    root = OrderedDictOf({"w": tensor(storage("0", 4), 0, (4,), (1,))})
    entries = [("archive/data.pkl", deflate(pickle_bytes(root))), ("archive/data/0", (deflated_zeros(256), 16, 0))]
    return write_raw_zip(folder / "case.pth", entries)


def many_entries(folder: Path) -> Path:
    """600 000 empty entries: a 32 MB central directory that zipfile would turn into ~10× that in objects."""
    empty = deflate(b"")
    return write_raw_zip(folder / "case.pth", [(f"e/{i:06d}", empty) for i in range(600_000)])


def zip64_multi_disk(folder: Path) -> Path:
    """Found by tools/fuzz_pth.py: a zip64 locator naming a second disk made zipfile.is_zipfile raise."""
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, 0, 2)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0, 0, 0, 0, 0)
    (folder / "case.pth").write_bytes(b"\0" * 64 + locator + end)
    return folder / "case.pth"


def truncated(name: str):
    def build(folder: Path) -> Path:
        data = (DATA_DIR / name).read_bytes()
        (folder / "case.pth").write_bytes(data[: len(data) // 2])
        return folder / "case.pth"

    return build


def zip_with(entry_bytes: dict[str, bytes], compression=zipfile.ZIP_STORED):
    def build(folder: Path) -> Path:
        root = OrderedDictOf({"w": tensor(storage("0", 4), 0, (4,), (1,))})
        with zipfile.ZipFile(folder / "case.pth", "w", compression) as archive:
            archive.writestr("archive/data.pkl", pickle_bytes(root))
            for name, data in entry_bytes.items():
                archive.writestr(f"archive/{name}", data)
        return folder / "case.pth"

    return build


def legacy_tensor(numel, view=None):
    return lambda folder: OrderedDictOf({"w": tensor(storage("0", numel, legacy=True, view=view), 0, (4,), (1,))})


def set_attribute_on(module: str, name: str):
    """A pickle that sets an attribute on a global it may load (pickle's BUILD opcode, slot-state form)."""
    return lambda folder: Raw(encode(Global(module, name)) + encode((None, {"dtype": "O"})) + b"b")
