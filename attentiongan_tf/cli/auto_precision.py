"""``train.py --mixed-precision auto``: what this machine trains fastest with (docs/performance.md).

The pick is made in two parts: the precision and convolutions from the CPU's instructions, before the flags are
applied (:func:`pick_mixed_precision`), then, once the run's config is known, the bfloat16 thread setting
(:func:`threads_per_op`, measured by ``training.thread_probe`` where that pays). Each returns the words of the
log line ``train.py`` prints.
"""

from __future__ import annotations

import logging

from attentiongan_tf.cli.train_flags import flag_setting
from attentiongan_tf.training.config import Config
from attentiongan_tf.training.tasks.registry import RunConfig


def pick_mixed_precision(given: dict) -> str:
    """``--mixed-precision auto``: store this machine's pick (and the convolutions it trains best with) in
    ``given``; returns what was picked, for the log. On a CPU without bfloat16 instructions it also runs one op at
    a time where that was measured to save memory."""
    from attentiongan_tf.training import precision

    picked = precision.auto_mixed_precision()
    if picked == "off":  # a CPU without bfloat16 instructions: float32 is fastest with Winograd convolutions
        del given["mixed_precision"]
        if given.get("conv_algorithm") is None:
            given["conv_algorithm"] = "winograd"
            picked = "off (float32, --conv-algorithm winograd)"
            # A deterministic run sets its own threads (one thread per op, training.determinism).
            sets_threads = not given.get("deterministic") and precision.auto_one_op_at_a_time()
            if sets_threads and precision.use_one_op_at_a_time():
                picked = "off (float32, --conv-algorithm winograd, one op at a time: TF_NUM_INTEROP_THREADS=1)"
    else:
        given["mixed_precision"] = picked
    if picked == "bfloat16" and given.get("conv_algorithm") is None and precision.auto_bfloat16_winograd():
        given["conv_algorithm"] = "winograd"  # F(2×2, 3×3): faster bfloat16 without AMX
        picked = "bfloat16, --conv-algorithm winograd"
    return picked


def threads_per_op(config: RunConfig) -> str:
    """Run ``auto``'s bfloat16 pick one thread per op where that is faster for this run: measured before the run
    (training.thread_probe) for two-domain runs of 128² pixels per step and more, else the rule measured in the
    benchmarks for its convolutions and image size × batch; what to add to the log line."""
    from attentiongan_tf.training import precision

    if flag_setting(config, "mixed_precision") != "bfloat16" or flag_setting(config, "deterministic"):
        return ""  # (a deterministic run sets its own threads)
    size, batch = (int(str(flag_setting(config, flag))) for flag in ("image_size", "batch_size"))
    conv_algorithm = str(flag_setting(config, "conv_algorithm"))
    pixels = size**2 * batch
    probe = None
    if isinstance(config, Config) and precision.auto_measures_threads(pixels_per_step=pixels):
        from attentiongan_tf.training import thread_probe

        logging.getLogger(__name__).warning(
            "--mixed-precision auto: timing a few bfloat16 steps with each thread setting (about a minute at 128²; "
            "set TF_NUM_INTRAOP_THREADS to skip)")  # fmt: skip
        probe = thread_probe.measure(config)
    if probe is not None and not probe.error:
        one_thread_per_op = probe.one_thread_per_op_is_faster
    else:
        one_thread_per_op = precision.auto_one_thread_per_op(conv_algorithm=conv_algorithm, pixels_per_step=pixels)
    fallback = "; the rule from the benchmarks decides" if probe is not None and probe.error else ""
    said = "" if probe is None else f" ({probe.summary()}{fallback})"
    if one_thread_per_op and precision.use_one_thread_per_op():
        return ", one thread per op (TF_NUM_INTRAOP_THREADS=1)" + said
    return (", each op on every core" if probe is not None else "") + said
