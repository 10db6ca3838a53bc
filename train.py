"""Train AttentionGAN. With no arguments: a few minutes on the procedural demo data, samples in runs/demo.

    python train.py                                   # demo preset, runs/demo
    python train.py --preset official --dataroot datasets/horse2zebra --output-dir runs/h2z
    python train.py --output-dir runs/h2z --resume    # continue after an interruption

See docs/training.md for every flag.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is imported

from attentiongan_tf.checkpoints import CONFIG_NAME  # noqa: E402
from attentiongan_tf.config import GENERATOR_VARIANTS, PRESETS, STRATEGIES, Config, preset  # noqa: E402
from attentiongan_tf.multidomain.config import PRESETS as MULTIDOMAIN_PRESETS  # noqa: E402

# flag -> (config section, field); the CLI only maps flags onto the config.
FLAGS = {
    "dataroot": ("data", "dataroot"),
    "output_dir": ("train", "output_dir"),
    "image_size": ("data", "crop_size"),
    "load_size": ("data", "load_size"),
    "batch_size": ("data", "batch_size"),
    "steps": ("train", "steps"),
    "seed": ("train", "seed"),
    "learning_rate": ("train", "learning_rate"),
    "pool_size": ("train", "pool_size"),
    "strategy": ("train", "strategy"),
    "xla": ("train", "xla"),
    "mixed_precision": ("train", "mixed_precision"),
    "deterministic": ("train", "deterministic"),
    "checkpoint_every": ("train", "checkpoint_every"),
    "sample_every": ("train", "sample_every"),
    "log_every": ("train", "log_every"),
    "variant": ("model", "variant"),
    "ngf": ("model", "ngf"),
    "n_blocks": ("model", "n_blocks"),
    "n_masks": ("model", "n_masks"),
    "gan_mode": ("loss", "gan_mode"),
}
# Flags that may change when resuming a run (everything else comes from its config.json).
RESUMABLE = {"output_dir", "steps", "checkpoint_every", "sample_every", "log_every", "strategy", "xla"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                argument_default=argparse.SUPPRESS)
    p.add_argument(
        "--preset", default="demo", choices=(*PRESETS, *MULTIDOMAIN_PRESETS), help="base configuration (default: demo)"
    )
    p.add_argument("--dataroot", help="folder with trainA/ trainB/ (testA/ testB/); default: generated demo data")
    p.add_argument("--output-dir", help="run folder (default runs/demo)")
    p.add_argument("--image-size", type=int, help="training crop size (multiple of 4); load size scales with it")
    p.add_argument("--load-size", type=int, help="resize size before the random crop")
    p.add_argument("--batch-size", type=int, help="GLOBAL batch size")
    p.add_argument("--steps", type=int, help="total optimizer steps")
    p.add_argument("--seed", type=int)
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--pool-size", type=int, help="image pool size (0 disables)")
    p.add_argument("--strategy", choices=STRATEGIES)
    p.add_argument("--xla", action="store_true", help="JIT-compile the per-replica gradient computation")
    p.add_argument(
        "--mixed-precision",
        nargs="?",
        const="float16",
        choices=("float16", "bfloat16"),
        help="float16 (default when given; GPUs, with loss scaling) or bfloat16 (TPUs, CPUs with AMX) convolutions",
    )
    p.add_argument("--deterministic", action="store_true", help="enable TF op determinism")
    p.add_argument("--checkpoint-every", type=int)
    p.add_argument("--sample-every", type=int)
    p.add_argument("--log-every", type=int)
    p.add_argument("--variant", choices=GENERATOR_VARIANTS, help="cyclegan = attention disabled (ablation)")
    p.add_argument("--ngf", type=int)
    p.add_argument("--n-blocks", type=int)
    p.add_argument("--n-masks", type=int)
    p.add_argument("--gan-mode", choices=("lsgan", "vanilla", "wgan-gp"), help="wgan-gp: multi-domain presets only")
    p.add_argument("--resume", action="store_true", help="continue the run in --output-dir from its last checkpoint")
    md = p.add_argument_group("multi-domain presets (multidomain, multidomain_demo); see docs/multidomain.md")
    md.add_argument("--layout", choices=("auto", "folders", "csv"), help="folder per domain, or a labels CSV")
    md.add_argument("--labels-csv", help="CSV or CelebA list_attr_celeba.txt with the labels")
    md.add_argument("--attributes", nargs="+", help="attribute columns used as domains")
    md.add_argument("--classification", choices=("auto", "multi_label", "single_label"))
    md.add_argument("--ndf", type=int)
    md.add_argument("--n-layers-d", type=int)
    for name in ("lambda-cls", "lambda-rec", "lambda-gp", "lambda-tv", "lambda-attention-l1"):
        md.add_argument(f"--{name}", type=float)
    md.add_argument("--g-learning-rate", type=float)
    md.add_argument("--d-learning-rate", type=float)
    md.add_argument("--n-critic", type=int, help="discriminator steps per generator step")
    md.add_argument("--decay-steps", type=int, help="steps of linear learning-rate decay at the end")
    return p.parse_args(argv)


def run_multidomain(args: argparse.Namespace) -> int:
    """``--preset multidomain[_demo]`` (or resuming such a run): the StarGAN-style multi-domain trainer."""
    import dataclasses

    from attentiongan_tf.multidomain.checkpoints import read_multidomain_run
    from attentiongan_tf.multidomain.config import config_from_flags
    from attentiongan_tf.multidomain.training_loop import train_multidomain
    from attentiongan_tf.training_loop import TrainingDivergedError

    values = {k: v for k, v in vars(args).items() if k not in ("preset", "resume")}
    resume = getattr(args, "resume", False)
    try:
        if resume and "output_dir" in values and (Path(values["output_dir"]) / CONFIG_NAME).is_file():
            config = read_multidomain_run(values["output_dir"])["config"]
            known = {field.name for field in dataclasses.fields(config)}
            config = dataclasses.replace(config, **{k: v for k, v in values.items() if k in known})
        else:
            config = config_from_flags(values, preset=args.preset)
        result = train_multidomain(config, resume=resume)
    except (FileExistsError, FileNotFoundError, ValueError, TrainingDivergedError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"done: step {result['step']}; domains {result['domains']}; checkpoints in {result['output_dir']}")
    return 0


def is_multidomain_request(args: argparse.Namespace) -> bool:
    if args.preset in MULTIDOMAIN_PRESETS:
        return True
    if getattr(args, "resume", False) and hasattr(args, "output_dir"):
        from attentiongan_tf.multidomain.checkpoints import is_multidomain_run

        return is_multidomain_run(args.output_dir)
    return False


def build_config(args: argparse.Namespace) -> Config:
    """Preset (or, with --resume, the run's config.json) + explicitly given flags."""
    given = {k: v for k, v in vars(args).items() if k in FLAGS}
    output_dir = Path(given.get("output_dir", preset(args.preset).train.output_dir))
    saved = output_dir / CONFIG_NAME
    if getattr(args, "resume", False) and saved.is_file():
        config = Config.load(saved)
        fixed = sorted(
            k for k in given if k not in RESUMABLE and getattr(getattr(config, FLAGS[k][0]), FLAGS[k][1]) != given[k]
        )
        if fixed:
            flags = ", ".join("--" + k.replace("_", "-") for k in fixed)
            raise ValueError(f"cannot change {flags} when resuming {output_dir}; they come from {saved}")
    else:
        config = preset(args.preset)
        if "image_size" in given and "load_size" not in given:
            ratio = config.data.load_size / config.data.crop_size
            given["load_size"] = int(round(given["image_size"] * ratio))
    for key, value in given.items():
        section, name = FLAGS[key]
        setattr(getattr(config, section), name, value)
    if config.data.dataroot is not None and not Path(config.data.dataroot).is_dir():
        raise ValueError(f"--dataroot {config.data.dataroot} does not exist")
    config.validate()
    return config


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    args = parse_args(argv)
    if is_multidomain_request(args):
        return run_multidomain(args)
    try:
        config = build_config(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from attentiongan_tf.training_loop import TrainingDivergedError, train

    try:
        result = train(config, resume=getattr(args, "resume", False))
    except (FileExistsError, FileNotFoundError, ValueError, TrainingDivergedError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    samples = sorted((result["output_dir"] / "samples").glob("step_*.png"))
    print(f"done: step {result['step']}; checkpoints in {result['output_dir'] / 'checkpoints'}")
    if samples:
        print(f"sample grid (input | output | attention masks | content): {samples[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
