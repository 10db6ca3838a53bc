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
    for name in ("TF_NUM_INTEROP_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_ENABLE_ONEDNN_OPTS"):
        monkeypatch.setenv(name, "7")  # the caller's own settings never leak into an arm
    cores = str(len(os.sched_getaffinity(0)))
    threads = ("TF_NUM_INTEROP_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_ENABLE_ONEDNN_OPTS")
    assert [bench.arm_environment("deterministic").get(name) for name in threads] == [None, None, None]
    assert [bench.arm_environment("one_thread").get(name) for name in threads] == ["1", "1", None]
    assert [bench.arm_environment("one_op").get(name) for name in threads] == ["1", cores, None]
    assert [bench.arm_environment("side_by_side").get(name) for name in threads] == [cores, cores, None]


def test_render_lists_every_arm():
    data = {"machine": "a CPU", "arms": {
        "deterministic": {"runs": 30, "runs_at_once": 6, "steps": 60, "differing_first_steps": [],
                          "iteration_s": 5.674, "started": "2026-12-05 19:00 UTC"},
        "side_by_side": {"runs": 30, "runs_at_once": 6, "steps": 60, "differing_first_steps": [7, 2, 7]},
    }}  # fmt: skip
    table = bench.render(data)
    assert "| 2026-12-05 19:00 UTC | 30 | 6 | 60 | 0 | none | 5.67 |" in table
    assert "| not recorded | 30 | 6 | 60 | 3 | 2, 7 (×2) | not measured |" in table
