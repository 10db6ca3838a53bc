"""``train.py --mixed-precision auto``: what this machine trains fastest with (docs/performance.md).

The pick is made in two parts, both from the CPU's instructions and the benchmarks: the precision before the
flags are applied (:func:`pick_mixed_precision`), then, once the run's config is known (a resumed run's
convolutions are its own), the convolutions ``--conv-algorithm auto`` trains it with
(:func:`trained_conv_algorithm`) and the bfloat16 thread setting (:func:`threads_per_op`), which returns the words
it adds to the log line ``train.py`` prints.
"""

from __future__ import annotations

from typing import cast

from attentiongan_tf.cli.train_flags import flag_setting
from attentiongan_tf.training.tasks.registry import RunConfig


def pick_mixed_precision(given: dict) -> str:
    """``--mixed-precision auto``: store this machine's pick in ``given`` (the flags given, ``--strategy``'s
    among them); returns its name for the log (``float32`` for off)."""
    from attentiongan_tf.cli.env import strategy_name
    from attentiongan_tf.training import precision

    picked = precision.auto_mixed_precision(tpu=strategy_name(given.get("strategy", "auto")) == "tpu")
    if picked == "off":
        del given["mixed_precision"]
        return "float32"
    given["mixed_precision"] = picked
    return picked


def trained_conv_algorithm(config: RunConfig, accelerator: bool) -> str:
    """The convolutions the run trains with: its ``conv_algorithm``, ``auto`` resolved as its trainer will (a
    resumed run keeps the setting it was started with).

    Args:
        config: the run's config.
        accelerator: whether the run trains on a GPU or a TPU.
    """
    from attentiongan_tf.training import precision

    algorithm = str(flag_setting(config, "conv_algorithm"))
    if algorithm != "auto":
        return algorithm
    mixed_precision = cast("bool | str", flag_setting(config, "mixed_precision"))
    return precision.auto_conv_algorithm(mixed_precision, accelerator)


def threads_per_op(config: RunConfig, conv_algorithm: str, accelerator: bool) -> str:
    """Run ``auto``'s bfloat16 pick one thread per op where the benchmarks measured that faster for the run's
    convolutions (``conv_algorithm``, resolved) and pixels per step (``precision.auto_one_thread_per_op``); what
    to add to the log line. Never where the run trains on a GPU or TPU (``accelerator``): the rule is for the
    CPU's own arithmetic."""
    from attentiongan_tf.training import precision

    if flag_setting(config, "mixed_precision") != "bfloat16" or flag_setting(config, "deterministic") or accelerator:
        return ""  # (a deterministic run sets its own threads)
    size, batch = (int(str(flag_setting(config, flag))) for flag in ("image_size", "batch_size"))
    one_thread_per_op = precision.auto_one_thread_per_op(conv_algorithm=conv_algorithm, pixels_per_step=size**2 * batch)
    if one_thread_per_op and precision.use_one_thread_per_op():
        return ", one thread per op (TF_NUM_INTRAOP_THREADS=1)"
    return ""
