"""Training throughput: seconds per full iteration (both G updates, both D updates, official losses).

Batch 1, scheme II, ngf 64, 9 blocks (the ``official`` preset), default graph vs ``--xla`` vs
``--mixed-precision bfloat16``, at 128² and 256², with the peak RSS of each configuration (each runs in its
own process). With ``--official-dir`` the official PyTorch code (see ``benchmarks/official/run_official.py``)
is timed in the same run and the ratio reported::

    python benchmarks/train_speed.py --official-dir /tmp/official

Writes the "train_speed" section of RESULTS.md. Targets: ≥ 1.2x faster than official, ≤ 3.5 GiB at 256².
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine_description, official_worker_command, peak_rss_gib, run_json, save_data, update_section  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]


MODES = {"default": {}, "xla": {"xla": True}, "bfloat16": {"mixed_precision": "bfloat16"}}


def worker(size: int, mode: str, iterations: int, warmup: int) -> dict:
    load_at_start = os.getloadavg()[0]
    sys.path.insert(0, str(REPO_ROOT))
    import numpy as np
    import tensorflow as tf

    from attentiongan_tf.training.config import preset
    from attentiongan_tf.training.tasks.two_domain import AttentionGANTrainer

    config = preset("official")
    config.data.crop_size = config.data.load_size = size
    config.data.batch_size = 1  # the batch fed below (the official recipe's batch 4 is not timed here)
    for field, value in MODES[mode].items():
        setattr(config.train, field, value)
    trainer = AttentionGANTrainer(config)
    rng = np.random.default_rng(0)
    batch = {k: tf.constant(rng.uniform(-1, 1, (1, size, size, 3)), tf.float32) for k in ("A", "B")}
    times = []
    for step in range(warmup + iterations):
        start = time.perf_counter()
        trainer.train_step(batch)  # returns Python floats: the step has finished
        if step >= warmup:
            times.append(time.perf_counter() - start)
    return {
        "size": size,
        "mode": mode,
        "iteration_s": sorted(times)[len(times) // 2],
        "iteration_min_s": min(times),
        "peak_rss_gib": peak_rss_gib(),
        "load_at_start": load_at_start,
        "tensorflow": tf.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--iterations", type=int, default=3, help="timed iterations (median reported)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed iterations (tracing, XLA compilation)")
    parser.add_argument("--official-dir", type=Path, help="official AttentionGAN code, to time it in the same run")
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=tuple(MODES),
        default=list(MODES),
        help="default graph, --xla, --mixed-precision bfloat16 (fast on CPUs with AMX)",
    )
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(int(args.worker[0]), args.worker[1], args.iterations, args.warmup)))
        return
    if args.official_dir is not None and not (args.official_dir / "models" / "attention_gan_model.py").is_file():
        parser.error(f"--official-dir {args.official_dir}: models/attention_gan_model.py not found")
    machine = machine_description()
    rows = []
    for size in args.sizes:
        official = None
        if args.official_dir is not None:
            official = run_json(
                official_worker_command(args.official_dir, size, iterations=args.iterations, threads=2), cwd=REPO_ROOT
            )
        for mode in args.modes:
            row = run_json(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    str(size),
                    mode,
                    "--iterations",
                    str(args.iterations),
                    "--warmup",
                    str(args.warmup),
                ],
                cwd=REPO_ROOT,
            )
            row["official"] = official
            rows.append(row)
            print(json.dumps(row))
    lines = [
        "## Training throughput (ours vs official), batch 1, ngf 64, 9 blocks, scheme II",
        "",
        f"Machine: {machine}. Written by `benchmarks/train_speed.py`; median of {args.iterations} iterations "
        f"after {args.warmup} warm-up (min in brackets). Official: torch, 2 threads, same process layout.",
        "",
        "| size | mode | ours s/iter | ours peak RSS (GiB) | official s/iter | official peak RSS (GiB) "
        "| speed-up vs official | 1-min load at start |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        o = r["official"]
        official_cells = "n/a | n/a | n/a"
        if o is not None:
            official_cells = (
                f"{o['iteration_s']:.2f} ({o['iteration_min_s']:.2f}) | {o['peak_rss_gib']:.2f} "
                f"| {o['iteration_s'] / r['iteration_s']:.2f}x"
            )
        lines.append(
            f"| {r['size']}² | {r['mode']} "
            f"| {r['iteration_s']:.2f} ({r['iteration_min_s']:.2f}) "
            f"| {r['peak_rss_gib']:.2f} | {official_cells} | {r['load_at_start']:.2f} |"
        )
    update_section("train_speed", "\n".join(lines))
    save_data("train_speed", {"machine": machine, "rows": rows})


if __name__ == "__main__":
    main()
