import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_worker(name: str, *args: str) -> dict:
    """The last line of a worker's output (its JSON report), run in a fresh process: the logical CPUs must be
    set before TensorFlow starts."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(Path(__file__).with_name(name)), *args],
        capture_output=True, text=True, timeout=300, env=env, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_two_replicas_match_one_replica_with_same_global_batch():
    report = run_worker("mirrored_worker.py", "3")
    assert report["replicas"] == [1, 2]
    assert report["max_loss_diff"] < 1e-4
    assert report["max_weight_diff"] < 2e-5


@pytest.mark.slow
@pytest.mark.parametrize("gan_mode", ["wgan-gp", "lsgan"])
def test_multidomain_two_replicas_match_one_replica(gan_mode):
    report = run_worker("multidomain_mirrored_worker.py", "4", gan_mode)
    assert report["replicas"] == [1, 2] and report["same_keys"]
    assert report["max_loss_diff"] < 1e-4
    # Only meaningful where round-off alone stays far below the tolerance (see the worker).
    assert report["round_off_floor"] < 2e-6
    assert report["max_weight_diff"] < 2e-5
