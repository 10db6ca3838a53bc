"""``train.deterministic`` (``--deterministic``): the same config and seed give the same numbers, run after run.

TensorFlow's op determinism fixes each kernel's maths. Runs made under load were compared bit for bit with a run
made alone (benchmarks/RESULTS.md "determinism_under_load", docs/training.md "Resume"): before 2026-12-05 they
drifted with every thread setting (one op at a time on one thread the least), and the drift was a race in the step's
graph (a kernel's Adam update could run before a recomputed run's last read of it; fixed in
``training.optimizers.TorchAdam``, guarded by tests/training/test_update_order.py). Since then no setting measured
drifted, TensorFlow's default threads included; a deterministic run still takes one op at a time on one thread, the
setting with the longest record. The thread pools are fixed once TensorFlow starts, so a run started too late, or
with the user's own thread counts, is told how to get that setting.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import tensorflow as tf

from attentiongan_tf.training import precision

__all__ = ["make_deterministic", "use_exact_threads"]

THREADS = INTER_OP, INTRA_OP = "TF_NUM_INTEROP_THREADS", "TF_NUM_INTRAOP_THREADS"


def make_deterministic(environ: Mapping[str, str] | None = None) -> str | None:
    """Enable TensorFlow's op determinism and the threads of an exact run; the warning to show when the threads
    could not be set.

    Args:
        environ: the environment (default ``os.environ``).
    """
    tf.config.experimental.enable_op_determinism()
    return use_exact_threads(environ)


def use_exact_threads(environ: Mapping[str, str] | None = None) -> str | None:
    """Run one op at a time on one thread if TensorFlow has not started; None when the threads are (or already
    were) so, else a one-line warning saying how to make the run exact. Thread counts the user set in the
    environment are kept.

    Args:
        environ: the environment (default ``os.environ``).
    """
    environ = os.environ if environ is None else environ
    user_settings = [f"{name}={environ[name]}" for name in THREADS if environ.get(name, "1").strip() != "1"]
    if user_settings:
        reason = f"{' and '.join(user_settings)} (set in the environment) let ops share threads"
    elif precision.use_single_thread() or _threads_are_exact(environ):
        return None
    else:
        reason = "TensorFlow started before its threads could be set, and ops share threads"
    return (
        f"--deterministic: {reason}, not the one op at a time on one thread whose runs were measured exact; for that "
        f"set {INTER_OP}=1 {INTRA_OP}=1 (or call attentiongan_tf.training.precision.use_single_thread()) before "
        "TensorFlow starts"
    )


def _threads_are_exact(environ: Mapping[str, str]) -> bool:
    configured = _configured_threads()
    return all(name in environ or configured[name] == 1 for name in THREADS)


def _configured_threads() -> dict[str, int]:
    """The thread counts set through ``tf.config`` (0: TensorFlow's default or the environment's)."""
    pools = tf.config.threading
    return {INTER_OP: pools.get_inter_op_parallelism_threads(), INTRA_OP: pools.get_intra_op_parallelism_threads()}
