"""``train.py --mixed-precision auto``: what this machine trains fastest with (docs/performance.md).

The pick is made in two parts, both from the CPU's instructions and the benchmarks: the precision and
convolutions before the flags are applied (:func:`pick_mixed_precision`), then, once the run's config is known
(a resumed run's convolutions are its own), the bfloat16 thread setting (:func:`threads_per_op`). Each returns
the words of the log line ``train.py`` prints.
"""

from __future__ import annotations

from attentiongan_tf.cli.train_flags import flag_setting
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
    """Run ``auto``'s bfloat16 pick one thread per op where the benchmarks measured that faster for the run's
    convolutions and pixels per step (``precision.auto_one_thread_per_op``); what to add to the log line."""
    from attentiongan_tf.training import precision

    if flag_setting(config, "mixed_precision") != "bfloat16" or flag_setting(config, "deterministic"):
        return ""  # (a deterministic run sets its own threads)
    size, batch = (int(str(flag_setting(config, flag))) for flag in ("image_size", "batch_size"))
    conv_algorithm = str(flag_setting(config, "conv_algorithm"))
    one_thread_per_op = precision.auto_one_thread_per_op(conv_algorithm=conv_algorithm, pixels_per_step=size**2 * batch)
    if one_thread_per_op and precision.use_one_thread_per_op():
        return ", one thread per op (TF_NUM_INTRAOP_THREADS=1)"
    return ""
