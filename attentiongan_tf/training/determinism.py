"""``train.deterministic`` (``--deterministic``): the same config and seed give the same numbers, run after run.

TensorFlow's op determinism covers each kernel; on a CPU two ops running side by side can still change how a oneDNN
kernel splits its work, and with it the rounding: on a loaded 2-core EPYC 6 of 30 runs drifted from a run made
alone, first in a transposed convolution's gradient (~1e-7, grown by Adam to 5e-5 in the losses two steps later).
With one op at a time (one inter-op thread; each op still uses every core) 30 of 30 were bit-identical
(benchmarks/RESULTS.md "determinism_under_load", docs/training.md); under heavier load a drift stays possible,
only rarer (3 of about 126 loaded runs, docs/training.md). The thread pools are fixed once TensorFlow
starts, so a run started too late is told how to set it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import tensorflow as tf

from attentiongan_tf.training import precision

__all__ = ["make_deterministic", "run_one_op_at_a_time"]


def make_deterministic(environ: Mapping[str, str] | None = None) -> str | None:
    """Enable TensorFlow's op determinism and one op at a time; the warning to show when the latter is too late.

    Args:
        environ: the environment (default ``os.environ``).
    """
    tf.config.experimental.enable_op_determinism()
    return run_one_op_at_a_time(environ)


def run_one_op_at_a_time(environ: Mapping[str, str] | None = None) -> str | None:
    """Run one op at a time if TensorFlow has not started; None when it does so, else a one-line warning saying
    how to make the run exact. A ``TF_NUM_INTEROP_THREADS`` the user set is kept (with the warning unless 1).

    Args:
        environ: the environment (default ``os.environ``).
    """
    environ = os.environ if environ is None else environ
    if "TF_NUM_INTEROP_THREADS" in environ:
        if environ["TF_NUM_INTEROP_THREADS"].strip() == "1":
            return None
        reason = f"TF_NUM_INTEROP_THREADS={environ['TF_NUM_INTEROP_THREADS']} runs ops side by side"
    elif precision.use_one_op_at_a_time() or _configured_inter_op_threads() == 1:
        return None
    else:
        reason = "TensorFlow started before one op at a time could be set, and ops run side by side"
    return (
        f"--deterministic: {reason}, which can change a CPU kernel's rounding from run to run; for exact runs "
        "set TF_NUM_INTEROP_THREADS=1 (or call attentiongan_tf.training.precision.use_one_op_at_a_time()) "
        "before TensorFlow starts"
    )


def _configured_inter_op_threads() -> int:
    return tf.config.threading.get_inter_op_parallelism_threads()
