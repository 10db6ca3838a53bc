import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Runs of a worker, each in a fresh process, before a comparison is called failed (see ``agreeing_report``).
ATTEMPTS = 3


def run_worker(name: str, *args: str) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(Path(__file__).with_name(name)), *args],
        capture_output=True, text=True, timeout=300, env=env, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def agreeing_report(name: str, args: list[str], agrees: Callable[[dict], bool]) -> dict:
    """The first of up to ``ATTEMPTS`` worker reports that ``agrees``, else the last one.

    Now and then (a few runs in a hundred on a loaded 2-core machine; docs/training.md, "Resume") a run's step
    lands a few Adam steps away from the same run made again, one replica or two, whatever the threads: a
    comparison of one replica with two then fails for a reason that is not the replicas'. A replica bug (a wrong
    split, average or sum) fails every attempt.
    """
    report = {}
    for _ in range(ATTEMPTS):
        report = run_worker(name, *args)
        if agrees(report):
            break
    return report


def _two_domain_agrees(report: dict) -> bool:
    return report["max_loss_diff"] < 1e-4 and report["max_weight_diff"] < 2e-5


@pytest.mark.slow
def test_two_replicas_match_one_replica_with_same_global_batch():
    report = agreeing_report("mirrored_worker.py", ["3"], _two_domain_agrees)
    assert report["replicas"] == [1, 2]
    assert report["max_loss_diff"] < 1e-4
    assert report["max_weight_diff"] < 2e-5


def _multidomain_agrees(report: dict) -> bool:
    return report["max_loss_diff"] < 1e-4 and report["round_off_floor"] < 2e-6 and report["max_weight_diff"] < 2e-5


@pytest.mark.slow
@pytest.mark.parametrize("gan_mode", ["wgan-gp", "lsgan"])
def test_multidomain_two_replicas_match_one_replica(gan_mode):
    report = agreeing_report("multidomain_mirrored_worker.py", ["4", gan_mode], _multidomain_agrees)
    assert report["replicas"] == [1, 2] and report["same_keys"]
    assert report["max_loss_diff"] < 1e-4
    # Only meaningful where round-off alone stays far below the tolerance (see the worker).
    assert report["round_off_floor"] < 2e-6
    assert report["max_weight_diff"] < 2e-5


def test_a_comparison_that_never_agrees_is_run_every_attempt_and_reported(monkeypatch):
    reports = iter([{"max_weight_diff": 1.0}, {"max_weight_diff": 2.0}, {"max_weight_diff": 3.0}])
    monkeypatch.setattr(sys.modules[__name__], "run_worker", lambda name, *args: next(reports))
    assert agreeing_report("w.py", [], lambda r: r["max_weight_diff"] < 1e-5) == {"max_weight_diff": 3.0}


def test_the_first_agreeing_report_ends_the_attempts(monkeypatch):
    calls = []
    monkeypatch.setattr(sys.modules[__name__], "run_worker", lambda name, *args: calls.append(args) or {"ok": True})
    assert agreeing_report("w.py", ["3"], lambda r: r["ok"]) == {"ok": True}
    assert calls == [("3",)]
