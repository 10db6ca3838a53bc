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

from tests.security.builders import (
    FOUR,
    bare_pickle,
    legacy,
    legacy_tensor,
    lying_zip_header,
    many_entries,
    one_tensor,
    raw_pickle,
    set_attribute_on,
    touch,
    truncated,
    zip64_multi_disk,
    zip_bomb,
    zip_root,
    zip_with,
)
from tests.security.crafting import (
    Call,
    Global,
    PersistentId,
    encode,
    float_bytes,
    storage,
    tensor,
)

UNSAFE, MALFORMED = "UnsafeCheckpointError", "MalformedCheckpointError"


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], Path]
    error: str  # class name of the error the reader must raise
    match: str  # regex its message must contain


CODE_CASES = [
    Case("os_system_reduce", zip_root(lambda f: {"w": Call(Global("os", "system"), (touch(f),))}), UNSAFE, "os.system"),
    Case(
        "builtins_eval",
        zip_root(lambda f: {"w": Call(Global("builtins", "eval"), (f"__import__('os').system('{touch(f)}')",))}),
        UNSAFE,
        "builtins.eval",
    ),
    Case(
        "builtins_import",
        zip_root(lambda f: {"w": Call(Global("builtins", "__import__"), ("os",))}),
        UNSAFE,
        "builtins.__import__",
    ),
    Case(
        "builtins_getattr",
        zip_root(
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
        zip_root(
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
    Case("persistent_id_not_a_storage", zip_root(lambda f: {"w": PersistentId(touch(f))}), UNSAFE, "persistent id"),
    Case("protocol0_inst", raw_pickle(lambda f: f"(S'{touch(f)}'\nios\nsystem\n.".encode()), UNSAFE, "os.system"),
    Case(
        "protocol4_stack_global",
        raw_pickle(lambda f: b"\x80\x04\x8c\x05posix\x8c\x06system\x93" + encode((touch(f),)) + b"R."),
        UNSAFE,
        "posix.system",
    ),
    Case(
        "build_on_storage_type",
        zip_root(set_attribute_on("torch", "FloatStorage")),
        UNSAFE,
        "refusing to set 'dtype'",
    ),
    Case(
        "build_on_rebuild_function",
        zip_root(set_attribute_on("torch._utils", "_rebuild_tensor_v2")),
        UNSAFE,
        "refusing to set",
    ),
    Case(
        "legacy_os_system", legacy(lambda f: {"w": Call(Global("os", "system"), (touch(f),))}, []), UNSAFE, "os.system"
    ),
    Case(
        "legacy_magic_runs_code", bare_pickle(lambda f: Call(Global("os", "system"), (touch(f),))), UNSAFE, "os.system"
    ),
]

LAYOUT_CASES = [
    Case(
        "huge_size_over_4_floats",
        one_tensor(0, (50_000_000,), (1,)),
        MALFORMED,
        r"'w'.*reach element 49,999,999.*only 4",
    ),
    Case(
        "bias_20_over_1_float",
        one_tensor(0, (20,), (1,), numel=1, data=float_bytes(1), key="conv.bias"),
        MALFORMED,
        r"'conv.bias'.*only 1 elements",
    ),
    Case("negative_stride", one_tensor(3, (4,), (-1,)), MALFORMED, "stride entry -1"),
    Case("overlapping_strides", one_tensor(0, (2, 2), (1, 1)), MALFORMED, "overlap"),
    Case("zero_stride_broadcast", one_tensor(0, (10**8,), (0,)), MALFORMED, "overlap"),
    Case("negative_offset", one_tensor(-1, (1,), (1,)), MALFORMED, "storage offset -1"),
    Case("offset_past_the_end", one_tensor(4, (1,), (1,)), MALFORMED, "reach element 4"),
    Case("float_dim", one_tensor(0, (2.5,), (1,)), MALFORMED, "size entry 2.5"),
    Case("huge_dim", one_tensor(0, (2**70,), (1,)), MALFORMED, "integer of 71 bits"),
    Case("size_not_a_tuple", one_tensor(0, 4, (1,)), MALFORMED, "size 4 is not a tuple"),
    Case("sizes_and_strides_differ", one_tensor(0, (2, 2), (1,)), MALFORMED, "2 sizes but 1 strides"),
    Case(
        "too_many_elements_in_empty",
        one_tensor(0, (0, 2**62, 2**62), (1, 1, 1)),
        MALFORMED,
        "more than 2..63 elements",
    ),
    Case("storage_not_whole_elements", one_tensor(0, (1,), (1,), numel=1, data=b"\0" * 6), MALFORMED, "holds 6 bytes"),
    Case(
        "storage_shorter_than_record",
        one_tensor(0, (8,), (1,), numel=8, data=FOUR),
        MALFORMED,
        r"holds 16 bytes.*8 FloatStorage",
    ),
    Case(
        "unsupported_storage_type",
        one_tensor(0, (2,), (1,), kind="ComplexFloatStorage"),
        MALFORMED,
        "ComplexFloatStorage",
    ),
]

CONTAINER_CASES = [
    Case(
        "missing_storage_entry",
        zip_root(lambda f: {"conv.weight": tensor(storage("7", 4), 0, (4,), (1,))}),
        MALFORMED,
        r"'conv.weight'.*missing",
    ),
    Case(
        "storage_type_not_a_type",
        zip_root(
            lambda f: {"w": tensor(PersistentId(("storage", "FloatStorage", "0", "cpu", 4)), 0, (4,), (1,))},
            {"0": FOUR},
        ),
        MALFORMED,
        "not a storage type",
    ),
    Case(
        "storage_record_too_short",
        zip_root(lambda f: {"w": tensor(PersistentId(("storage", Global("torch", "FloatStorage"))), 0, (4,), (1,))}),
        MALFORMED,
        "fields",
    ),
    Case(
        "negative_storage_numel",
        zip_root(lambda f: {"w": tensor(storage("0", -4), 0, (4,), (1,))}, {"0": FOUR}),
        MALFORMED,
        "element count",
    ),
    Case(
        "key_not_a_string",
        zip_root(lambda f: {1: tensor(storage("0", 4), 0, (4,), (1,))}, {"0": FOUR}),
        MALFORMED,
        "not a string",
    ),
    Case("value_not_a_tensor", zip_root(lambda f: {"w": 5}), MALFORMED, "'w' is a int, not a tensor"),
    Case(
        "duplicate_after_module_prefix",
        zip_root(
            lambda f: {"w": tensor(storage("0", 4), 0, (4,), (1,)), "module.w": tensor(storage("0", 4), 0, (4,), (1,))},
            {"0": FOUR},
        ),
        MALFORMED,
        "twice",
    ),
    Case("not_a_state_dict", zip_root(lambda f: [1, 2, 3]), MALFORMED, "expected a state dict"),
    Case("big_endian", zip_with({"byteorder": b"big", "data/0": FOUR}), MALFORMED, "big-endian"),
    Case("bzip2_entry", zip_with({"data/0": FOUR}, zipfile.ZIP_BZIP2), MALFORMED, "compression"),
    Case(
        "huge_bytes_opcode",
        raw_pickle(lambda f: b"\x80\x04\x8e" + struct.pack("<Q", 1 << 62) + b"x."),
        MALFORMED,
        "not a readable",
    ),
    Case("zip_bomb_3gib", zip_bomb, MALFORMED, "limit"),
    Case("zip_header_lies_small", lying_zip_header, MALFORMED, "cannot read|CRC"),
    Case("zip_directory_bomb", many_entries, MALFORMED, "central directory"),
    # Found by tools/fuzz_pth.py: a 7-byte pickle whose LONG_BINPUT index makes the C unpickler zero a 1 GiB memo.
    Case(
        "pickle_memo_bomb", raw_pickle(lambda f: b"\x80\x02Nr" + struct.pack("<I", 1 << 26) + b"."), MALFORMED, "memo"
    ),
    Case("zip64_multi_disk", zip64_multi_disk, MALFORMED, "damaged zip archive"),
    Case("truncated_zip", truncated("torch_zip_format.pth"), MALFORMED, "not a"),
    Case(
        "truncated_legacy",
        truncated("torch_legacy_format.pth"),
        MALFORMED,
        "not a readable|truncated|left in the file",
    ),
    Case("pickle_over_limit", raw_pickle(lambda f: pickle.dumps("x" * (17 << 20), protocol=2)), MALFORMED, "limit"),
]

LEGACY_CASES = [
    Case("legacy_lying_numel", legacy(legacy_tensor(10**9), [("0", 10**9, FOUR)]), MALFORMED, "only 16 are left"),
    Case("legacy_numel_disagrees", legacy(legacy_tensor(4), [("0", 2, FOUR)]), MALFORMED, "stored with 2 elements"),
    Case(
        "legacy_view_out_of_range",
        legacy(legacy_tensor(4, view=("v", 2, 10)), [("0", 4, FOUR)]),
        MALFORMED,
        "outside",
    ),
    Case("legacy_storage_data_missing", legacy(legacy_tensor(4), [], keys=[]), MALFORMED, "not in the file"),
    Case(
        "legacy_keys_not_a_list", legacy(legacy_tensor(4), [("0", 4, FOUR)], keys={"0": 1}), MALFORMED, "storage keys"
    ),
    Case("legacy_huge_numel_header", legacy(legacy_tensor(4), [("0", -(2**62), FOUR)]), MALFORMED, "stored with"),
]

ALL_CASES = CODE_CASES + LAYOUT_CASES + CONTAINER_CASES + LEGACY_CASES
