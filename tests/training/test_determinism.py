"""``--deterministic`` on a CPU: the same run gives the same numbers however busy the machine is.

On a loaded 2-core machine, ops running side by side drifted from a run made alone in 6 of 30 runs (a ~1e-7
difference in a transposed convolution's gradient that Adam grew to 5e-5 within two steps); one op at a time, each
on both cores, in about 1 run in 40; one op at a time on one thread in none of 138 (benchmarks/RESULTS.md
"determinism_under_load"). So a deterministic run sets one op at a time on one thread before TensorFlow starts,
or says how when it is too late.
"""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from attentiongan_tf.cli import train as train_cli
from attentiongan_tf.training import determinism, loop, precision
from tests.unit.training_setup import tiny_config

ROOT = Path(__file__).resolve().parents[2]
INTER, INTRA = THREAD_VARIABLES = ("TF_NUM_INTEROP_THREADS", "TF_NUM_INTRAOP_THREADS")


def test_a_deterministic_run_trains_one_op_at_a_time_on_one_thread(tmp_path):
    code = (
        "import tensorflow as tf\n"
        "from attentiongan_tf.training.loop import train\n"
        "from tests.unit.training_setup import tiny_config\n"
        "config = tiny_config(steps=1, deterministic=True)\n"
        f"config.train.output_dir = {str(tmp_path / 'run')!r}\n"
        "train(config)\n"
        "pools = tf.config.threading\n"
        "print('threads', pools.get_inter_op_parallelism_threads(), pools.get_intra_op_parallelism_threads())\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "threads 1 1" in done.stdout


def test_too_late_to_set_says_how(tmp_path, caplog, monkeypatch):
    # As when TensorFlow started with its default thread pools before the run.
    monkeypatch.setattr(precision, "use_single_thread", lambda: False)
    monkeypatch.setattr(determinism, "_configured_threads", lambda: {INTER: 0, INTRA: 0})
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    config = tiny_config(steps=1, deterministic=True)
    config.train.output_dir = str(tmp_path / "run")
    with caplog.at_level(logging.WARNING):
        loop.train(config)
    assert "TF_NUM_INTEROP_THREADS=1 TF_NUM_INTRAOP_THREADS=1" in caplog.text and "--deterministic" in caplog.text


@pytest.mark.parametrize(
    ("can_set", "environ", "configured", "warns"),
    [
        (True, {}, (0, 0), False),
        (False, {}, (0, 0), True),  # TensorFlow started with its default pools
        (False, {INTER: "1", INTRA: "1"}, (0, 0), False),  # started by the user's settings: already exact
        (False, {}, (1, 1), False),  # started after someone set them
        (False, {}, (1, 0), True),  # one op at a time, but each op split over the cores
        (False, {INTER: "1"}, (0, 0), True),
        (False, {INTER: "2"}, (2, 0), True),
        (True, {INTER: "2"}, (0, 0), True),  # the user's own settings are kept, with the warning
        (True, {INTRA: "4"}, (0, 0), True),
        (True, {INTER: "1", INTRA: "1"}, (0, 0), False),
    ],
)
def test_exact_threads_or_a_warning(monkeypatch, can_set, environ, configured, warns):
    calls = []
    monkeypatch.setattr(precision, "use_single_thread", lambda: calls.append("single thread") or can_set)
    configured_threads = dict(zip(THREAD_VARIABLES, configured, strict=True))
    monkeypatch.setattr(determinism, "_configured_threads", lambda: configured_threads)
    warning = determinism.use_exact_threads(environ)
    assert (warning is not None) is warns
    if warns:
        assert "TF_NUM_INTEROP_THREADS=1 TF_NUM_INTRAOP_THREADS=1" in warning, warning
    user_set = any(environ.get(name, "1") != "1" for name in THREAD_VARIABLES)
    assert calls == ([] if user_set else ["single thread"])  # the user's own setting is never replaced


def test_auto_leaves_the_threads_to_a_deterministic_run(monkeypatch, caplog):
    calls = []
    monkeypatch.setattr(precision, "auto_mixed_precision", lambda: "bfloat16")
    monkeypatch.setattr(precision, "auto_bfloat16_winograd", lambda: True)
    monkeypatch.setattr(precision, "auto_one_thread_per_op", lambda **_: True)
    monkeypatch.setattr(precision, "use_one_thread_per_op", lambda: calls.append(1) or True)
    config = train_cli.build_config(train_cli.parse_args(["--mixed-precision", "auto", "--deterministic"]))
    assert config.train.mixed_precision == "bfloat16" and config.train.deterministic and calls == []
    assert "one thread per op" not in caplog.text


def test_auto_float32_leaves_the_threads_to_a_deterministic_run(monkeypatch, caplog):
    calls = []
    monkeypatch.setattr(precision, "auto_mixed_precision", lambda: "off")
    monkeypatch.setattr(precision, "auto_one_op_at_a_time", lambda: True)
    monkeypatch.setattr(precision, "use_one_op_at_a_time", lambda: calls.append(1) or True)
    with caplog.at_level(logging.INFO):
        config = train_cli.build_config(train_cli.parse_args(["--mixed-precision", "auto", "--deterministic"]))
    assert config.train.conv_algorithm == "winograd" and config.train.deterministic and calls == []
    assert "one op at a time: TF_NUM_INTEROP_THREADS=1" not in caplog.text


def test_the_cli_sets_the_threads_before_tensorflow_starts(tmp_path):
    done = subprocess.run(
        [sys.executable, "train.py", "--image-size", "16", "--ngf", "4", "--n-blocks", "1", "--batch-size", "2",
         "--steps", "1", "--deterministic", "--output-dir", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "TensorFlow started before" not in done.stderr
