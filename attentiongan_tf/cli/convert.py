"""Convert an official AttentionGAN PyTorch checkpoint (.pth) to a Keras ``.keras`` file.

Examples:
    python convert.py --pth horse2zebra/latest_net_G_A.pth --output g_a.keras
    python convert.py --pth selfie2anime/latest_net_G_A.pth --variant geo --output g.keras
    python convert.py --pth horse2zebra/latest_net_D_A.pth --kind discriminator --output d_a.keras

torch is not needed, and files that contain code are refused. Converted official
weights inherit the official licence, CC BY-NC-SA 4.0 (non-commercial use only).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from attentiongan_tf.cli import env as cli_env

cli_env.quiet_start()  # before TensorFlow is imported: no CUDA/absl start-up lines

from attentiongan_tf.cli.errors import MODEL_FILE_ERRORS, model_file_error  # noqa: E402
from attentiongan_tf.official.convert import load_official_discriminator, load_official_generator  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pth", required=True, type=Path, help="official state dict (*_net_G_A.pth, *_net_D_A.pth)")
    parser.add_argument("--output", required=True, type=Path, help="destination .keras file")
    parser.add_argument("--kind", choices=("generator", "discriminator"), default="generator")
    parser.add_argument("--variant", choices=("scheme2", "geo"), default="scheme2", help="generator variant")
    parser.add_argument("--ngf", type=int, default=64, help="generator width (official 64)")
    parser.add_argument("--n-blocks", type=int, default=9, help="generator ResNet blocks (official 9)")
    parser.add_argument("--ndf", type=int, default=64, help="discriminator width (official 64)")
    parser.add_argument("--n-layers", type=int, default=3, help="discriminator stride-2 layers (official 3)")
    parser.add_argument("--overwrite", action="store_true", help="replace --output if it exists")
    cli_env.add_verbose_flag(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cli_env.announce()
    if args.output.suffix != ".keras":
        sys.exit(f"error: --output must end with .keras, got {args.output}")
    if args.output.exists() and not args.overwrite:
        sys.exit(f"error: --output {args.output} exists; pass --overwrite to replace it")
    try:
        if args.kind == "generator":
            model = load_official_generator(args.pth, args.variant, ngf=args.ngf, n_blocks=args.n_blocks)
        else:
            model = load_official_discriminator(args.pth, ndf=args.ndf, n_layers=args.n_layers)
    except MODEL_FILE_ERRORS as error:
        sys.exit(model_file_error(args.pth, error))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.output)
    print(f"wrote {args.output} ({model.count_params():,} parameters). "
          "Official weights are licensed CC BY-NC-SA 4.0 (non-commercial).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
