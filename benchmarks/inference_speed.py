"""Inference latency of one 256² image: Keras, SavedModel, TFLite (fp32 / fp16 / dynamic range), TF.js wasm.

A scheme II generator (ngf 64, 9 blocks, seeded random weights: latency does not depend on the values) is
exported with the project's own exporters into a temporary folder, then each runtime translates the same
uint8 image; the median of ``--repeats`` runs after one warm-up is reported. TFLite uses LiteRT (XNNPACK)
with 2 threads; TF.js runs the wasm backend in Node (``npm ci`` first). With ``--official-dir`` the official
PyTorch generator's eager forward is timed too (2 threads)::

    python benchmarks/inference_speed.py --official-dir /tmp/official

Writes the "inference_speed" section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine_description, official_worker_command, run_json, save_data, update_section  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))


def _median_latency(run, image: np.ndarray, repeats: int) -> float:
    run([image])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run([image])
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def _tfjs_latency(runner, image: np.ndarray, repeats: int) -> float:
    # One Node process per call: time inside it (after the first, warm-up, item) to exclude start-up.
    runner.run([image] * (repeats + 1))
    timings = sorted(runner.last_timings_ms[1:])
    return timings[len(timings) // 2] / 1000


def measure(size: int, repeats: int, skip: set[str]) -> dict[str, float | str]:
    import keras

    from attentiongan_tf import build_generator
    from attentiongan_tf.export.savedmodel import export_savedmodel
    from attentiongan_tf.export.tflite import export_tflite
    from attentiongan_tf.inference import KerasRunner, SavedModelRunner, TFJSNodeRunner, TFLiteRunner

    keras.utils.set_random_seed(0)
    model = build_generator(variant="scheme2", ngf=64, n_blocks=9)
    image = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
    results: dict[str, float | str] = {}
    with tempfile.TemporaryDirectory(prefix="inference_speed_") as tmp:
        results["Keras (eager call of a tf.function)"] = _median_latency(KerasRunner(model).run, image, repeats)
        savedmodel = export_savedmodel(model, tmp)["path"]
        results["SavedModel (translate_float)"] = _median_latency(SavedModelRunner(savedmodel).run, image, repeats)
        variants = [v for v in ("float32", "float16", "dynamic_range") if f"tflite_{v}" not in skip]
        for variant, info in export_tflite(savedmodel, tmp, variants).items():
            runner = TFLiteRunner(info["path"], num_threads=2)
            results[f"TFLite {variant} (LiteRT, XNNPACK, 2 threads)"] = _median_latency(runner.run, image, repeats)
        if "tfjs" not in skip:
            try:
                from attentiongan_tf.export.tfjs import export_tfjs

                folder = export_tfjs(savedmodel, tmp, ["float32"])["float32"]["path"]
                results["TF.js wasm in Node (float32 weights)"] = _tfjs_latency(TFJSNodeRunner(folder), image, repeats)
            except (RuntimeError, FileNotFoundError) as error:
                results["TF.js wasm in Node (float32 weights)"] = f"not run: {str(error).splitlines()[0]}"
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--official-dir", type=Path, help="official AttentionGAN code, to time its G forward")
    parser.add_argument("--skip", nargs="*", default=[], help="any of tflite_float16 tflite_dynamic_range tfjs")
    args = parser.parse_args()
    if args.official_dir is not None and not (args.official_dir / "models" / "attention_gan_model.py").is_file():
        parser.error(f"--official-dir {args.official_dir}: models/attention_gan_model.py not found")
    machine = machine_description()
    official = None
    if args.official_dir is not None:
        command = official_worker_command(
            args.official_dir, args.size, iterations=1, forward_repeats=args.repeats, threads=2
        )
        official = run_json(command)["forward_s"]
    results = measure(args.size, args.repeats, set(args.skip))
    lines = [
        f"## Inference latency, one {args.size}² image, scheme II ngf 64 / 9 blocks",
        "",
        f"Machine: {machine}. Written by `benchmarks/inference_speed.py`; median of {args.repeats} runs after "
        "a warm-up; includes uint8 → float → pad → generator → crop → uint8.",
        "",
        "| runtime | latency (s) | speed-up vs official PyTorch eager |",
        "|---|---|---|",
    ]
    if official is not None:
        lines.append(f"| official PyTorch eager forward (torch, 2 threads) | {official:.3f} | 1.00x |")
    for name, value in results.items():
        if isinstance(value, str):
            lines.append(f"| {name} | {value} | |")
        else:
            ratio = f"{official / value:.2f}x" if official is not None else "n/a"
            lines.append(f"| {name} | {value:.3f} | {ratio} |")
        print(name, value)
    update_section("inference_speed", "\n".join(lines))
    save_data("inference_speed", {"machine": machine, "official_forward_s": official, "latency_s": results})


if __name__ == "__main__":
    main()
