"""Translate an image or a folder with a checkpoint or ANY exported artifact.

Examples:
    python translate.py --model runs/h2z --input photo.jpg --output out/
    python translate.py --model latest_net_G_A.pth --input testA/ --output out/ --grid
    python translate.py --model exports/h2z/savedmodel/attentiongan/1 --input testA/ --output out/
    python translate.py --model exports/h2z/tflite/attentiongan_float16.tflite --input testA/ --output out/
    python translate.py --model exports/h2z/tfjs/float32 --input testA/ --output out/   # runs in Node
    python translate.py --model exports/h2z/onnx/attentiongan_float.onnx --input testA/ --output out/

Writes ``OUTPUT/<stem>.png`` (the translation, same size as the input) and with
``--grid`` ``OUTPUT/<stem>_grid.png`` (a labelled grid: input | translation |
background mask | foreground overlay | content images). With ``--load-size N``
each photo is translated with its shorter side at N pixels (the training
scale) and the result scaled back to the photo's size. Unreadable files and images over the pixel limit
(ATTENTIONGAN_MAX_IMAGE_PIXELS, default 64 000 000) are reported and skipped;
a single --input file that is either is an error. Sub-folders of an --input
folder are not searched. Existing outputs are never replaced without
``--overwrite``.

Load only models you trust: a SavedModel runs its own graph ops (they can
read and write files). translate.py checks a SavedModel's translate_float
signature before loading it and warns when it lacks the marker that export.py
writes (a marker can be copied: it is not a proof of origin).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from attentiongan_tf.cli import env as cli_env

cli_env.quiet_start()  # before TensorFlow is imported: no CUDA/absl start-up lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model",
        "--checkpoint",
        required=True,
        help=".keras / official .pth / training dir / SavedModel dir (only ones you trust) / .tflite / .onnx / "
        "TF.js folder",
    )
    parser.add_argument("--input", required=True, help="an image file or a folder of images")
    parser.add_argument("--output", required=True, help="output folder")
    parser.add_argument("--direction", choices=("AtoB", "BtoA"), default="AtoB", help="for training dirs")
    parser.add_argument("--variant", choices=("scheme2", "geo"), help="official .pth only (default scheme2)")
    parser.add_argument("--ngf", type=int, help="official .pth only (default 64)")
    parser.add_argument("--n-blocks", type=int, help="official .pth only (default 9)")
    parser.add_argument("--grid", action="store_true", help="also write paper-style grids")
    parser.add_argument(
        "--target-domain",
        help="multi-domain models (training run or export): target domain name, names joined by + or a vector "
        "like 0,1,0 (exports without domain names: domain_0, domain_1, ...)",
    )
    parser.add_argument(
        "--load-size",
        type=int,
        help="translate at this size (shorter side, aspect kept; use the training --load-size / --image-size) and "
        "scale the result back to the photo's size",
    )
    parser.add_argument(
        "--threads", type=int, help="TFLite / ONNX Runtime / TF.js wasm threads (default: each runtime's choice)"
    )
    parser.add_argument("--chunk", type=int, default=8, help="images per runtime call (TF.js: per Node process)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    cli_env.add_verbose_flag(parser)
    return parser.parse_args(argv)


def collect_inputs(path: Path) -> list[Path]:
    """The images of a folder (not its sub-folders), or a single file checked now (readable, under the pixel limit)."""
    from attentiongan_tf.data.images import list_images, max_image_pixels, read_image_rgb

    max_image_pixels()  # a malformed ATTENTIONGAN_MAX_IMAGE_PIXELS is an error before anything runs
    if path.is_dir():
        return list_images(path)
    if not path.is_file():
        raise FileNotFoundError(f"--input {path} does not exist")
    read_image_rgb(path)
    return [path]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(format="%(levelname)s: %(message)s", level=logging.WARNING)  # one line per library warning
    for flag in ("ngf", "n_blocks", "threads", "chunk", "load_size"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            sys.exit(f"error: --{flag.replace('_', '-')} must be a positive integer, got {value}")
    output = Path(args.output)
    if output.exists() and not output.is_dir():
        sys.exit(f"error: --output {output} exists and is not a folder")
    try:
        inputs = collect_inputs(Path(args.input))
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f"error: {error}")
    stems = [p.stem for p in inputs]
    duplicates = sorted({s for s in stems if stems.count(s) > 1})
    if duplicates:
        sys.exit(f"error: several inputs share the name stem(s) {duplicates[:5]}; outputs would collide")
    targets = [output / f"{s}.png" for s in stems] + ([output / f"{s}_grid.png" for s in stems] if args.grid else [])
    existing = [str(t) for t in targets if t.exists()]
    if existing and not args.overwrite:
        sys.exit(f"error: {len(existing)} output file(s) exist, e.g. {existing[0]}; pass --overwrite to replace them")

    from PIL import Image
    from tqdm import tqdm

    from attentiongan_tf.data.grids import GridRow, labelled_grid
    from attentiongan_tf.data.images import SkippedImages, UnreadableImageError, read_image_rgb
    from attentiongan_tf.inference.pixels import resize_uint8, working_size
    from attentiongan_tf.inference.runners import open_runner

    try:
        runner = open_runner(
            args.model,
            args.direction,
            variant=args.variant,
            ngf=args.ngf,
            n_blocks=args.n_blocks,
            num_threads=args.threads,
            target=args.target_domain,
        )
    except (OSError, ValueError, RuntimeError) as error:
        from attentiongan_tf.cli.errors import model_file_error

        sys.exit(model_file_error(args.model, error))
    cli_env.announce()
    label = {"AtoB": "A→B", "BtoA": "B→A"}[args.direction] if runner.kind == "keras" else "in→out"
    label = f"→{args.target_domain}" if args.target_domain else label
    output.mkdir(parents=True, exist_ok=True)
    skipped, written = SkippedImages(), 0
    with tqdm(total=len(inputs), unit="img", desc=f"translate ({runner.kind})") as progress:
        for start in range(0, len(inputs), args.chunk):
            chunk, images = [], []
            for path in inputs[start : start + args.chunk]:
                try:
                    images.append(read_image_rgb(path))
                    chunk.append(path)
                except (UnreadableImageError, FileNotFoundError) as error:  # over the pixel limit, unreadable, gone
                    skipped.add(path, error)
                    tqdm.write(f"skipped: {error}")
                    progress.update(1)
            sizes = [working_size(i.shape[0], i.shape[1], args.load_size) if args.load_size else i.shape[:2]
                     for i in images]
            work = [resize_uint8(i, size) for i, size in zip(images, sizes, strict=True)]
            try:
                results = runner.run(work) if work else []
            except ValueError as error:  # e.g. an image larger than a fixed-size TFLite model's input
                sys.exit(f"error: {error}")
            for path, image, small, result in zip(chunk, images, work, results, strict=True):
                Image.fromarray(resize_uint8(result.image, image.shape[:2])).save(output / f"{path.stem}.png")
                if args.grid:  # at the working size
                    row = GridRow(label, small[None], {k: v[None] for k, v in result.to_dict().items()})
                    Image.fromarray(labelled_grid([row]).image).save(output / f"{path.stem}_grid.png")
                written += 1
                progress.update(1)
    note = f"; {skipped.summary(examples=0)}" if skipped.entries else ""
    print(f"wrote {written} translation(s) to {output}{note}")
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
