"""The torch-free, code-free reader of torch.save files (fixtures written by tools/make_torch_fixtures.py)."""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest

from attentiongan_tf.official.torch_pickle import UnsafeCheckpointError, read_torch_state_dict
from tests.conftest import DATA_DIR


@pytest.mark.parametrize("name", ["torch_zip_format.pth", "torch_legacy_format.pth"])
def test_real_torch_files_read_exactly(name):
    expected = np.load(DATA_DIR / "torch_fixture_expected.npz")
    state = read_torch_state_dict(DATA_DIR / name)
    assert sorted(state) == sorted(expected.files)
    for key in expected.files:
        assert state[key].dtype == expected[key].dtype, key
        np.testing.assert_array_equal(state[key], expected[key], err_msg=key)


class _RunsCode:
    """Pickles as a call of os.system — what a malicious checkpoint does."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def _write_zip_checkpoint(path, payload_bytes: bytes):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("evil/data.pkl", payload_bytes)
        archive.writestr("evil/byteorder", "little")


def test_malicious_zip_checkpoint_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    _write_zip_checkpoint(path, pickle.dumps({"w": _RunsCode(marker)}))
    with pytest.raises(UnsafeCheckpointError, match="refusing to load"):
        read_torch_state_dict(path)
    assert not marker.exists()


def test_malicious_legacy_checkpoint_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil_legacy.pth"
    buffer = io.BytesIO()
    for obj in (0x1950A86A20F9469CFC6C, 1001, {}, {"w": _RunsCode(marker)}):
        pickle.dump(obj, buffer)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(UnsafeCheckpointError):
        read_torch_state_dict(path)
    assert not marker.exists()


def test_not_a_checkpoint_and_missing_file(tmp_path):
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"definitely not a checkpoint")
    with pytest.raises(ValueError, match="not a"):
        read_torch_state_dict(junk)
    with pytest.raises(FileNotFoundError, match="nothere.pth"):
        read_torch_state_dict(tmp_path / "nothere.pth")


def test_a_pickled_non_state_dict_is_refused(tmp_path):
    path = tmp_path / "list.pth"
    _write_zip_checkpoint(path, pickle.dumps([1, 2, 3]))
    with pytest.raises(ValueError, match="state dict"):
        read_torch_state_dict(path)
