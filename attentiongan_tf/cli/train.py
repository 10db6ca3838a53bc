"""Train AttentionGAN. With no arguments: a few minutes on the procedural demo data, samples in runs/demo.

    python train.py                                   # demo preset, runs/demo
    python train.py --preset official --dataroot datasets/horse2zebra --output-dir runs/h2z
    python train.py --output-dir runs/h2z --resume    # continue after an interruption (Ctrl-C, SIGTERM, kill)

See docs/training.md for every flag.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from attentiongan_tf.cli import env as cli_env

cli_env.quiet_start()  # before TensorFlow is imported: no CUDA/absl start-up lines

from attentiongan_tf.cli import auto_precision  # noqa: E402
from attentiongan_tf.cli.train_flags import apply_flags, flag_message, flag_setting  # noqa: E402
from attentiongan_tf.training import run_dir, signals  # noqa: E402
from attentiongan_tf.training.config import (  # noqa: E402
    MODEL_VARIANTS,
    ON_COLLAPSE,
    PREPROCESS_MODES,
    STRATEGIES,
)
from attentiongan_tf.training.config_errors import ConfigError  # noqa: E402
from attentiongan_tf.training.run_options import TRAINING_CONV_ALGORITHMS  # noqa: E402
from attentiongan_tf.training.tasks.registry import MULTI_DOMAIN, PRESET_KINDS, RunConfig, preset_config  # noqa: E402
from attentiongan_tf.training.validation import FRACTION, NON_NEGATIVE, POSITIVE  # noqa: E402

if TYPE_CHECKING:
    from attentiongan_tf.training.loop import TrainResult

CONFIG_NAME = run_dir.CONFIG_NAME

XLA_ON_CPU = ("warning: --xla makes training slower on CPUs (0.66× at 128², 0.61× at 256² in benchmarks/RESULTS.md, "
              "train_speed); it is meant for GPUs")
BFLOAT16_SLOWER = ("warning: --mixed-precision bfloat16 trains slower than float32 on this CPU (it has no AMX, and is "
                   "not an AMD CPU with AVX512-BF16): float32, the default (with Winograd convolutions on a CPU), "
                   "is faster (docs/performance.md)")


def _has_gpu() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def _where(config: RunConfig) -> tuple[bool, str, bool]:
    """Whether TensorFlow sees a GPU, the strategy the run trains under (``--strategy auto`` resolved) and whether
    it trains on an accelerator (a GPU, or a TPU through its strategy)."""
    gpu, strategy = _has_gpu(), cli_env.strategy_name(str(flag_setting(config, "strategy")))
    return gpu, strategy, gpu or strategy == "tpu"


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``train.py``'s flags (their destinations are the keys of ``train_flags.FLAGS_BY_KIND``)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                argument_default=argparse.SUPPRESS)
    p.add_argument(
        "--preset", default="demo", choices=PRESET_KINDS, help="base configuration (default: demo)"
    )
    p.add_argument("--dataroot", help="folder with trainA/ trainB/ (testA/ testB/); default: generated demo data")
    p.add_argument("--output-dir", help="run folder (default runs/demo)")
    p.add_argument("--image-size", type=int, help="training crop size (multiple of 4); load size scales with it")
    p.add_argument("--load-size", type=int, help="resize size before the random crop")
    p.add_argument("--preprocess", choices=PREPROCESS_MODES, help="resize_and_crop (default, official), "
                   "scale_width_and_crop (aspect kept) or none (no rescaling) before the random crop")  # fmt: skip
    p.add_argument("--batch-size", type=int, help="GLOBAL batch size")
    p.add_argument("--steps", type=int, help="total optimizer steps (replaces the preset's --epochs)")
    p.add_argument("--epochs", type=POSITIVE, help="schedule in epochs of max(|trainA|, |trainB|) images (official)")
    p.add_argument("--decay-fraction", type=FRACTION, help="fraction of the steps with linear learning-rate decay")
    p.add_argument("--seed", type=int)
    p.add_argument("--learning-rate", type=POSITIVE, help="Adam learning rate (> 0)")
    p.add_argument("--pool-size", type=int, help="image pool size (0 disables)")
    p.add_argument("--strategy", choices=STRATEGIES)
    p.add_argument("--xla", action="store_true", help="JIT-compile the per-replica gradient computation")
    p.add_argument(
        "--mixed-precision",
        nargs="?",
        const="float16",
        choices=("float16", "bfloat16", "auto"),
        help="float16 (default when given; GPUs, with loss scaling), bfloat16 (TPUs, CPUs with AMX or AVX512-BF16) "
        "or auto (float16 on a GPU, bfloat16 on such a CPU, else off)",
    )
    p.add_argument("--conv-algorithm", choices=TRAINING_CONV_ALGORITHMS,
                   help="the ResNet blocks' 3×3 convolutions: auto (default: winograd on a CPU in float32, direct "
                   "on GPUs and TPUs; docs/performance.md), direct (the official code's, to float32 round-off) or "
                   "winograd (float32, or bfloat16; faster training on CPUs)")  # fmt: skip
    p.add_argument("--deterministic", action="store_true",
                   help="the same numbers run after run: op determinism, each op on one thread")  # fmt: skip
    p.add_argument("--checkpoint-every", type=int)
    p.add_argument("--sample-every", type=int)
    p.add_argument("--log-every", type=int)
    p.add_argument("--on-collapse", choices=ON_COLLAPSE, help="when the attention collapses: warn (default) or "
                   "stop (after saving a checkpoint)")  # fmt: skip
    p.add_argument("--variant", choices=MODEL_VARIANTS, help="cyclegan = attention disabled (ablation)")
    p.add_argument("--ngf", type=int)
    p.add_argument("--n-blocks", type=int)
    p.add_argument("--n-masks", type=int)
    p.add_argument("--attention-kernel-size", type=int, help="attention head's last conv: 1 (official) or 3 (robust)")
    p.add_argument("--ndf", type=int)
    p.add_argument("--n-layers-d", type=int)
    p.add_argument("--gan-mode", choices=("lsgan", "vanilla", "wgan-gp"), help="wgan-gp: multi-domain presets only")
    p.add_argument("--lambda-tv", type=NON_NEGATIVE, help="TV attention loss (paper Eq. 7)")
    p.add_argument("--resume", action="store_true", help="continue the run in --output-dir from its last checkpoint")
    cli_env.add_verbose_flag(p)
    two = p.add_argument_group("two-domain objective (every preset but the multi-domain ones); see docs/training.md")
    two.add_argument("--lambda-cycle", type=NON_NEGATIVE, help="cycle weight, both directions (official 10)")
    two.add_argument("--lambda-identity", type=NON_NEGATIVE, help="identity weight, fraction of --lambda-cycle")
    two.add_argument("--attention-discriminator", action=argparse.BooleanOptionalAction,
                     help="the paper's attention-guided discriminators (Eq. 6)")  # fmt: skip
    two.add_argument("--lambda-attention-gan", type=NON_NEGATIVE, help="weight of the attention-guided GAN loss")
    two.add_argument("--lambda-pixel", type=NON_NEGATIVE, help="pixel loss |G(x) - x| (Eq. 8, curriculum Eq. 9)")
    two.add_argument("--lambda-background", type=NON_NEGATIVE, help="penalty on copying the input (robust)")
    two.add_argument("--background-target", type=NON_NEGATIVE, help="share of the image the background may keep")
    two.add_argument("--cycle-attention-gradient", type=FRACTION,
                     help="share of the cycle loss's gradient reaching the masks (official 1, robust 0.1)")  # fmt: skip
    two.add_argument("--identity-attention-gradient", type=FRACTION,
                     help="the same for the identity loss (official 1, robust 0.1)")  # fmt: skip
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="start a new run in a folder that is not empty: the old run's files are moved to "
        "<output-dir>.replaced-<time>/, other files stay",
    )
    md = p.add_argument_group("multi-domain presets (multidomain, multidomain_demo); see docs/multidomain.md")
    md.add_argument("--layout", choices=("auto", "folders", "csv"), help="folder per domain, or a labels CSV")
    md.add_argument("--labels-csv", help="CSV or CelebA list_attr_celeba.txt with the labels")
    md.add_argument("--attributes", nargs="+", help="attribute columns used as domains")
    md.add_argument("--classification", choices=("auto", "multi_label", "single_label"))
    for name in ("lambda-cls", "lambda-rec", "lambda-gp", "lambda-attention-l1"):
        md.add_argument(f"--{name}", type=NON_NEGATIVE)
    md.add_argument("--g-learning-rate", type=POSITIVE)
    md.add_argument("--d-learning-rate", type=POSITIVE)
    md.add_argument("--n-critic", type=int, help="discriminator steps per generator step")
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The given flags (only those: ``argument_default=SUPPRESS``) of ``argv`` (default: ``sys.argv``)."""
    return build_parser().parse_args(argv)


