"""The arms of the same-budget race (``benchmarks/quality.py``) and the worker that trains one of ours.

Every arm trains at one declared budget (:class:`Budget`) on the same data stream and translates the same
test inputs; the driver scores them all with the same code. Our arms start from a named preset, then the
budget replaces what a CPU cannot afford (resolution, width, steps, batch) and nothing else.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
DATAROOT = REPO_ROOT.parent / "shared" / "data" / "horse2zebra_128"


@dataclass(frozen=True)
class Budget:
    """What every arm gets: ``steps`` iterations of batch 1 at ``size``², generator width ``ngf``."""

    size: int = 64
    steps: int = 1500
    ngf: int = 32
    n_blocks: int = 9
    log_every: int = 50

    @property
    def load_size(self) -> int:
        return int(round(self.size * 286 / 256))  # the official 286 → 256 ratio

    def describe(self) -> str:
        return (
            f"{self.steps} iterations of batch 1, {self.load_size} → {self.size}² crops with flips, ngf {self.ngf}, "
            f"ndf {self.ngf}, {self.n_blocks} ResNet blocks, constant learning rate 2e-4 (the official script's "
            "`--niter_decay 0`), float32 unless the arm names another precision, one CPU thread per arm"
        )


@dataclass(frozen=True)
class Arm:
    """One row group of the race table.

    Args:
        name: short key (cache file names, ``--arms``).
        label: the table's wording.
        kind: ``ours`` (our trainer), ``official`` (the official PyTorch code) or ``identity`` (no translation).
        preset: our preset the arm starts from.
        overrides: ``"section.field": value`` changes on top of the preset.
        seeded: whether the arm runs every ``--seeds`` seed (else only the first).
        studies: the tables (:data:`STUDIES`) the arm is a row of.
    """

    name: str
    label: str
    kind: str
    preset: str = "official"
    overrides: dict = field(default_factory=dict)
    seeded: bool = False
    studies: tuple[str, ...] = ("race",)

    def seeds_to_run(self, seeds: list[int]) -> list[int]:
        """Every seed for a seeded arm, else only the first."""
        return list(seeds) if self.seeded else list(seeds[:1])

    @property
    def model_has_attention(self) -> bool:
        return self.kind != "identity" and self.overrides.get("model.variant") != "cyclegan"


@dataclass(frozen=True)
class Study:
    """One table of arms: its RESULTS.md section, title and what its rows are."""

    section: str
    title: str
    note: str = ""


#: The race of methods on real photos, and whether the faster arithmetic (what ``--mixed-precision auto`` picks)
#: trains as well as float32.
STUDIES = {
    "race": Study("quality_race", "The race on real photos"),
    "precision": Study(
        "quality_precision",
        "Does the faster arithmetic train as well? The `robust` preset on real photos",
        "Rows: the `robust` preset in float32 with direct convolutions (the race's `robust` row), then each faster "
        "arithmetic `--mixed-precision auto` picks on some CPU: float32 with Winograd F(4×4, 3×3) (no bfloat16 "
        "instructions), bfloat16 with direct convolutions (AMX), bfloat16 with Winograd F(2×2, 3×3) (AVX512-BF16 "
        "without AMX). Each seed gives every arm the same initial weights and data stream, but GAN training "
        "amplifies rounding differences as it does a change of seed: compare the spread between arms with the "
        "spread between the seeds of one arm.",
    ),
}
_PRECISION = "ours, `robust`, "

ARMS = (
    Arm("official-pytorch", "official PyTorch code", "official", seeded=True),
    Arm("ours-official", "ours, `official` preset", "ours"),
    Arm("ours-paper", "ours, paper's full method (attention-guided D, Eq. 6)", "ours",
        overrides={"model.attention_discriminator": True, "loss.lambda_attention_gan": 1.0}),
    Arm("ours-robust", "ours, `robust` (0.1 of the cycle and identity gradient through the masks)", "ours",
        preset="robust", seeded=True, studies=("race", "precision")),
    Arm("robust-winograd", _PRECISION + "float32, `--conv-algorithm winograd` (F(4×4, 3×3))", "ours",
        preset="robust", overrides={"train.conv_algorithm": "winograd"}, seeded=True, studies=("precision",)),
    Arm("robust-bfloat16", _PRECISION + "`--mixed-precision bfloat16` (direct convolutions)", "ours",
        preset="robust", overrides={"train.mixed_precision": "bfloat16"}, seeded=True, studies=("precision",)),
    Arm("robust-bfloat16-winograd", _PRECISION + "bfloat16, `--conv-algorithm winograd` (F(2×2, 3×3))", "ours",
        preset="robust", overrides={"train.mixed_precision": "bfloat16", "train.conv_algorithm": "winograd"},
        seeded=True, studies=("precision",)),
    Arm("masks-adversarial-only", "candidate: `official`, cycle and identity losses do not move the masks (share 0)",
        "ours", overrides={"loss.cycle_attention_gradient": 0.0, "loss.identity_attention_gradient": 0.0}),
    Arm("masks-share-0.3", "candidate: `official`, 0.3 of the cycle and identity gradient through the masks",
        "ours", overrides={"loss.cycle_attention_gradient": 0.3, "loss.identity_attention_gradient": 0.3}),
    Arm("identity-moves-masks", "candidate: `official`, only the identity loss moves the masks (cycle share 0)",
        "ours", overrides={"loss.cycle_attention_gradient": 0.0}),
    Arm("no-identity", "candidate: `official` without the identity loss", "ours",
        overrides={"loss.lambda_identity": 0.0}),
    Arm("no-identity-prior", "candidate: no identity loss + background prior 0.6 (the earlier `robust`)", "ours",
        overrides={"loss.lambda_identity": 0.0, "loss.lambda_background": 1.0, "loss.background_target": 0.6},
        seeded=True),
    Arm("prior-3x3", "candidate: no identity, background prior 0.7, 3×3 attention conv", "ours",
        overrides={"loss.lambda_identity": 0.0, "loss.lambda_background": 1.0, "loss.background_target": 0.7,
                   "model.attention_kernel_size": 3}),
    Arm("kernel3", "candidate: `official` with the 3×3 attention conv only", "ours",
        overrides={"model.attention_kernel_size": 3}),
    Arm("cyclegan", "attention disabled (CycleGAN ablation)", "ours", overrides={"model.variant": "cyclegan"}),
    Arm("no-translation", "no translation (output = input)", "identity"),
)  # fmt: skip
ARMS_BY_NAME = {arm.name: arm for arm in ARMS}


def race_config(arm: Arm, budget: Budget, seed: int, output_dir: Path):
    """The arm's preset and overrides, with the budget's resolution, width, steps and batch."""
    from attentiongan_tf.training.config import preset

    config = preset(arm.preset)
    config.train.mixed_precision = False  # the arm's overrides may name others
    config.train.conv_algorithm = "direct"
    for key, value in arm.overrides.items():
        section, name = key.split(".")
        setattr(getattr(config, section), name, value)
    config.model.ngf = config.model.ndf = budget.ngf
    config.model.n_blocks = budget.n_blocks
    config.data.dataroot = str(DATAROOT)
    config.data.crop_size, config.data.load_size, config.data.batch_size = budget.size, budget.load_size, 1
    t = config.train
    t.steps, t.epochs, t.decay_fraction, t.seed = budget.steps, None, 0.0, seed
    t.output_dir = str(output_dir)
    t.checkpoint_every = t.sample_every = budget.steps
    t.log_every = budget.log_every
    config.validate()
    return config


def train_ours(arm: Arm, budget: Budget, seed: int, work_dir: Path, test_inputs: Path, output: Path) -> None:
    """Train one of our arms (resuming its run folder if one exists) and save its translations like the
    official worker does: ``images``, ``background``, ``trajectory``, ``seconds``."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from attentiongan_tf.inference import KerasRunner
    from attentiongan_tf.training.loop import train

    run_dir = work_dir / "runs" / f"{arm.name}_s{seed}"
    config = race_config(arm, budget, seed, run_dir)
    start = time.perf_counter()
    generator = train(config, resume=run_dir.exists(), progress=False).trainer.generator_ab
    seconds = time.perf_counter() - start
    runner = KerasRunner(generator)
    images, backgrounds = [], []
    for image in np.load(test_inputs)["images"]:
        result = runner.run([image])[0]
        images.append(result["image"])
        backgrounds.append(result["attention"][..., -1])
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    trajectory = [(r["step"], r["background_mean_ab"]) for r in rows if "background_mean_ab" in r]
    np.savez(
        output,
        images=np.stack(images),
        background=np.stack(backgrounds),
        trajectory=np.asarray(trajectory, np.float64).reshape(-1, 2),
        seconds=np.float64(seconds),
        config=np.str_(json.dumps(config.to_dict())),
    )


def worker_main(argv: list[str] | None = None) -> None:
    """``python benchmarks/race_arms.py ARM SEED WORK_DIR OUTPUT BUDGET_JSON``: one of our arms, one thread."""
    import sys

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(REPO_ROOT))
    arm, seed, work_dir, output, budget = argv or sys.argv[1:]
    work_dir = Path(work_dir)
    train_ours(ARMS_BY_NAME[arm], Budget(**json.loads(budget)), int(seed), work_dir, work_dir / "test_inputs.npz",
               Path(output))  # fmt: skip


def budget_json(budget: Budget) -> str:
    return json.dumps(asdict(budget))


if __name__ == "__main__":
    worker_main()
