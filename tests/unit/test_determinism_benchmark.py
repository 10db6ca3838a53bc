"""benchmarks/determinism_under_load.py: a run differs at its first step that is not bit-identical; each arm's
environment sets the threads it names."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import determinism_under_load as bench  # noqa: E402


def test_first_difference_is_bit_for_bit():
    reference = {1: {"step": 1, "loss": 0.5}, 2: {"step": 2, "loss": 0.25}}
    assert bench.first_difference(reference, {1: {"step": 1, "loss": 0.5}, 2: {"step": 2, "loss": 0.25}}) is None
    assert bench.first_difference(reference, {1: {"step": 1, "loss": 0.5}, 2: {"step": 2, "loss": 0.2500001}}) == 2
    assert bench.first_difference(reference, {1: {"step": 1, "loss": 0.5}}) == 2  # a run that stopped early


def test_arm_environments(monkeypatch):
    monkeypatch.setenv("TF_NUM_INTEROP_THREADS", "7")
    assert "TF_NUM_INTEROP_THREADS" not in bench.arm_environment("one_op")
    side_by_side = bench.arm_environment("side_by_side")["TF_NUM_INTEROP_THREADS"]
    assert int(side_by_side) == len(os.sched_getaffinity(0))


def test_render_lists_every_arm():
    data = {"machine": "a CPU", "arms": {
        "one_op": {"runs": 30, "runs_at_once": 6, "steps": 60, "differing_first_steps": []},
        "side_by_side": {"runs": 30, "runs_at_once": 6, "steps": 60, "differing_first_steps": [7, 2]},
    }}  # fmt: skip
    table = bench.render(data)
    assert "| 30 | 6 | 60 | 0 | none |" in table and "| 30 | 6 | 60 | 2 | 2, 7 |" in table
