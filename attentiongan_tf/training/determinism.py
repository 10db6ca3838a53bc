"""``train.deterministic`` (``--deterministic``): the same config and seed give the same numbers, run after run.

TensorFlow's op determinism fixes each kernel's maths, and each op runs on one thread: a kernel split over several
threads adds in another order, so its numbers depend on the thread count (and would differ on a machine with
another number of cores). Ops still run side by side, one per usable core: how many run at once does not change a
number (tests/training/test_determinism.py), once the step's graph orders every read of a variable before its
update (tests/training/test_update_order.py; the race that made loaded runs drift before 2026-12-05, fixed in
``training.optimizers.TorchAdam``). Runs under load were measured bit-identical to a run made alone
(benchmarks/RESULTS.md "determinism_under_load", docs/training.md "Resume"). The thread pools are fixed once
TensorFlow starts, so a run started too late, or with the user's own ``TF_NUM_INTRAOP_THREADS``, is told how to get
one thread per op.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import tensorflow as tf

from attentiongan_tf.training import precision

__all__ = ["make_deterministic", "use_exact_threads"]

INTER_OP, INTRA_OP = "TF_NUM_INTEROP_THREADS", "TF_NUM_INTRAOP_THREADS"

logger = logging.getLogger(__name__)


def make_deterministic(environ: Mapping[str, str] | None = None) -> None:
    """Enable TensorFlow's op determinism and one thread per op, and log how the run's ops run (a warning, saying
    what to set, when the threads could not be set).

    Args:
        environ: the environment (default ``os.environ``).
    """
    tf.config.experimental.enable_op_determinism()
    warning = use_exact_threads(environ)
    if warning:
        logger.warning(warning)
    else:
        side_by_side = tf.config.threading.get_inter_op_parallelism_threads() or "the usable cores"
        logger.info("--deterministic: op determinism, each op on one thread, %s side by side", side_by_side)


def use_exact_threads(environ: Mapping[str, str] | None = None) -> str | None:
    """Run each op on one thread, ops side by side (one per usable core, or the user's ``TF_NUM_INTEROP_THREADS``),
    if TensorFlow has not started; None when each op runs (or already ran) on one thread, else a one-line warning
    saying how to get that. A ``TF_NUM_INTRAOP_THREADS`` the user set is kept.

    Args:
        environ: the environment (default ``os.environ``).
    """
    environ = os.environ if environ is None else environ
    intra_op = environ.get(INTRA_OP, "").strip()
    if intra_op and intra_op != "1":
        reason = f"{INTRA_OP}={intra_op} (set in the environment) splits each op over threads"
    elif precision.use_one_thread_per_op(_user_inter_op_threads(environ)) or _one_thread_per_op(environ):
        return None
    else:
        reason = "TensorFlow started before its threads could be set, and splits each op over threads"
    return (
        f"--deterministic: {reason}, so its numbers depend on the thread count (a run or resume with another count "
        f"differs); for the same numbers on any machine set {INTRA_OP}=1 (or call "
        "attentiongan_tf.training.precision.use_one_thread_per_op()) before TensorFlow starts"
    )


def _user_inter_op_threads(environ: Mapping[str, str]) -> int | None:
    """The user's ``TF_NUM_INTEROP_THREADS`` when it is a thread count (None: the usable cores)."""
    value = environ.get(INTER_OP, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def _one_thread_per_op(environ: Mapping[str, str]) -> bool:
    return environ.get(INTRA_OP, "").strip() == "1" or _configured_intra_op_threads() == 1


def _configured_intra_op_threads() -> int:
    """The threads per op set through ``tf.config`` (0: TensorFlow's default or the environment's)."""
    return tf.config.threading.get_intra_op_parallelism_threads()
