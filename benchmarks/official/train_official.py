"""Train the official PyTorch AttentionGAN on a given data stream and translate given test images.

A worker of ``benchmarks/quality.py`` (the same-budget race), run with the interpreter that has torch::

    python benchmarks/official/train_official.py --official-dir /tmp/official --stream work/stream.npz \
        --test work/test_inputs.npz --output work/official_s0.npz --seed 0 --ngf 32 --threads 1

``--stream`` holds ``A`` and ``B``: (steps, H, W, 3) float arrays in [-1, 1], the exact crops our pipeline
feeds our arms, one pair per iteration (batch 1). The model is the official ``AttentionGANModel`` with the
official options of ``scripts/train_attentiongan.sh`` (LSGAN, λ_A = λ_B = 10, identity 0.5, pool 50, Adam
2e-4 β1 0.5, constant learning rate: ``--niter_decay 0``); only ``ngf`` and the budget are the race's. Every
``--log-every`` iterations it records the mean background weight of G_A's attention (its 10th mask) on the
current input. At the end G_A translates ``--test`` (``images``: (N, H, W, 3) uint8) and the output npz holds
``images`` (uint8 translations), ``background`` (N, H, W) background masks, ``trajectory`` ((step, mean
background) rows) and ``seconds``. Extract the official code outside the project, e.g.
``git --git-dir=<mirror of Ha0Tang/AttentionGAN> archive HEAD models options util | tar -x -C /tmp/official``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from argparse import Namespace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_official import OFFICIAL_OPTIONS  # noqa: E402

BACKGROUND_OUTPUT = 20  # netG returns (image, 10 outputs, 10 attention maps, 9 contents): index 20 = background


def to_torch(images: np.ndarray):
    import torch

    return torch.from_numpy(np.ascontiguousarray(np.transpose(images, (0, 3, 1, 2)), dtype=np.float32))


def train(args: argparse.Namespace) -> dict:
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)  # the official ImagePool draws with Python's random
    np.random.seed(args.seed)
    sys.path.insert(0, str(args.official_dir))
    from models.attention_gan_model import AttentionGANModel

    options = {**OFFICIAL_OPTIONS, "ngf": args.ngf, "ndf": args.ndf, "checkpoints_dir": str(args.output.parent)}
    model = AttentionGANModel(Namespace(**options))
    stream = np.load(args.stream)
    steps = len(stream["A"]) if args.steps is None else args.steps
    trajectory = []
    start = time.perf_counter()
    for step in range(steps):
        model.set_input({"A": to_torch(stream["A"][step : step + 1]), "B": to_torch(stream["B"][step : step + 1]),
                         "A_paths": ["a"], "B_paths": ["b"]})  # fmt: skip
        model.optimize_parameters()
        if (step + 1) % args.log_every == 0 or step + 1 == steps:
            with torch.no_grad():
                background = model.netG_A(model.real_A)[BACKGROUND_OUTPUT][:, 0]
            trajectory.append((step + 1, float(background.mean())))
    seconds = time.perf_counter() - start
    test = np.load(args.test)["images"]
    images, backgrounds = [], []
    model.netG_A.eval()
    with torch.no_grad():
        for image in test:
            outputs = model.netG_A(to_torch(image[None].astype(np.float32) / 127.5 - 1.0))
            fake = outputs[0][0].permute(1, 2, 0).numpy()
            images.append(np.clip(np.round((fake + 1.0) * 127.5), 0, 255).astype(np.uint8))
            backgrounds.append(outputs[BACKGROUND_OUTPUT][0, 0].numpy())
    return {
        "images": np.stack(images),
        "background": np.stack(backgrounds),
        "trajectory": np.asarray(trajectory, np.float64),
        "seconds": np.float64(seconds),
        "torch": np.str_(torch.__version__),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official-dir", type=Path, required=True, help="folder holding the official models/")
    parser.add_argument("--stream", type=Path, required=True, help="npz with the A and B training crops")
    parser.add_argument("--test", type=Path, required=True, help="npz with the uint8 test images to translate")
    parser.add_argument("--output", type=Path, required=True, help="npz to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ngf", type=int, default=64)
    parser.add_argument("--ndf", type=int, default=64)
    parser.add_argument("--steps", type=int, help="iterations (default: the whole stream)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--log-every", type=int, default=50)
    args = parser.parse_args()
    if not (args.official_dir / "models" / "attention_gan_model.py").is_file():
        parser.error(f"--official-dir {args.official_dir}: models/attention_gan_model.py not found")
    result = train(args)
    np.savez(args.output, **result)
    print(f"official seed {args.seed}: {len(result['trajectory'])} log rows, {float(result['seconds']):.0f} s")


if __name__ == "__main__":
    main()
