"""Crafted .pth files (tests/security/pth_cases.py): each is refused with a clear error naming the file."""

from __future__ import annotations

import re

import numpy as np
import pytest

from attentiongan_tf.official.torch_pickle import read_torch_state_dict
from tests.conftest import DATA_DIR
from tests.security.crafting import OrderedDictOf, float_bytes, storage, tensor, write_legacy, write_zip
from tests.security.pth_cases import ALL_CASES, Case


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.name)
def test_crafted_file_is_refused_clearly(case: Case, tmp_path):
    path = case.build(tmp_path)
    with pytest.raises(ValueError) as caught:
        read_torch_state_dict(path)
    message = str(caught.value)
    assert type(caught.value).__name__ == case.error, message
    assert re.search(case.match, message), message
    assert message.startswith(str(path)), message
    assert "\n" not in message and len(message) < 600
    assert not (tmp_path / "pwned").exists()


def test_hand_built_files_match_real_torch_files(tmp_path):
    """The crafting helpers write the layout torch does: the same tensors come back as from the real files."""
    expected = np.load(DATA_DIR / "torch_fixture_expected.npz")
    base = (np.arange(24, dtype=np.float32) / 7).astype("<f4").tobytes()
    shared = np.arange(10, dtype="<f4").tobytes()
    records = {
        "conv.weight": ("0", 24, "FloatStorage", 0, (2, 3, 4), (12, 4, 1)),
        "conv.bias": ("1", 2, "FloatStorage", 0, (2,), (1,)),
        "transposed": ("0", 24, "FloatStorage", 0, (4, 2, 3), (1, 12, 4)),
        "view_a": ("2", 10, "FloatStorage", 2, (4,), (1,)),
        "view_b": ("2", 10, "FloatStorage", 5, (5,), (1,)),
        "half": ("3", 2, "HalfStorage", 0, (2,), (1,)),
        "count": ("4", 1, "LongStorage", 0, (), ()),
    }
    data = {
        "0": base,
        "1": float_bytes(0.5, -1.25),
        "2": shared,
        "3": np.array([1.5, -2.0], "<f2").tobytes(),
        "4": np.array([7], "<i8").tobytes(),
    }
    for legacy in (False, True):
        root = OrderedDictOf(
            {k: tensor(storage(key, n, kind, legacy=legacy), off, size, stride)
             for k, (key, n, kind, off, size, stride) in records.items()}
        )
        if legacy:
            path = write_legacy(tmp_path / "l.pth", root, [(k, len(v) // {"3": 2, "4": 8}.get(k, 4), v)
                                                             for k, v in data.items()])
        else:
            path = write_zip(tmp_path / "z.pth", root, data)
        state = read_torch_state_dict(path)
        assert sorted(state) == sorted(expected.files)
        for key in expected.files:
            assert state[key].dtype == expected[key].dtype, key
            np.testing.assert_array_equal(state[key], expected[key], err_msg=key)


def test_limits_are_configurable(tmp_path, monkeypatch):
    """A genuine file over the cap is refused, and passes once the cap (argument or env var) allows it."""
    from attentiongan_tf.official.torch_pickle import MalformedCheckpointError, ReadLimits

    numel = 1 << 16
    root = OrderedDictOf({"w": tensor(storage("0", numel), 0, (numel,), (1,))})
    path = write_zip(tmp_path / "big.pth", root, {"0": bytes(4 * numel)})
    with pytest.raises(MalformedCheckpointError, match="ATTENTIONGAN_MAX_CHECKPOINT_BYTES"):
        read_torch_state_dict(path, ReadLimits(max_total_bytes=4 * numel))
    assert read_torch_state_dict(path, ReadLimits(max_total_bytes=8 * numel))["w"].shape == (numel,)
    monkeypatch.setenv("ATTENTIONGAN_MAX_CHECKPOINT_BYTES", str(4 * numel))
    with pytest.raises(MalformedCheckpointError, match="limit"):
        read_torch_state_dict(path)
