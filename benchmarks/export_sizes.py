"""Sizes, latencies and numerical error of every export of the FULL-SIZE generator (ngf 64, 9 blocks, 10 masks).

Exports a seeded random-weight scheme II generator with export.py's functions (SavedModel, 4 TFLite variants,
3 TF.js variants), then runs each artifact in its runtime on 256×256 images: latency is the median of
``--repeats`` runs after one warm-up (batch 1; TFLite, and TF.js in Node with the wasm backend, with ``--threads``);
error is the max / mean abs difference of the [-1, 1] output image from the Keras model, on real horse photos
from ../shared/data when present (else random pixels). Writes the ``export`` section of
benchmarks/EXPORT_RESULTS.md.

    python benchmarks/export_sizes.py [--output /tmp/export_bench] [--repeats 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402

from attentiongan_tf import build_generator  # noqa: E402
from attentiongan_tf.export import export_savedmodel  # noqa: E402
from attentiongan_tf.export.tfjs import export_tfjs_model  # noqa: E402
from attentiongan_tf.export.tflite import export_tflite_model  # noqa: E402
from attentiongan_tf.inference import KerasRunner, SavedModelRunner, TFJSNodeRunner, TFLiteRunner  # noqa: E402
from benchmarks.results import machine_description, update_section  # noqa: E402

REAL_IMAGES = REPO / ".." / "shared" / "data" / "horse2zebra_256_test" / "testA"
OUTPUT_FILE = REPO / "benchmarks" / "EXPORT_RESULTS.md"
SIZE = 256


def load_images(count: int) -> tuple[list[np.ndarray], str]:
    if REAL_IMAGES.is_dir():
        files = sorted(REAL_IMAGES.iterdir())[:count]
        images = [np.asarray(Image.open(f).convert("RGB").resize((SIZE, SIZE), Image.BICUBIC)) for f in files]
        return images, f"{len(images)} real horse2zebra testA photos"
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8) for _ in range(count)], "random pixels"


def median_latency(runner, image: np.ndarray, repeats: int) -> float:
    """Seconds per image, median over ``repeats`` after one warm-up (TF.js: timed inside Node)."""
    if isinstance(runner, TFJSNodeRunner):
        runner.run_raw([image] * (repeats + 1))
        return statistics.median(runner.last_timings_ms[1:]) / 1000
    runner.run_raw([image])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        runner.run_raw([image])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def errors(runner, images: list[np.ndarray], reference: list[dict]) -> tuple[float, float]:
    outputs = runner.run_raw(images)
    diffs = [np.abs(o["image"] - r["image"]) for o, r in zip(outputs, reference, strict=True)]
    return max(float(d.max()) for d in diffs), float(np.mean([d.mean() for d in diffs]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", help="keep the exports here (default: a temporary folder)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="TFLite interpreter and TF.js wasm threads")
    parser.add_argument("--calibration", type=int, default=8, help="int8 representative images")
    args = parser.parse_args()
    machine = machine_description()
    images, source = load_images(2)
    calibration, _ = load_images(args.calibration)
    tf.keras.utils.set_random_seed(0)
    model = build_generator("scheme2", ngf=64, n_blocks=9, n_masks=10)
    keras_runner = KerasRunner(model)
    reference = keras_runner.run_raw(images)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(args.output or scratch)
        started = time.perf_counter()
        saved = export_savedmodel(model, out, overwrite=True)
        # As export.py converts TFLite: from a SavedModel of its own with the reflection pads as slices.
        tflite = export_tflite_model(model, out, representative=calibration, overwrite=True)
        tfjs = export_tfjs_model(model, out, overwrite=True)  # as export.py: its means as matrix products
        export_seconds = time.perf_counter() - started
        rows = [("Keras (TF eager + tf.function)", "-", keras_runner, "n/a")]
        rows.append(("SavedModel (TF Serving)", saved["size_bytes"], SavedModelRunner(saved["path"]), None))
        for variant, info in tflite.items():
            rows.append((f"TFLite {variant}", info["size_bytes"], TFLiteRunner(info["path"], args.threads), None))
        for variant, info in tfjs.items():
            runner = TFJSNodeRunner(info["path"], num_threads=args.threads)
            rows.append((f"TF.js {variant} weights (Node, wasm)", info["size_bytes"], runner, None))
        lines = [
            "## Export sizes, latency and error (full-size generator)",
            "",
            f"Machine: {machine}.",
            f"Generator: scheme II, ngf 64, 9 blocks, 10 masks, random weights (seed 0), {model.count_params():,} "
            f"parameters. Input {SIZE}×{SIZE}, batch 1; latency = median of {args.repeats} runs after 1 warm-up; "
            f"TFLite (XNNPACK) and TF.js in Node 20 (wasm backend) with {args.threads} threads. Error = max / mean "
            f"abs difference of the [-1, 1] image from Keras fp32 on {source}. Exporting everything took "
            f"{export_seconds:.0f} s. Written by `benchmarks/export_sizes.py`.",
            "",
            "| artifact | size (MB) | latency (s) | max abs error | mean abs error |",
            "|---|---|---|---|---|",
        ]
        for name, size, runner, error in rows:
            latency = median_latency(runner, images[0], args.repeats)
            if error is None:
                max_error, mean_error = errors(runner, images, reference)
                error = f"{max_error:.2e} | {mean_error:.2e}"
            else:
                error = "reference | reference"
            size_text = "-" if size == "-" else f"{size / 1e6:.1f}"
            lines.append(f"| {name} | {size_text} | {latency:.2f} | {error} |")
            print(lines[-1], flush=True)
    update_section("export", "\n".join(lines), path=OUTPUT_FILE)
    print(f"wrote the export section of {OUTPUT_FILE}")


if __name__ == "__main__":
    main()
