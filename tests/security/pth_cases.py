"""Crafted hostile and broken ``.pth`` files, shared by the in-process and the bounded-memory tests.

Each :class:`Case` writes one file into a folder; a file that would run code creates ``pwned`` in that
folder, so a test can prove it did not run.
"""

from __future__ import annotations

import pickle
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import DATA_DIR
from tests.security.crafting import (
    Call,
    Global,
    OrderedDictOf,
    PersistentId,
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

UNSAFE, MALFORMED = "UnsafeCheckpointError", "MalformedCheckpointError"
FOUR = float_bytes(1, 2, 3, 4)


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], Path]
    error: str  # class name of the error the reader must raise
    match: str  # regex its message must contain


def touch(folder: Path) -> str:
    return f"touch {folder / 'pwned'}"


def _one_tensor(offset, size, stride, numel=4, data=FOUR, kind="FloatStorage", key="w"):
    def build(folder: Path) -> Path:
        root = OrderedDictOf({key: tensor(storage("0", numel, kind), offset, size, stride)})
        return write_zip(folder / "case.pth", root, {"0": data})

    return build


def _zip_root(root_of: Callable[[Path], object], storages: dict[str, bytes] | None = None):
    return lambda folder: write_zip(folder / "case.pth", root_of(folder), storages or {})


def _raw_pickle(data_of: Callable[[Path], bytes]):
    return lambda folder: write_zip(folder / "case.pth", None, {}, raw_pickle=data_of(folder))


def _legacy(root_of, storages, keys=None):
    return lambda folder: write_legacy(folder / "case.pth", root_of(folder), storages, keys)


def _bare_pickle(root_of):
    def build(folder: Path) -> Path:
        (folder / "case.pth").write_bytes(pickle_bytes(root_of(folder)))
        return folder / "case.pth"

    return build


def _zip_bomb(folder: Path) -> Path:
    """3 MB on disk, 3 GiB declared and really inflating to 3 GiB of zeros (honest sizes, bogus CRC)."""
    numel = 3 * (1 << 30) // 4
    root = OrderedDictOf({"w": tensor(storage("0", numel), 0, (numel,), (1,))})
    entries = [
        ("archive/data.pkl", deflate(pickle_bytes(root))),
        ("archive/data/0", (deflated_zeros(3072), 4 * numel, 0)),
    ]
    return write_raw_zip(folder / "case.pth", entries)


def _lying_zip_header(folder: Path) -> Path:
    """The storage entry declares 16 bytes (as the record says) but inflates to 256 MiB."""
    root = OrderedDictOf({"w": tensor(storage("0", 4), 0, (4,), (1,))})
    entries = [("archive/data.pkl", deflate(pickle_bytes(root))), ("archive/data/0", (deflated_zeros(256), 16, 0))]
    return write_raw_zip(folder / "case.pth", entries)


def _many_entries(folder: Path) -> Path:
    """600 000 empty entries: a 32 MB central directory that zipfile would turn into ~10× that in objects."""
    empty = deflate(b"")
    return write_raw_zip(folder / "case.pth", [(f"e/{i:06d}", empty) for i in range(600_000)])


def _zip64_multi_disk(folder: Path) -> Path:
    """Found by tools/fuzz_pth.py: a zip64 locator naming a second disk made zipfile.is_zipfile raise."""
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, 0, 2)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0, 0, 0, 0, 0)
    (folder / "case.pth").write_bytes(b"\0" * 64 + locator + end)
    return folder / "case.pth"


