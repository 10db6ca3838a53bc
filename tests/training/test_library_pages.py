"""The training process gives back the start-up pages of its shared libraries (issue #15: peak RSS ≤ official)."""

import mmap
import platform
import sys
from pathlib import Path

import numpy as np
import pytest

from attentiongan_tf.training import library_pages, loop
from attentiongan_tf.training.library_pages import read_only_file_mappings, release_library_pages
from attentiongan_tf.training.tasks.two_domain import AttentionGANTrainer
from tests.robustness.runs import two_domain_config

MAPS = """\
5600aa000000-5600aa001000 r--p 00000000 08:01 1234  /usr/bin/python3.11
5600aa001000-5600aa002000 r-xp 00001000 08:01 1234  /usr/bin/python3.11
5600aa002000-5600aa003000 rw-p 00002000 08:01 1234  /usr/bin/python3.11
5600ab000000-5600ab100000 rw-p 00000000 00:00 0     [heap]
7f0000000000-7f0000200000 r-xp 00000000 08:01 99    /site-packages/tensorflow/libtensorflow_cc.so.2
7f0000200000-7f0000300000 r--s 00000000 08:01 98    /dev/shm/shared_weights
7f0000300000-7f0000400000 rw-p 00000000 00:00 0
7f0000400000-7f0000401000 r--p 00000000 08:01 77    /tmp/a file with spaces.so (deleted)
7ffd00000000-7ffd00001000 r-xp 00000000 00:00 0     [vdso]
"""


def test_only_private_read_only_file_mappings_are_chosen():
    assert read_only_file_mappings(MAPS) == [
        (0x5600AA000000, 0x5600AA001000),
        (0x5600AA001000, 0x5600AA002000),
        (0x7F0000000000, 0x7F0000200000),
        (0x7F0000400000, 0x7F0000401000),
    ]


def _resident_file_kib() -> int:
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("RssFile:")).split()[1])


def _kernel_has_pageout() -> bool:
    release = platform.release().split(".")
    return sys.platform.startswith("linux") and tuple(int(n) for n in release[:2] if n.isdigit()) >= (5, 4)


@pytest.mark.skipif(not _kernel_has_pageout(), reason="needs Linux 5.4 or later (MADV_PAGEOUT)")
def test_pages_of_a_read_only_file_mapping_are_dropped_and_come_back(tmp_path):
    """A file mapped private and read-only, as a shared library's code is (the kernel drops only the pages that no
    other process maps, so the test maps a file of its own rather than TensorFlow's libraries, which the other
    test processes map too)."""
    data = np.random.default_rng(0).integers(0, 256, 32 * 2**20, dtype=np.uint8).tobytes()
    path = tmp_path / "library.so"
    path.write_bytes(data)
    with path.open("rb") as file:
        mapped = mmap.mmap(file.fileno(), len(data), flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
    try:
        checksum = sum(mapped[i] for i in range(0, len(data), mmap.PAGESIZE))  # every page made resident
        before = _resident_file_kib()
        assert release_library_pages() >= len(data)
        assert _resident_file_kib() < before - 30 * 1024  # the 32 MiB are gone from the resident set
        assert sum(mapped[i] for i in range(0, len(data), mmap.PAGESIZE)) == checksum
        assert mapped[:] == data  # read back from the file, unchanged
    finally:
        mapped.close()


def test_nothing_is_done_where_the_kernel_cannot(monkeypatch, tmp_path):
    assert release_library_pages(tmp_path / "no_maps") == 0
    monkeypatch.setattr(sys, "platform", "darwin")
    assert release_library_pages() == 0


def test_the_training_loop_releases_them_before_and_after_its_first_step(tmp_path, monkeypatch):
    steps_done, steps_done_at_each_release = [], []
    original_step = AttentionGANTrainer.train_step

    def counted_step(self, batch):
        result = original_step(self, batch)
        steps_done.append(1)
        return result

    monkeypatch.setattr(AttentionGANTrainer, "train_step", counted_step)
    monkeypatch.setattr(library_pages, "release_library_pages",
                        lambda: steps_done_at_each_release.append(len(steps_done)))  # fmt: skip
    loop.train(two_domain_config(tmp_path, tmp_path / "run", steps=3), progress=False)
    assert steps_done_at_each_release == [0, 1] and len(steps_done) == 3


def test_a_resumed_run_releases_them_before_and_after_its_own_first_step(tmp_path, monkeypatch):
    loop.train(two_domain_config(tmp_path, tmp_path / "run", steps=2), progress=False)
    released_before_step = []
    original_step = AttentionGANTrainer.train_step
    monkeypatch.setattr(AttentionGANTrainer, "train_step",
                        lambda self, batch: released_before_step.append(len(released)) or original_step(self, batch))
    released: list[int] = []
    monkeypatch.setattr(library_pages, "release_library_pages", lambda: released.append(1))
    loop.train(two_domain_config(tmp_path, tmp_path / "run", steps=5), resume=True, progress=False)
    assert released_before_step == [1, 2, 2]  # steps 3, 4 and 5