def build_config(args: argparse.Namespace) -> RunConfig:
    """The preset (or, with ``--resume``, the run's config.json, whatever its kind) with the given flags applied.

    A flag that does not apply to the run's kind, or that a resume may not change, is an error naming it; so is
    a value out of range (the library's :class:`ConfigError`, rendered with the flag that sets the field).
    """
    try:
        return _build_config(args)
    except ConfigError as error:
        raise ValueError(flag_message(error)) from None


def _build_config(args: argparse.Namespace) -> RunConfig:
    given = {k: v for k, v in vars(args).items() if k not in ("preset", "resume", "overwrite", "verbose")}
    auto = given.get("mixed_precision") == "auto"
    picked = auto_precision.pick_mixed_precision(given) if auto else ""
    resume = getattr(args, "resume", False)
    config = preset_config(args.preset)
    output_dir = Path(given.get("output_dir", output_dir_of(config)))
    if resume:
        from attentiongan_tf.training.tasks.registry import load_run_config

        run_dir.check_output_dir(output_dir, resume=True, overwrite=False)
        config = load_run_config(output_dir)
    config = apply_flags(config, given, resume, output_dir)
    if auto:
        accelerator = _where(config)[2]
        conv_algorithm = auto_precision.trained_conv_algorithm(config, accelerator)
        threads = auto_precision.threads_per_op(config, conv_algorithm, accelerator)
        picked += f", --conv-algorithm {conv_algorithm}{threads}"
        logging.getLogger(__name__).warning("--mixed-precision auto: %s on this machine", picked)
    return config


