"""Export a trained generator as a TF Serving SavedModel, TFLite / LiteRT models, TF.js graph models and ONNX.

Examples:
    python export.py --checkpoint runs/h2z --direction AtoB --format savedmodel,tflite,tfjs --output exports/h2z \\
        --representative-data ../data/horse2zebra/testA
    python export.py --checkpoint latest_net_G_A.pth --format tflite --tflite-variants float16 --output exports/o

Layout of OUTPUT:
    savedmodel/<name>/<version>/   TF Serving model (signatures serving_default, translate_float, translate_encoded)
    tflite/<name>_<variant>.tflite float32 / float16 / dynamic_range / int8 / float32_winograd (opt-in: the
                                   fastest float32 on CPUs, 3.7x the file) / float16_winograd (opt-in: the
                                   same, float16 weights, half its file), builtin ops only
                                   (with --tflite-fixed-size N: <name>_<variant>_fixed<N>.tflite, input [1, N, N, 3];
                                   the any-size Winograd ones take [1, H, W, 3] and pad to a multiple of 16)
    tfjs/<variant>/                model.json + weight shards, float32 / float16 / uint8 weights
                                   (with --tfjs-fixed-size N: tfjs/<variant>_fixed<N>/, input [1, N, N, 3])
    onnx/<name>_<variant>.onnx     uint8 (serving_default) / float (translate_float), dynamic batch, H, W
    export_summary.json            sizes of everything written

Nothing existing is replaced without --overwrite; a failed conversion leaves nothing half-written behind.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from attentiongan_tf.cli import env as cli_env

if TYPE_CHECKING:
    import keras

cli_env.quiet_start()  # before TensorFlow is imported: no CUDA/absl start-up lines

from attentiongan_tf.export.onnx_export import ONNX_VARIANTS  # noqa: E402
from attentiongan_tf.export.serving import MIN_SIZE, MULTIPLE, valid_size  # noqa: E402
from attentiongan_tf.export.tfjs import TFJS_VARIANTS, tfjs_folder_name  # noqa: E402
from attentiongan_tf.export.tflite import DEFAULT_TFLITE_VARIANTS, TFLITE_VARIANTS, tflite_filename  # noqa: E402

FORMATS = ("savedmodel", "tflite", "tfjs", "onnx")
DEFAULT_FORMATS = ("savedmodel", "tflite", "tfjs")


def csv_choice(choices: tuple[str, ...], flag: str) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        values = [v.strip() for v in text.split(",") if v.strip()]
        unknown = [v for v in values if v not in choices]
        if unknown or not values:
            raise argparse.ArgumentTypeError(f"{flag}: unknown value(s) {unknown or text!r}; choose from {choices}")
        return list(dict.fromkeys(values))

    return parse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="training dir / checkpoints dir / .keras / official .pth")
    parser.add_argument("--direction", choices=("AtoB", "BtoA"), default="AtoB")
    parser.add_argument(
        "--format",
        type=csv_choice(FORMATS, "--format"),
        default=list(DEFAULT_FORMATS),
        help="comma-separated: savedmodel,tflite,tfjs,onnx (default savedmodel,tflite,tfjs)",
    )
    parser.add_argument("--output", required=True, help="export folder")
    parser.add_argument("--name", default="attentiongan", help="TF Serving model name")
    parser.add_argument("--version", type=int, default=1, help="TF Serving model version")
    parser.add_argument(
        "--tflite-variants",
        type=csv_choice(TFLITE_VARIANTS, "--tflite-variants"),
        help="comma-separated (default: all but float32_winograd, the fastest float32 on CPUs in a 3.7x larger "
        "file, and float16_winograd, the same with float16 weights in half that file; int8 only when "
        "--representative-data is given)",
    )
    parser.add_argument(
        "--tflite-fixed-size", type=int, metavar="N",
        help="TFLite models with a fixed [1, N, N, 3] input (N a multiple of 4, >= 8): fully delegated to "
        "XNNPACK / GPU delegates, faster; translate pads smaller images and refuses larger ones",
    )  # fmt: skip
    parser.add_argument(
        "--tfjs-variants", type=csv_choice(TFJS_VARIANTS, "--tfjs-variants"), default=list(TFJS_VARIANTS)
    )
    parser.add_argument(
        "--tfjs-fixed-size", type=int, metavar="N",
        help="TF.js models with a fixed [1, N, N, 3] input (N a multiple of 4, >= 8) and pooled instance norms: "
        "the fastest wasm graph; translate pads smaller images and refuses larger ones",
    )  # fmt: skip
    parser.add_argument(
        "--onnx-variants",
        type=csv_choice(tuple(ONNX_VARIANTS), "--onnx-variants"),
        default=list(ONNX_VARIANTS),
        help="uint8 (serving_default signature) and/or float (translate_float); default both",
    )
    parser.add_argument("--onnx-opset", type=int, default=17, help="ONNX opset (default 17)")
    parser.add_argument("--representative-data", help="folder of real images of the INPUT domain (int8 TFLite)")
    parser.add_argument("--representative-count", type=int, default=64, help="calibration images to use")
    parser.add_argument("--representative-size", type=int, default=256, help="calibration images are resized to this")
    parser.add_argument("--shard-bytes", type=int, default=4 * 1024 * 1024, help="TF.js weight shard size")
    parser.add_argument("--variant", choices=("scheme2", "geo"), help="official .pth only (default scheme2)")
    parser.add_argument("--ngf", type=int, help="official .pth only (default 64)")
    parser.add_argument("--n-blocks", type=int, help="official .pth only (default 9)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing exports")
    cli_env.add_verbose_flag(parser)
    args = parser.parse_args(argv)
    if args.tflite_variants is None:
        args.tflite_variants = [v for v in DEFAULT_TFLITE_VARIANTS if v != "int8" or args.representative_data]
    return args


def planned_paths(args: argparse.Namespace) -> list[Path]:
    out = Path(args.output)
    paths = []
    if "savedmodel" in args.format:
        paths.append(out / "savedmodel" / args.name / str(args.version))
    if "tflite" in args.format:
        paths += [out / "tflite" / tflite_filename(args.name, v, args.tflite_fixed_size) for v in args.tflite_variants]
    if "tfjs" in args.format:
        paths += [out / "tfjs" / tfjs_folder_name(v, args.tfjs_fixed_size) for v in args.tfjs_variants]
    if "onnx" in args.format:
        paths += [out / "onnx" / f"{args.name}_{v}.onnx" for v in args.onnx_variants]
    return paths


def load_representative(folder: str, count: int, size: int) -> list:
    import numpy as np
    from PIL import Image

    from attentiongan_tf.data.images import list_images, read_image_rgb

    images = []
    for path in list_images(folder):
        try:
            image = read_image_rgb(path)
        except ValueError as error:
            print(f"skipped unreadable representative image: {error}", file=sys.stderr)
            continue
        images.append(np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BICUBIC)))
        if len(images) == count:
            break
    if not images:
        raise ValueError(f"--representative-data {folder}: no readable image")
    return images


def validate(args: argparse.Namespace) -> None:
    for flag in ("version", "representative_count", "ngf", "n_blocks", "onnx_opset"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise ValueError(f"--{flag.replace('_', '-')} must be a positive integer, got {value}")
    if args.representative_size < 8 or args.representative_size % 4:
        raise ValueError(f"--representative-size must be a multiple of 4 and >= 8, got {args.representative_size}")
    for kind, name in (("tflite", "TFLite"), ("tfjs", "TF.js")):
        fixed = getattr(args, f"{kind}_fixed_size")
        if fixed is not None and kind not in args.format:
            formats = ",".join(args.format)
            raise ValueError(f"--{kind}-fixed-size applies to {name} only; add {kind} to --format (got {formats})")
        if fixed is not None and not valid_size(fixed):
            raise ValueError(f"--{kind}-fixed-size must be a multiple of {MULTIPLE} and >= {MIN_SIZE}, got {fixed}")
    if not Path(args.checkpoint).exists():
        raise FileNotFoundError(f"--checkpoint {args.checkpoint} does not exist")
    needs_int8 = "tflite" in args.format and "int8" in args.tflite_variants
    if needs_int8 and not args.representative_data:
        raise ValueError("the int8 TFLite variant needs --representative-data (a folder of real input-domain images)")
    if args.representative_data and not Path(args.representative_data).is_dir():
        raise FileNotFoundError(f"--representative-data {args.representative_data} is not a folder")
    existing = [str(p) for p in planned_paths(args) if p.exists()]
    if existing and not args.overwrite:
        raise FileExistsError(f"{len(existing)} export(s) exist, e.g. {existing[0]}; pass --overwrite to replace them")


def write_exports(args: argparse.Namespace, model: keras.Model, representative: list | None) -> dict:
    """Write every requested format (all converted from one SavedModel); returns the summary entries.

    Args:
        args: the parsed flags.
        model: the loaded generator.
        representative: calibration images for the int8 TFLite variant, or None.
    """
    from attentiongan_tf.export import export_savedmodel
    from attentiongan_tf.export.onnx_export import export_onnx
    from attentiongan_tf.export.tfjs import export_tfjs_model
    from attentiongan_tf.export.tflite import export_tflite_model

    output = Path(args.output)
    summary: dict = {"checkpoint": str(args.checkpoint), "direction": args.direction}
    with tempfile.TemporaryDirectory(prefix="attentiongan_export_") as scratch:
        root = output if "savedmodel" in args.format else Path(scratch)
        saved = export_savedmodel(model, root, args.name, args.version, overwrite=args.overwrite)
        if "savedmodel" in args.format:
            summary["savedmodel"] = saved
        if "tflite" in args.format:
            summary["tflite"] = export_tflite_model(
                model, output, args.tflite_variants, representative, args.overwrite, args.tflite_fixed_size, args.name
            )
        if "tfjs" in args.format:  # from a SavedModel of its own: the means as TF.js runs them fast
            summary["tfjs"] = export_tfjs_model(
                model, output, args.tfjs_variants, args.shard_bytes, args.overwrite, args.tfjs_fixed_size
            )
        if "onnx" in args.format:
            summary["onnx"] = export_onnx(
                saved["path"], output, args.onnx_variants, args.onnx_opset, overwrite=args.overwrite
            )
    return summary


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        validate(args)
    except (ValueError, FileNotFoundError, FileExistsError) as error:
        sys.exit(f"error: {error}")

    from attentiongan_tf.inference.loading import load_generator_any

    try:
        model = load_generator_any(args.checkpoint, args.direction, args.variant, args.ngf, args.n_blocks)
        representative = None
        if args.representative_data and "tflite" in args.format and "int8" in args.tflite_variants:
            representative = load_representative(
                args.representative_data, args.representative_count, args.representative_size
            )
        if hasattr(model, "n_domains") and representative is not None:
            raise ValueError("the int8 TFLite variant is not available for multi-domain models (labels input)")
    except (OSError, ValueError, ImportError) as error:
        from attentiongan_tf.cli.errors import model_file_error

        sys.exit(model_file_error(args.checkpoint, error))
    cli_env.announce()
    output = Path(args.output)
    try:
        summary = write_exports(args, model, representative)
    except (RuntimeError, OSError, ValueError) as error:
        sys.exit(f"error: export to {output} failed: {error}")
    summary_file = output / "export_summary.json"
    previous = json.loads(summary_file.read_text()) if summary_file.is_file() else {}
    summary_file.write_text(json.dumps({**previous, **summary}, indent=2))
    for kind in FORMATS:
        entries = summary.get(kind)
        if entries is None:
            continue
        for variant, info in ({"": entries} if kind == "savedmodel" else entries).items():
            print(f"{kind:10s} {variant:14s} {info['size_bytes'] / 1e6:8.2f} MB  {info['path']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
