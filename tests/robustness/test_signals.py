"""Item 9 of issue 11: Ctrl-C and SIGTERM stop a real train.py cleanly, save a checkpoint and say how to resume."""

import json
import re
import signal
import subprocess
import sys
import time

import pytest

from .runs import ENV, ROOT, TINY_FLAGS, train_cli

pytestmark = pytest.mark.slow


def logged_steps(run):
    path = run / "metrics.jsonl"
    return [json.loads(x)["step"] for x in path.read_text().splitlines()] if path.is_file() else []


def interrupt(run, signum, *flags):
    """Start a 100000-step run, send ``signum`` once the first step is logged; return (returncode, stderr)."""
    command = [sys.executable, str(ROOT / "train.py"), *TINY_FLAGS, "--steps", "100000", *flags,
               "--output-dir", str(run)]
    process = subprocess.Popen(command, env=ENV, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while not logged_steps(run) and process.poll() is None:
        assert time.time() < deadline, "no step logged"
        time.sleep(0.05)
    process.send_signal(signum)
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_saves_and_resumes(tmp_path, signum, code):
    run = tmp_path / "run"
    returncode, output = interrupt(run, signum, "--checkpoint-every", "1000", "--sample-every", "1000")
    assert returncode == code, output[-3000:]
    assert "Traceback" not in output
    assert f"python train.py --output-dir {run} --resume" in output
    step = int(re.search(r"stopped at step (\d+)", output).group(1))
    assert (run / "checkpoints" / f"ckpt-{step}.index").is_file() and step < 1000
    if signum == signal.SIGTERM:
        return  # resuming is the same as after SIGINT (and is tested for the multi-domain run below)
    resumed = train_cli("--output-dir", str(run), "--resume", "--steps", str(step + 1))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"at step {step}" in resumed.stderr
    assert logged_steps(run) == list(range(1, step + 2))


def test_multidomain_sigterm_saves_and_resumes(tmp_path):
    run = tmp_path / "md"
    flags = ("--preset", "multidomain_demo", "--n-layers-d", "2", "--ndf", "4", "--checkpoint-every", "1000",
             "--sample-every", "1000", "--decay-fraction", "0")
    returncode, output = interrupt(run, signal.SIGTERM, *flags)
    assert returncode == 143 and "Traceback" not in output, output[-3000:]
    assert f"python train.py --output-dir {run} --resume" in output
    step = int(re.search(r"stopped at step (\d+)", output).group(1))
    resumed = train_cli("--output-dir", str(run), "--resume", "--steps", str(step + 1))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert logged_steps(run) == list(range(1, step + 2))