def output_dir_of(config: RunConfig) -> Path:
    """The run folder of either kind of config."""
    return Path(str(flag_setting(config, "output_dir")))


def resume_hint(output_dir: str | os.PathLike) -> str:
    """The command that continues the run in ``output_dir``."""
    return f"python train.py --output-dir {shlex.quote(str(output_dir))} --resume"


def report(result: TrainResult, multidomain: bool) -> None:
    """The last lines of a finished run: its step, where the checkpoints (and the last sample grid) are."""
    if multidomain:
        print(f"done: step {result.step}; domains {result.data.domains}; checkpoints in {result.output_dir}")
        return
    samples = sorted((result.output_dir / "samples").glob("step_*.png"))
    print(f"done: step {result.step}; checkpoints in {result.output_dir / 'checkpoints'}")
    if samples:
        print(f"sample grid (input | output | attention masks | content): {samples[-1]}")


def main(argv: list[str] | None = None) -> int:
    """Exit codes: 0 done, 1 the run failed, 2 bad flags or output dir (nothing written), 128 + signal number
    (130 Ctrl-C, 143 SIGTERM) when stopped by a signal."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    args = parse_args(argv)
    resume, overwrite = getattr(args, "resume", False), getattr(args, "overwrite", False)
    if argv is None:
        signals.stop_on_sigterm()
    try:
        run_dir.check_flags(resume, overwrite)
        config = build_config(args)
        multidomain = config.kind == MULTI_DOMAIN
        output_dir = output_dir_of(config)
        run_dir.check_output_dir(output_dir, resume, overwrite)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as error:  # while the flags are read and checked
        signum = getattr(error, "signum", signal.SIGINT)
        print(f"error: stopped by {signal.Signals(signum).name} before training started; nothing was written",
              file=sys.stderr)  # fmt: skip
        return 128 + signum
    if flag_setting(config, "deterministic"):
        from attentiongan_tf.training import determinism

        determinism.use_exact_threads()  # before anything starts TensorFlow; train() warns if it was too late
    gpu, strategy, accelerator = _where(config)
    cli_env.announce(strategy, f"convolutions: {auto_precision.trained_conv_algorithm(config, accelerator)}")
    if flag_setting(config, "xla") and not gpu:
        print(XLA_ON_CPU, file=sys.stderr)
    if flag_setting(config, "mixed_precision") == "bfloat16" and strategy != "tpu":
        from attentiongan_tf.training.precision import auto_mixed_precision

        if auto_mixed_precision() == "off":  # a CPU-only machine where auto would train in float32
            print(BFLOAT16_SLOWER, file=sys.stderr)
    failures: tuple[type[Exception], ...] = (OSError, ValueError)
    try:
        from attentiongan_tf.training.loop import MaskCollapseError, TrainingDivergedError, train

        failures += (TrainingDivergedError, MaskCollapseError)
        result = train(config, resume=resume, overwrite=overwrite)
    except signals.TrainingInterrupted as stop:
        print(f"{stop}. Resume with: {resume_hint(stop.output_dir)}", file=sys.stderr)
        return stop.exit_code
    except KeyboardInterrupt as error:
        signum = getattr(error, "signum", signal.SIGINT)
        hint = f" Resume with: {resume_hint(output_dir)}" if (output_dir / CONFIG_NAME).is_file() else ""
        print(f"error: stopped by {signal.Signals(signum).name} before a checkpoint was saved; the last complete "
              f"checkpoint is kept.{hint}", file=sys.stderr)
        return 128 + signum
    except failures as error:
        print(f"error: {flag_message(error)}", file=sys.stderr)
        return 1
    report(result, multidomain)
    return 0


if __name__ == "__main__":
    sys.exit(main())
