"""Write the train-step parity fixtures (tests/parity/data/train_step/) with the official PyTorch code.

The official code is not part of this project: the script extracts ``models/`` and ``util/`` of a clone or
mirror of Ha0Tang/AttentionGAN into a temporary folder at run time. Run it in an environment with torch
(not the project's TensorFlow one)::

    python -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchenv/bin/python tests/parity/make_train_step_reference.py --official-git-dir <AttentionGAN .git>

What it runs: the official ``AttentionGANModel.optimize_parameters`` (forward of both cycles, G_A + G_B
update with LSGAN + cycle λ=10 + identity 0.5 while the Ds are frozen, then D_A + D_B update on the fakes of
the same forward pass, halved LSGAN loss, Adam(2e-4, β=(0.5, 0.999))), pool disabled (``pool_size=0``), on
a tiny scheme II model (ngf 4, 1 ResNet block, ndf 4, 3-layer PatchGAN, 32², batch 2) for ``--steps``
steps (3), each on a new random batch. Writes:

- ``{G_A,G_B,D_A,D_B}.pth``: the initial state dicts (official init, seed 0), read by our converter;
- ``reference.npz``: the inputs ``A``/``B`` (steps, batch, 3, H, W) and the weights after the first and
  the last step (``step{k}/{net}/{param}``);
- ``reference.json``: the configuration, every loss of every step (also of the same run in float64), the
  official learning-rate schedule of a small run (``get_scheduler``, ``lr_policy="linear"``), and the float32
  round-off of the official code itself: max |float32 − float64| of the losses and of each weight.

``--steps 200 --out /tmp/long`` writes a longer run for ``trajectory.py`` (trajectory comparison; not a test).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import subprocess
import sys
import tempfile
from argparse import Namespace
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).resolve().parent / "data" / "train_step"
BATCH, SIZE, N_BLOCKS = 2, 32, 1
NETS = ("G_A", "G_B", "D_A", "D_B")
LOSSES = ("G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B", "G", "D_A", "D_B")
OPTIONS = dict(
    isTrain=True, gpu_ids=[], checkpoints_dir=tempfile.gettempdir(), name="train_step_parity", preprocess="none",
    input_nc=3, output_nc=3, ngf=4, ndf=4, netD="basic", n_layers_D=3, norm="instance", no_dropout=True,
    init_type="normal", init_gain=0.02, pool_size=0, gan_mode="lsgan", lambda_A=10.0, lambda_B=10.0,
    lambda_identity=0.5, lr=0.0002, beta1=0.5, saveDisk=True, direction="AtoB", continue_train=False,
    verbose=False, lr_policy="linear", epoch_count=1, niter=3, niter_decay=4, load_iter=0, epoch="latest",
)  # fmt: skip


def import_official(official_dir: Path):
    """Import the official model module, with the generator's hard-wired 9 blocks replaced by ``N_BLOCKS``."""
    sys.path.insert(0, str(official_dir))
    from models import attention_gan_model, networks

    def define_tiny_g(input_nc, output_nc, ngf, netG, norm, use_dropout, init_type, init_gain, gpu_ids):
        assert netG == "our", netG  # the official define_G's "our" branch, with n_blocks=N_BLOCKS
        net = networks.ResnetGenerator_our(input_nc, output_nc, ngf, n_blocks=N_BLOCKS)
        return networks.init_net(net, init_type, init_gain, gpu_ids)

    networks.define_G = define_tiny_g
    return attention_gan_model, networks


def nets(model) -> dict:
    return {name: getattr(model, f"net{name}") for name in NETS}


def run(model, inputs: dict, dtype: torch.dtype) -> tuple[list[dict], dict]:
    """Train one official iteration per input batch; returns the losses per step and the weights after steps 1
    and N."""
    losses, weights = [], {}
    steps = len(inputs["A"])
    for step in range(steps):
        batch = {k: torch.from_numpy(inputs[k][step]).to(dtype) for k in ("A", "B")}
        model.set_input({**batch, "A_paths": ["a"] * BATCH, "B_paths": ["b"] * BATCH})
        model.optimize_parameters()
        losses.append({name: float(getattr(model, f"loss_{name}").detach()) for name in LOSSES})
        if step + 1 in (1, steps):
            for net_name, net in nets(model).items():
                for key, value in net.state_dict().items():
                    weights[f"step{step + 1}/{net_name}/{key}"] = value.detach().clone().double().numpy()
    return losses, weights


def official_schedule(networks) -> list[float]:
    """Learning rate of each epoch of a ``niter`` + ``niter_decay`` run (scheduler stepped after every epoch)."""
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=OPTIONS["lr"])
    scheduler = networks.get_scheduler(optimizer, Namespace(**OPTIONS))
    rates = []
    for _ in range(OPTIONS["niter"] + OPTIONS["niter_decay"]):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official-git-dir", type=Path, required=True, help="git dir of Ha0Tang/AttentionGAN")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--steps", type=int, default=3, help="iterations (the committed fixtures: 3)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as official_dir:
        archive = subprocess.run(
            ["git", f"--git-dir={args.official_git_dir}", "archive", "HEAD", "models", "util"],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", official_dir], input=archive, check=True)
        attention_gan_model, networks = import_official(Path(official_dir))
        torch.manual_seed(0)
        random.seed(0)
        model = attention_gan_model.AttentionGANModel(Namespace(**OPTIONS))
        model64 = attention_gan_model.AttentionGANModel(Namespace(**OPTIONS))
        schedule = official_schedule(networks)

    args.out.mkdir(parents=True, exist_ok=True)
    for name, net in nets(model).items():
        torch.save(net.state_dict(), args.out / f"{name}.pth")
        nets(model64)[name].load_state_dict(copy.deepcopy(net.state_dict()))
        nets(model64)[name].double()  # in place: the optimizers keep pointing at the same parameters
    rng = np.random.default_rng(0)
    inputs = {k: rng.uniform(-1, 1, (args.steps, BATCH, 3, SIZE, SIZE)).astype(np.float32) for k in ("A", "B")}

    losses, weights = run(model, inputs, torch.float32)
    losses64, weights64 = run(model64, inputs, torch.float64)
    roundoff = {
        "losses": max(abs(a[k] - b[k]) for a, b in zip(losses, losses64, strict=True) for k in LOSSES),
        "weights": {k: float(np.abs(weights[k] - weights64[k]).max()) for k in weights},
    }
    np.savez_compressed(args.out / "reference.npz", **inputs, **{k: v.astype(np.float32) for k, v in weights.items()})
    meta = {
        "config": {"steps": args.steps, "batch": BATCH, "size": SIZE, "n_blocks": N_BLOCKS, **{
            k: OPTIONS[k] for k in ("ngf", "ndf", "n_layers_D", "pool_size", "gan_mode", "lambda_A", "lambda_B",
                                    "lambda_identity", "lr", "beta1", "niter", "niter_decay")}},
        "torch": torch.__version__,
        "losses": losses,
        "losses_float64": losses64,
        "float32_roundoff": roundoff,
        "official_schedule_per_epoch": schedule,
    }  # fmt: skip
    (args.out / "reference.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(json.dumps({"roundoff_losses": roundoff["losses"], "roundoff_weights": max(roundoff["weights"].values())}))


if __name__ == "__main__":
    main()