def _truncated(name: str):
    def build(folder: Path) -> Path:
        data = (DATA_DIR / name).read_bytes()
        (folder / "case.pth").write_bytes(data[: len(data) // 2])
        return folder / "case.pth"

    return build


def _zip_with(entry_bytes: dict[str, bytes], compression=zipfile.ZIP_STORED):
    def build(folder: Path) -> Path:
        root = OrderedDictOf({"w": tensor(storage("0", 4), 0, (4,), (1,))})
        with zipfile.ZipFile(folder / "case.pth", "w", compression) as archive:
            archive.writestr("archive/data.pkl", pickle_bytes(root))
            for name, data in entry_bytes.items():
                archive.writestr(f"archive/{name}", data)
        return folder / "case.pth"

    return build


def _legacy_tensor(numel, view=None):
    return lambda folder: OrderedDictOf({"w": tensor(storage("0", numel, legacy=True, view=view), 0, (4,), (1,))})


def _set_attribute_on(module: str, name: str):
    """A pickle that sets an attribute on a global it may load (pickle's BUILD opcode, slot-state form)."""
    return lambda folder: Raw(encode(Global(module, name)) + encode((None, {"dtype": "O"})) + b"b")


CODE_CASES = [
    Case(
        "os_system_reduce", _zip_root(lambda f: {"w": Call(Global("os", "system"), (touch(f),))}), UNSAFE, "os.system"
    ),
    Case(
        "builtins_eval",
        _zip_root(lambda f: {"w": Call(Global("builtins", "eval"), (f"__import__('os').system('{touch(f)}')",))}),
        UNSAFE,
        "builtins.eval",
    ),
    Case(
        "builtins_import",
        _zip_root(lambda f: {"w": Call(Global("builtins", "__import__"), ("os",))}),
        UNSAFE,
        "builtins.__import__",
    ),
    Case(
        "builtins_getattr",
        _zip_root(
            lambda f: {
                "w": Call(
                    Call(Global("builtins", "getattr"), (Global("collections", "OrderedDict"), "fromkeys")), (touch(f),)
                )
            }
        ),
        UNSAFE,
        "builtins.getattr",
    ),
    Case(
        "global_in_persistent_id",
        _zip_root(
            lambda f: {
                "w": tensor(
                    PersistentId(("storage", Call(Global("os", "system"), (touch(f),)), "0", "cpu", 4)), 0, (4,), (1,)
                )
            },
            {"0": FOUR},
        ),
        UNSAFE,
        "os.system",
    ),
    Case("persistent_id_not_a_storage", _zip_root(lambda f: {"w": PersistentId(touch(f))}), UNSAFE, "persistent id"),
    Case("protocol0_inst", _raw_pickle(lambda f: f"(S'{touch(f)}'\nios\nsystem\n.".encode()), UNSAFE, "os.system"),
    Case(
        "protocol4_stack_global",
        _raw_pickle(lambda f: b"\x80\x04\x8c\x05posix\x8c\x06system\x93" + encode((touch(f),)) + b"R."),
        UNSAFE,
        "posix.system",
    ),
    Case(
        "build_on_storage_type",
        _zip_root(_set_attribute_on("torch", "FloatStorage")),
        UNSAFE,
        "refusing to set 'dtype'",
    ),
    Case(
        "build_on_rebuild_function",
        _zip_root(_set_attribute_on("torch._utils", "_rebuild_tensor_v2")),
        UNSAFE,
        "refusing to set",
    ),
    Case(
        "legacy_os_system", _legacy(lambda f: {"w": Call(Global("os", "system"), (touch(f),))}, []), UNSAFE, "os.system"
    ),
    Case(
        "legacy_magic_runs_code", _bare_pickle(lambda f: Call(Global("os", "system"), (touch(f),))), UNSAFE, "os.system"
    ),
]

LAYOUT_CASES = [
    Case(
        "huge_size_over_4_floats",
        _one_tensor(0, (50_000_000,), (1,)),
        MALFORMED,
        r"'w'.*reach element 49,999,999.*only 4",
    ),
    Case(
        "bias_20_over_1_float",
        _one_tensor(0, (20,), (1,), numel=1, data=float_bytes(1), key="conv.bias"),
        MALFORMED,
        r"'conv.bias'.*only 1 elements",
    ),
    Case("negative_stride", _one_tensor(3, (4,), (-1,)), MALFORMED, "stride entry -1"),
    Case("overlapping_strides", _one_tensor(0, (2, 2), (1, 1)), MALFORMED, "overlap"),
    Case("zero_stride_broadcast", _one_tensor(0, (10**8,), (0,)), MALFORMED, "overlap"),
    Case("negative_offset", _one_tensor(-1, (1,), (1,)), MALFORMED, "storage offset -1"),
    Case("offset_past_the_end", _one_tensor(4, (1,), (1,)), MALFORMED, "reach element 4"),
    Case("float_dim", _one_tensor(0, (2.5,), (1,)), MALFORMED, "size entry 2.5"),
    Case("huge_dim", _one_tensor(0, (2**70,), (1,)), MALFORMED, "integer of 71 bits"),
    Case("size_not_a_tuple", _one_tensor(0, 4, (1,)), MALFORMED, "size 4 is not a tuple"),
    Case("sizes_and_strides_differ", _one_tensor(0, (2, 2), (1,)), MALFORMED, "2 sizes but 1 strides"),
    Case(
        "too_many_elements_in_empty",
        _one_tensor(0, (0, 2**62, 2**62), (1, 1, 1)),
        MALFORMED,
        "more than 2..63 elements",
    ),
    Case("storage_not_whole_elements", _one_tensor(0, (1,), (1,), numel=1, data=b"\0" * 6), MALFORMED, "holds 6 bytes"),
    Case(
        "storage_shorter_than_record",
        _one_tensor(0, (8,), (1,), numel=8, data=FOUR),
        MALFORMED,
        r"holds 16 bytes.*8 FloatStorage",
    ),
    Case(
        "unsupported_storage_type",
        _one_tensor(0, (2,), (1,), kind="ComplexFloatStorage"),
        MALFORMED,
        "ComplexFloatStorage",
    ),
]

CONTAINER_CASES = [
    Case(
        "missing_storage_entry",
        _zip_root(lambda f: {"conv.weight": tensor(storage("7", 4), 0, (4,), (1,))}),
        MALFORMED,
        r"'conv.weight'.*missing",
    ),
    Case(
        "storage_type_not_a_type",
        _zip_root(
            lambda f: {"w": tensor(PersistentId(("storage", "FloatStorage", "0", "cpu", 4)), 0, (4,), (1,))},
            {"0": FOUR},
        ),
        MALFORMED,
        "not a storage type",
    ),
    Case(
        "storage_record_too_short",
        _zip_root(lambda f: {"w": tensor(PersistentId(("storage", Global("torch", "FloatStorage"))), 0, (4,), (1,))}),
        MALFORMED,
        "fields",
    ),
    Case(
        "negative_storage_numel",
        _zip_root(lambda f: {"w": tensor(storage("0", -4), 0, (4,), (1,))}, {"0": FOUR}),
        MALFORMED,
        "element count",
    ),
    Case(
        "key_not_a_string",
        _zip_root(lambda f: {1: tensor(storage("0", 4), 0, (4,), (1,))}, {"0": FOUR}),
        MALFORMED,
        "not a string",
    ),
    Case("value_not_a_tensor", _zip_root(lambda f: {"w": 5}), MALFORMED, "'w' is a int, not a tensor"),
    Case(
        "duplicate_after_module_prefix",
        _zip_root(
            lambda f: {"w": tensor(storage("0", 4), 0, (4,), (1,)), "module.w": tensor(storage("0", 4), 0, (4,), (1,))},
            {"0": FOUR},
        ),
        MALFORMED,
        "twice",
    ),
    Case("not_a_state_dict", _zip_root(lambda f: [1, 2, 3]), MALFORMED, "expected a state dict"),
    Case("big_endian", _zip_with({"byteorder": b"big", "data/0": FOUR}), MALFORMED, "big-endian"),
    Case("bzip2_entry", _zip_with({"data/0": FOUR}, zipfile.ZIP_BZIP2), MALFORMED, "compression"),
    Case(
        "huge_bytes_opcode",
        _raw_pickle(lambda f: b"\x80\x04\x8e" + struct.pack("<Q", 1 << 62) + b"x."),
        MALFORMED,
        "not a readable",
    ),
    Case("zip_bomb_3gib", _zip_bomb, MALFORMED, "limit"),
    Case("zip_header_lies_small", _lying_zip_header, MALFORMED, "cannot read|CRC"),
    Case("zip_directory_bomb", _many_entries, MALFORMED, "central directory"),
    # Found by tools/fuzz_pth.py: a 7-byte pickle whose LONG_BINPUT index makes the C unpickler zero a 1 GiB memo.
    Case(
        "pickle_memo_bomb", _raw_pickle(lambda f: b"\x80\x02Nr" + struct.pack("<I", 1 << 26) + b"."), MALFORMED, "memo"
    ),
    Case("zip64_multi_disk", _zip64_multi_disk, MALFORMED, "damaged zip archive"),
    Case("truncated_zip", _truncated("torch_zip_format.pth"), MALFORMED, "not a"),
    Case(
        "truncated_legacy",
        _truncated("torch_legacy_format.pth"),
        MALFORMED,
        "not a readable|truncated|left in the file",
    ),
    Case("pickle_over_limit", _raw_pickle(lambda f: pickle.dumps("x" * (17 << 20), protocol=2)), MALFORMED, "limit"),
]

LEGACY_CASES = [
    Case("legacy_lying_numel", _legacy(_legacy_tensor(10**9), [("0", 10**9, FOUR)]), MALFORMED, "only 16 are left"),
    Case("legacy_numel_disagrees", _legacy(_legacy_tensor(4), [("0", 2, FOUR)]), MALFORMED, "stored with 2 elements"),
    Case(
        "legacy_view_out_of_range",
        _legacy(_legacy_tensor(4, view=("v", 2, 10)), [("0", 4, FOUR)]),
        MALFORMED,
        "outside",
    ),
    Case("legacy_storage_data_missing", _legacy(_legacy_tensor(4), [], keys=[]), MALFORMED, "not in the file"),
    Case(
        "legacy_keys_not_a_list", _legacy(_legacy_tensor(4), [("0", 4, FOUR)], keys={"0": 1}), MALFORMED, "storage keys"
    ),
    Case("legacy_huge_numel_header", _legacy(_legacy_tensor(4), [("0", -(2**62), FOUR)]), MALFORMED, "stored with"),
]

ALL_CASES = CODE_CASES + LAYOUT_CASES + CONTAINER_CASES + LEGACY_CASES
