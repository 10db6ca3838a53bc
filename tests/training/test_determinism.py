"""``--deterministic`` on a CPU: the same run gives the same numbers however busy the machine is.

Two ops running side by side on the CPU could make a oneDNN kernel split its work differently from one run to the
next (seen as a ~1e-7 difference in a transposed convolution's gradient that Adam grew to 5e-5 within two steps, in
6 of 30 runs on a loaded 2-core machine: benchmarks/determinism_under_load.py). One op at a time makes it much
rarer, so a deterministic run sets that before TensorFlow starts, or says how when it is too late.
"""

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from attentiongan_tf.cli import train as train_cli
from attentiongan_tf.training import determinism, loop, precision
from tests.unit.training_setup import tiny_config

ROOT = Path(__file__).resolve().parents[2]


def test_a_deterministic_run_trains_one_op_at_a_time(tmp_path):
    code = (
        "import tensorflow as tf\n"
        "from attentiongan_tf.training.loop import train\n"
        "from tests.unit.training_setup import tiny_config\n"
        "config = tiny_config(steps=1, deterministic=True)\n"
        f"config.train.output_dir = {str(tmp_path / 'run')!r}\n"
        "train(config)\n"
        "print('inter-op threads', tf.config.threading.get_inter_op_parallelism_threads())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "inter-op threads 1" in done.stdout


def test_too_late_to_set_says_how(tmp_path, caplog, monkeypatch):
    # As when TensorFlow started with its default thread pools before the run.
    monkeypatch.setattr(precision, "use_one_op_at_a_time", lambda: False)
    monkeypatch.setattr(determinism, "_configured_inter_op_threads", lambda: 0)
    monkeypatch.delenv("TF_NUM_INTEROP_THREADS", raising=False)
    config = tiny_config(steps=1, deterministic=True)
    config.train.output_dir = str(tmp_path / "run")
    with caplog.at_level(logging.WARNING):
        loop.train(config)
    assert "TF_NUM_INTEROP_THREADS=1" in caplog.text and "--deterministic" in caplog.text


@pytest.mark.parametrize(
    ("can_set", "environ", "inter_op", "warns"),
    [
        (True, {}, 0, False),
        (False, {}, 0, True),  # TensorFlow started with its default pools
        (False, {"TF_NUM_INTEROP_THREADS": "1"}, 0, False),  # started by the user's setting: already one
        (False, {}, 1, False),  # started after someone set one op at a time
        (False, {"TF_NUM_INTEROP_THREADS": "2"}, 2, True),
        (True, {"TF_NUM_INTEROP_THREADS": "2"}, 0, True),  # the user's own setting is kept, with the warning
    ],
)
def test_one_op_at_a_time_or_a_warning(monkeypatch, can_set, environ, inter_op, warns):
    calls = []
    monkeypatch.setattr(precision, "use_one_op_at_a_time", lambda: calls.append(1) or can_set)
    monkeypatch.setattr(determinism, "_configured_inter_op_threads", lambda: inter_op)
    warning = determinism.run_one_op_at_a_time(environ)
    assert (warning is not None) is warns
    if warns:
        assert "TF_NUM_INTEROP_THREADS=1" in warning
    if "TF_NUM_INTEROP_THREADS" in environ:
        assert calls == []


def test_auto_leaves_the_threads_to_a_deterministic_run(monkeypatch, caplog):
    calls = []
    monkeypatch.setattr(precision, "auto_mixed_precision", lambda: "bfloat16")
    monkeypatch.setattr(precision, "auto_bfloat16_winograd", lambda: True)
    monkeypatch.setattr(precision, "auto_one_thread_per_op", lambda **_: True)
    monkeypatch.setattr(precision, "use_one_thread_per_op", lambda: calls.append(1) or True)
    config = train_cli.build_config(train_cli.parse_args(["--mixed-precision", "auto", "--deterministic"]))
    assert config.train.mixed_precision == "bfloat16" and config.train.deterministic and calls == []
    assert "one thread per op" not in caplog.text


def test_the_cli_sets_one_op_at_a_time_before_tensorflow_starts(tmp_path):
    done = subprocess.run(
        [sys.executable, "train.py", "--image-size", "16", "--ngf", "4", "--n-blocks", "1", "--batch-size", "2",
         "--steps", "1", "--deterministic", "--output-dir", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "TensorFlow started before" not in done.stderr
