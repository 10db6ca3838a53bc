"""Benchmark results of one kind of CPU never replace another kind's section of RESULTS.md."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import results  # noqa: E402


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["amx_bf16", "avx512_bf16"], "train_speed"),  # the CPU issue #15's numbers come from
        (["avx512_bf16"], "train_speed_avx512_bf16"),  # AMD Zen 4
        ([], "train_speed_no_bf16"),
    ],
)
def test_each_kind_of_cpu_writes_its_own_section(monkeypatch, flags, expected):
    monkeypatch.setattr(results, "bfloat16_flags", lambda: flags)
    assert results.cpu_section("train_speed") == expected
