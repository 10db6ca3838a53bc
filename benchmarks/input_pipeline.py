"""Input pipeline throughput (training pairs per second) of ``attentiongan_tf.data.unpaired.train_dataset``.

Reads horse2zebra from ``../shared/data`` when present (256² test images, load 286 → crop 256, as the
official preset trains; 128² train images, load 143 → crop 128), otherwise synthetic 256² JPEGs written to
a temporary folder. The pipeline is compared with what training consumes: one pair per iteration at the
seconds per iteration that ``benchmarks/train_speed.py`` measured (results.json), or ``--seconds-per-iteration``.
Target: ≥ 10x the training consumption. Writes the "input_pipeline" section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import load_data, machine_description, save_data, update_section  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def _synthetic_domain(folder: Path, count: int, size: int, seed: int) -> list[Path]:
    from PIL import Image

    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    paths = []
    for index in range(count):
        low = rng.integers(0, 256, (size // 16, size // 16, 3), dtype=np.uint8)
        image = Image.fromarray(low).resize((size, size), Image.BICUBIC)
        paths.append(folder / f"{index:04d}.jpg")
        image.save(paths[-1], quality=92)
    return paths


def pairs_per_second(files_a, files_b, load_size: int, crop_size: int, pairs: int) -> float:
    from attentiongan_tf.data.unpaired import train_dataset

    iterator = iter(train_dataset(files_a, files_b, batch_size=1, load_size=load_size, crop_size=crop_size))
    for _ in range(20):  # warm-up: tracing, thread pools, AUTOTUNE
        next(iterator)
    start = time.perf_counter()
    for _ in range(pairs):
        next(iterator)
    return pairs / (time.perf_counter() - start)


def _training_seconds(size: int) -> float | None:
    data = load_data("train_speed")
    rows = [] if data is None else [r for r in data["rows"] if r["size"] == size and r.get("batch_size", 1) == 1]
    return min((r["iteration_s"] for r in rows), default=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300, help="timed training pairs per configuration")
    parser.add_argument("--seconds-per-iteration", type=float, help="training speed at 256² (default: results.json)")
    args = parser.parse_args()
    from attentiongan_tf.data.images import list_images

    machine = machine_description()
    configs = []
    with tempfile.TemporaryDirectory(prefix="input_pipeline_") as tmp:
        if (SHARED_DATA / "horse2zebra_256_test" / "testA").is_dir():
            root = SHARED_DATA / "horse2zebra_256_test"
            configs.append(
                (
                    "horse2zebra 256² JPEG (test split)",
                    list_images(root / "testA"),
                    list_images(root / "testB"),
                    286,
                    256,
                )
            )
            root = SHARED_DATA / "horse2zebra_128"
            configs.append(
                (
                    "horse2zebra 128² JPEG (train split)",
                    list_images(root / "trainA"),
                    list_images(root / "trainB"),
                    143,
                    128,
                )
            )
        else:
            files_a = _synthetic_domain(Path(tmp) / "A", 64, 256, 0)
            files_b = _synthetic_domain(Path(tmp) / "B", 64, 256, 1)
            configs.append(("synthetic 256² JPEG (../shared/data absent)", files_a, files_b, 286, 256))
        rows = []
        for name, files_a, files_b, load_size, crop_size in configs:
            rate = pairs_per_second(files_a, files_b, load_size, crop_size, args.pairs)
            seconds = args.seconds_per_iteration if crop_size == 256 else None
            seconds = seconds or _training_seconds(crop_size)
            rows.append(
                {
                    "data": name,
                    "load": load_size,
                    "crop": crop_size,
                    "pairs_per_s": rate,
                    "training_pairs_per_s": None if seconds is None else 1 / seconds,
                }
            )
            print(rows[-1])
    lines = [
        "## Input pipeline throughput vs training consumption (batch 1)",
        "",
        f"Machine: {machine}. Written by `benchmarks/input_pipeline.py`; {args.pairs} timed pairs after 20 warm-up "
        "pairs; one pair = one A and one B image, decoded (PIL), resized, randomly cropped and flipped. Training "
        "consumption: one pair per iteration at the fastest mode of the train_speed section.",
        "",
        "| data | load → crop | pipeline pairs/s | training pairs/s | ratio |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        training = r["training_pairs_per_s"]
        cells = "n/a | n/a" if training is None else f"{training:.3f} | {r['pairs_per_s'] / training:.0f}x"
        lines.append(f"| {r['data']} | {r['load']} → {r['crop']} | {r['pairs_per_s']:.1f} | {cells} |")
    update_section("input_pipeline", "\n".join(lines))
    save_data("input_pipeline", {"machine": machine, "rows": rows})


if __name__ == "__main__":
    main()
