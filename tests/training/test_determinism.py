"""``--deterministic`` on a CPU: the same numbers run after run, however busy the machine and however many ops run at
once.

Each op runs on one thread (a kernel split over threads adds in another order: its numbers depend on the thread
count); ops run side by side, whose number changes nothing once the step's graph orders each variable's reads before
its update (tests/training/test_update_order.py). Runs under load: benchmarks/RESULTS.md "determinism_under_load".
"""

import json
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


def deterministic_run(tmp_path, name, environ, size=16, ngf=4, blocks=1):
    """One short --deterministic run in a fresh process: its logged numbers, its thread pools and its stderr."""
    code = (
        "import tensorflow as tf\n"
        "from attentiongan_tf.training.loop import train\n"
        "from tests.unit.training_setup import tiny_config\n"
        "config = tiny_config(steps=3, deterministic=True)\n"
        f"config.data.load_size = config.data.crop_size = {size}\n"
        f"config.model.ngf, config.model.n_blocks = {ngf}, {blocks}\n"
        f"config.train.output_dir = {str(tmp_path / name)!r}\n"
        "config.train.log_every = 1\n"
        "train(config)\n"
        "pools = tf.config.threading\n"
        "print('threads', pools.get_inter_op_parallelism_threads(), pools.get_intra_op_parallelism_threads())\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    env.update(environ, TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    metrics = [json.loads(line) for line in (tmp_path / name / "metrics.jsonl").read_text().splitlines()]
    for row in metrics:
        row.pop("images_per_second")
    threads = done.stdout.split("threads ")[-1].split()
    return metrics, (int(threads[0]), int(threads[1])), done.stderr


def test_each_op_on_one_thread_and_how_many_run_at_once_changes_no_number(tmp_path):
    # 64 px, 16 filters, 3 blocks: large enough that a kernel split over two threads gives other numbers (measured).
    widths = {"size": 64, "ngf": 16, "blocks": 3}
    one_at_a_time, threads, _ = deterministic_run(tmp_path, "one", {INTER: "1"}, **widths)
    assert threads == (1, 1)
    side_by_side, threads, stderr = deterministic_run(tmp_path, "default", {}, **widths)
    assert threads == (len(os.sched_getaffinity(0)), 1) and "--deterministic" not in stderr
    assert len(one_at_a_time) == 3 and side_by_side == one_at_a_time  # bit for bit
    _, threads, stderr = deterministic_run(tmp_path, "split", {INTRA: "2"})
    assert threads[1] == 0 and "TF_NUM_INTRAOP_THREADS=2 (set in the environment) splits each op" in stderr


def test_too_late_to_set_says_how(tmp_path, caplog, monkeypatch):
    # As when TensorFlow started with its default thread pools before the run.
    monkeypatch.setattr(precision, "use_one_thread_per_op", lambda cores=None: False)
    monkeypatch.setattr(determinism, "_configured_intra_op_threads", lambda: 0)
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    config = tiny_config(steps=1, deterministic=True)
    config.train.output_dir = str(tmp_path / "run")
    with caplog.at_level(logging.WARNING):
        loop.train(config)
    assert "set TF_NUM_INTRAOP_THREADS=1" in caplog.text and "--deterministic" in caplog.text


@pytest.mark.parametrize(
    ("can_set", "environ", "configured_intra_op", "warns", "inter_op_set"),
    [
        (True, {}, 0, False, None),  # one thread per op, one op per usable core
        (False, {}, 0, True, None),  # TensorFlow started with its default pools
        (False, {INTER: "1", INTRA: "1"}, 0, False, 1),  # started by the user's settings: one thread per op
        (False, {}, 1, False, None),  # started after someone set one thread per op
        (False, {INTER: "1"}, 0, True, 1),  # one op at a time, but each op split over the cores
        (True, {INTER: "2"}, 0, False, 2),  # the user's ops side by side are kept
        (True, {INTER: "many"}, 0, False, None),
        (True, {INTRA: "4"}, 0, True, "not called"),  # the user's own threads per op are kept, with the warning
        (True, {INTER: "1", INTRA: "1"}, 0, False, 1),
    ],
)
def test_exact_threads_or_a_warning(monkeypatch, can_set, environ, configured_intra_op, warns, inter_op_set):
    calls = []
    monkeypatch.setattr(precision, "use_one_thread_per_op", lambda cores=None: calls.append(cores) or can_set)
    monkeypatch.setattr(determinism, "_configured_intra_op_threads", lambda: configured_intra_op)
    warning = determinism.use_exact_threads(environ)
    assert (warning is not None) is warns
    if warns:
        assert "set TF_NUM_INTRAOP_THREADS=1" in warning, warning
    assert calls == ([] if inter_op_set == "not called" else [inter_op_set])  # never the user's threads per op


def test_auto_leaves_the_threads_to_a_deterministic_run(monkeypatch, caplog):
    calls = []
    monkeypatch.setattr(precision, "auto_mixed_precision", lambda **_: "bfloat16")
    monkeypatch.setattr(precision, "auto_bfloat16_winograd", lambda *_: True)
    monkeypatch.setattr(precision, "auto_one_thread_per_op", lambda **_: True)
    monkeypatch.setattr(precision, "use_one_thread_per_op", lambda: calls.append(1) or True)
    config = train_cli.build_config(train_cli.parse_args(["--mixed-precision", "auto", "--deterministic"]))
    assert config.train.mixed_precision == "bfloat16" and config.train.deterministic and calls == []
    assert "one thread per op" not in caplog.text


def test_the_cli_sets_the_threads_before_tensorflow_starts(tmp_path):
    done = subprocess.run(
        [sys.executable, "train.py", "--image-size", "16", "--ngf", "4", "--n-blocks", "1", "--batch-size", "2",
         "--steps", "1", "--deterministic", "--output-dir", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "TensorFlow started before" not in done.stderr
    cores = len(os.sched_getaffinity(0))
    assert f"--deterministic: op determinism, each op on one thread, {cores} side by side" in done.stderr
