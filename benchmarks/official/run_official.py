"""Time the official PyTorch AttentionGAN (scheme II) on this CPU: full training iteration and G forward.

The official code is not part of this project. Extract it anywhere outside the repository, e.g.::

    git --git-dir=<mirror of Ha0Tang/AttentionGAN> archive HEAD models options util | tar -x -C /tmp/official
    pip install torch==2.13.0
    python benchmarks/official/run_official.py --official-dir /tmp/official

One full iteration is the official ``optimize_parameters`` (forward of both generators, both G updates
with LSGAN + cycle + identity losses, image pools, both D updates), batch 1, ngf 64, 9 blocks. Each image
size runs in its own process so its peak RSS is its own. Writes the "official" section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from argparse import Namespace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from results import machine_description, official_worker_command, peak_rss_gib, run_json, save_data, update_section  # noqa: E402

OFFICIAL_OPTIONS = dict(
    isTrain=True, gpu_ids=[], checkpoints_dir="/tmp/official_benchmark_ckpt", name="bench", preprocess="none",
    input_nc=3, output_nc=3, ngf=64, ndf=64, netD="basic", n_layers_D=3, norm="instance", no_dropout=True,
    init_type="normal", init_gain=0.02, pool_size=50, gan_mode="lsgan", lambda_A=10.0, lambda_B=10.0,
    lambda_identity=0.5, lr=0.0002, beta1=0.5, saveDisk=True, direction="AtoB", continue_train=False,
    verbose=False, lr_policy="linear", epoch_count=1, n_epochs=100, n_epochs_decay=100, niter=100,
    niter_decay=100, load_iter=0, epoch="latest",
)  # fmt: skip


def worker(
    official_dir: Path, size: int, iterations: int, warmup: int, threads: int, forward_repeats: int, batch_size: int = 1
) -> dict:
    import torch

    load_at_start = os.getloadavg()[0]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    sys.path.insert(0, str(official_dir))
    from models.attention_gan_model import AttentionGANModel

    model = AttentionGANModel(Namespace(**OFFICIAL_OPTIONS))
    shape = (batch_size, 3, size, size)
    batch = {"A": torch.rand(*shape) * 2 - 1, "B": torch.rand(*shape) * 2 - 1, "A_paths": ["a"] * batch_size}
    model.set_input(batch)
    times = []
    for step in range(warmup + iterations if iterations else 0):
        start = time.perf_counter()
        model.optimize_parameters()
        if step >= warmup:
            times.append(time.perf_counter() - start)
    forward_times = []
    with torch.no_grad():
        model.netG_A.eval()
        for step in range(warmup + forward_repeats):
            start = time.perf_counter()
            model.netG_A(batch["A"][:1])
            if step >= warmup:
                forward_times.append(time.perf_counter() - start)
    return {
        "size": size,
        "batch_size": batch_size,
        "iteration_s": sorted(times)[len(times) // 2] if times else None,
        "iteration_min_s": min(times) if times else None,
        "iteration_times": times,
        "forward_s": sorted(forward_times)[len(forward_times) // 2],
        "peak_rss_gib": peak_rss_gib(),
        "torch": torch.__version__,
        "threads": threads,
        "load_at_start": load_at_start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official-dir", type=Path, required=True, help="folder holding the official models/")
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--iterations", type=int, default=3, help="timed iterations per size (median reported)")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1, help="images per domain per iteration")
    parser.add_argument("--forward-repeats", type=int, default=3, help="timed generator forwards (median)")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = parser.parse_args()
    if not (args.official_dir / "models" / "attention_gan_model.py").is_file():
        parser.error(f"--official-dir {args.official_dir}: models/attention_gan_model.py not found")
    if args.worker:
        print(
            json.dumps(
                worker(
                    args.official_dir,
                    args.worker,
                    args.iterations,
                    args.warmup,
                    args.threads,
                    args.forward_repeats,
                    args.batch_size,
                )
            )
        )
        return
    machine = machine_description()
    rows = []
    for size in args.sizes:
        command = official_worker_command(
            args.official_dir, size, iterations=args.iterations, warmup=args.warmup, threads=args.threads
        )
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
        rows.append(run_json(command, env=env))
        print(rows[-1])
    lines = [
        "## Official PyTorch AttentionGAN (scheme II), CPU",
        "",
        f"Machine: {machine}.",
        f"torch {rows[0]['torch']}, {args.threads} threads, batch 1, ngf 64, 9 blocks; median of "
        f"{args.iterations} iterations after {args.warmup} warm-up. Written by `benchmarks/official/run_official.py`.",
        "",
        "| size | full iteration, median (s) | min (s) | G forward (s) | peak RSS (GiB) | 1-min load at start |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['size']}² | {r['iteration_s']:.2f} | {r['iteration_min_s']:.2f} | {r['forward_s']:.3f} "
            f"| {r['peak_rss_gib']:.2f} | {r['load_at_start']:.2f} |"
        )
    update_section("official", "\n".join(lines))
    save_data("official", {"machine": machine, "rows": rows})
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
