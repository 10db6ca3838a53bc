"""Which thread setting trains a bfloat16 run faster on this machine, measured: ``--mixed-precision auto``'s probe.

On a 2-core CPU, bfloat16 training runs either each op on both cores (TensorFlow's default) or one thread per op,
two ops side by side. Which is faster changed from run to run on the same kind of cloud machine, by up to a third
(docs/performance_log.md), so a rule written from past runs picked the slower one about as often as the faster.
:func:`measure` times a few steps of the run's own models, at its image size and batch, once with each setting,
each in a process of its own (TensorFlow fixes its thread pools when it starts), before the run starts.

Example:
    >>> probe = measure(config)  # doctest: +SKIP
    >>> probe.one_thread_per_op_is_faster, probe.summary()  # doctest: +SKIP
    (True, 'measured: fastest step 0.84 s with one thread per op, 1.02 s with each op on every core')
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from attentiongan_tf.training.config import Config

#: The two settings, as the child processes are told them.
ALL_CORES_PER_OP, ONE_THREAD_PER_OP = "all_cores_per_op", "one_thread_per_op"
#: Timed steps per setting, after the untimed ones (the first traces and optimizes the step's graph).
STEPS, WARMUP = 3, 2
#: Seconds one setting may take, start-up and tracing included, before the probe gives up on it.
TIMEOUT_S = 900


@dataclasses.dataclass(frozen=True)
class ThreadProbe:
    """Seconds of the fastest timed training step with each thread setting, or why they could not be measured.

    The fastest step, not the median: on a shared machine other work only ever adds time to a step, so the
    fastest is the one least disturbed, and what the setting itself costs.

    Args:
        one_thread_per_op_s: one thread per op, ops side by side (``TF_NUM_INTRAOP_THREADS=1``).
        all_cores_per_op_s: TensorFlow's default, each op on every usable core.
        error: why the probe failed (empty when both were measured).
    """

    one_thread_per_op_s: float = 0.0
    all_cores_per_op_s: float = 0.0
    error: str = ""

    @property
    def one_thread_per_op_is_faster(self) -> bool:
        return not self.error and self.one_thread_per_op_s < self.all_cores_per_op_s

    def summary(self) -> str:
        if self.error:
            return f"the probe failed: {self.error}"
        return (f"measured: fastest step {self.one_thread_per_op_s:.2f} s with one thread per op, "
                f"{self.all_cores_per_op_s:.2f} s with each op on every core")  # fmt: skip


def measure(config: Config, steps: int = STEPS, warmup: int = WARMUP, timeout_s: float = TIMEOUT_S) -> ThreadProbe:
    """Time ``steps`` training steps of ``config`` (after ``warmup`` untimed ones) with both thread settings.

    Each setting runs in a child process on random images of the run's size and batch; call it before this process
    starts TensorFlow if the result is to set its threads. Never raises for a failed child: the returned probe
    says what went wrong (a Ctrl-C still stops it).
    """
    with tempfile.TemporaryDirectory(prefix="attentiongan_thread_probe_") as folder:
        config_path = Path(folder) / "config.json"
        config.save(config_path)
        seconds = []
        for setting in (ALL_CORES_PER_OP, ONE_THREAD_PER_OP):
            timed = _run_child(config_path, setting, steps, warmup, timeout_s)
            if isinstance(timed, str):
                return ThreadProbe(error=timed)
            seconds.append(timed)
    return ThreadProbe(one_thread_per_op_s=seconds[1], all_cores_per_op_s=seconds[0])


def _run_child(config_path: Path, setting: str, steps: int, warmup: int, timeout_s: float) -> float | str:
    """The child's fastest step time, or one line saying why there is none."""
    package_parent = str(Path(__file__).resolve().parents[2])  # importable from anywhere, installed or not
    path = os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3")}
    command = [sys.executable, "-m", __name__, str(config_path), str(steps), str(warmup), setting]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return f"a setting took over {timeout_s:.0f} s"
    except OSError as error:
        return f"its child process did not start ({error})"
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return f"its child process failed ({last})"
    try:
        return float(json.loads(lines[-1])["step_s"])
    except (ValueError, TypeError, KeyError):
        return f"its child process answered {lines[-1][:80]!r}, not a time"


def time_training_steps(config: Config, steps: int, warmup: int) -> list[float]:
    """Seconds of each of ``steps`` training steps of ``config``'s trainer, after ``warmup`` untimed ones, on random
    images of its crop size and batch (what the probe and ``benchmarks/train_speed.py`` time)."""
    import numpy as np
    import tensorflow as tf

    from attentiongan_tf.training.tasks.two_domain import AttentionGANTrainer

    trainer = AttentionGANTrainer(config)
    shape = (config.data.batch_size, config.data.crop_size, config.data.crop_size, 3)
    rng = np.random.default_rng(0)
    batch = {domain: tf.constant(rng.uniform(-1, 1, shape), tf.float32) for domain in ("A", "B")}
    times = []
    for step in range(warmup + steps):
        start = time.perf_counter()
        trainer.train_step(batch)  # returns Python floats: the step has finished
        if step >= warmup:
            times.append(time.perf_counter() - start)
    return times


def _child(config_path: str, steps: int, warmup: int, setting: str) -> dict:
    """Run in the child: set the threads, build the run's trainer and time its steps on random images."""
    import tensorflow as tf

    from attentiongan_tf.training.precision import use_one_thread_per_op

    if setting not in (ALL_CORES_PER_OP, ONE_THREAD_PER_OP):
        raise ValueError(f"setting must be {ALL_CORES_PER_OP} or {ONE_THREAD_PER_OP}, got {setting!r}")
    if setting == ONE_THREAD_PER_OP and not use_one_thread_per_op():
        raise RuntimeError("TensorFlow started before one thread per op could be set")

    times = time_training_steps(Config.load(config_path), steps, warmup)
    threads = tf.config.threading
    return {
        "step_s": min(times),
        "intra_op_threads": threads.get_intra_op_parallelism_threads(),
        "inter_op_threads": threads.get_inter_op_parallelism_threads(),
    }


if __name__ == "__main__":
    print(json.dumps(_child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])))
