"""Inference latency of one 256² image: Keras, SavedModel, TFLite and TF.js (any-size and fixed-size), Chromium.

A scheme II generator (ngf 64, 9 blocks, seeded random weights: latency does not depend on the values) is
exported with the project's own exporters into a temporary folder, then each runtime translates the same
uint8 image; the median of ``--repeats`` runs after one warm-up is reported. TFLite uses LiteRT (XNNPACK)
with 2 threads, for the any-size models and for ``--tflite-fixed-size`` ones (``float32_winograd``: the ResNet
blocks by Winograd F(4×4, 3×3); ``float16_winograd``, fixed size only: the same with float16 weights); TF.js
runs the wasm backend in Node (``npm ci`` first; any-size and ``--tfjs-fixed-size`` models) and the wasm and
WebGL backends in headless Chromium (playwright-core; without a GPU WebGL runs on SwiftShader). Node runs 1 wasm
thread (TF.js's own choice there) and 2. ``tfjs_profile.mjs`` then splits both Node models' time by op at each
thread count and measures the wasm convolution peak, which gives the TF.js floor.
With ``--official-dir`` the official PyTorch generator's eager forward is timed too (2 threads), with
``--official-python`` (a Python that has torch)::

    python benchmarks/inference_speed.py --official-dir /tmp/official --official-python /work/torchenv/bin/python

Writes the "inference_speed" section of RESULTS.md: each row with its speed-up over the official forward and
the issue #15 targets marked met / missed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import (  # noqa: E402
    add_official_flags,
    check_official_dir,
    machine_description,
    official_forward_s,
    save_data,
    update_section,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
BROWSER_SCRIPT = Path(__file__).resolve().parent / "browser_latency.mjs"
PROFILE_SCRIPT = Path(__file__).resolve().parent / "tfjs_profile.mjs"
TARGET_SIZE = 256
SKIPPABLE = (
    "tflite_float16", "tflite_dynamic_range", "tflite_float32_winograd", "tflite_float16_winograd", "tflite_fixed",
    "tfjs", "chromium",
)  # fmt: skip


@dataclass(frozen=True)
class Target:
    """An issue #15 target: at least ``speedup`` × the official forward, or at most ``seconds``."""

    text: str
    speedup: float | None = None
    seconds: float | None = None

    def verdict(self, latency: float, official: float | None) -> str:
        if self.seconds is not None:
            return f"{'met' if latency <= self.seconds else 'missed'} ({self.text})"
        if official is None or self.speedup is None:
            return f"not judged without the official forward ({self.text})"
        return f"{'met' if official / latency >= self.speedup else 'missed'} ({self.text})"


FLOAT32_TARGET = Target(">= 1.15x official", speedup=1.15)
DYNAMIC_RANGE_TARGET = Target(">= 2x official", speedup=2.0)
TARGETS = {
    "TFLite float32 (LiteRT, XNNPACK, 2 threads)": FLOAT32_TARGET,
    "TFLite float32, fixed size (LiteRT, XNNPACK, 2 threads)": FLOAT32_TARGET,
    "TFLite float32_winograd (LiteRT, XNNPACK, 2 threads)": FLOAT32_TARGET,
    "TFLite float32_winograd, fixed size (LiteRT, XNNPACK, 2 threads)": FLOAT32_TARGET,
    "TFLite dynamic_range (LiteRT, XNNPACK, 2 threads)": DYNAMIC_RANGE_TARGET,
    "TFLite dynamic_range, fixed size (LiteRT, XNNPACK, 2 threads)": DYNAMIC_RANGE_TARGET,
}
TFJS_ANY, TFJS_FIXED = "any size", "fixed size"
TFJS_THREADS = (1, 2)  # wasm threads in Node: TF.js's own default (1), and one per core of the 2-core machine


def threads_text(threads: int) -> str:
    return f"{threads} thread{'s' if threads > 1 else ''}"


def tfjs_node_row(size_kind: str, threads: int) -> str:
    fixed = ", fixed size" if size_kind == TFJS_FIXED else ""
    return f"TF.js wasm in Node{fixed}, {threads_text(threads)} (float32 weights)"


TARGETS.update({tfjs_node_row(kind, threads): Target("<= 4 s", seconds=4.0)
                for kind in (TFJS_ANY, TFJS_FIXED) for threads in TFJS_THREADS})  # fmt: skip


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


def chromium_latency(folder: str, size: int, repeats: int) -> dict[str, float | str]:
    """TF.js wasm and WebGL in headless Chromium, side by side, on the web/ demo server."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None or not (REPO_ROOT / "node_modules" / "playwright-core").is_dir():
        return {"TF.js in headless Chromium": "not run: needs chromium and `npm ci` (playwright-core)"}
    sys.path.insert(0, str(REPO_ROOT / "tools"))
    from serve_web import start_server

    server = start_server(folder)
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        command = ["node", str(BROWSER_SCRIPT), url, str(size), str(repeats), chromium, "wasm", "wasm:2", "webgl"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800, cwd=REPO_ROOT)
    finally:
        server.shutdown()
        server.server_close()
    if done.returncode != 0:
        return {"TF.js in headless Chromium": f"not run: {(done.stderr.strip().splitlines() or ['failed'])[-1]}"}
    rows: dict[str, float | str] = {}
    for spec, result in json.loads(done.stdout.strip().splitlines()[-1]).items():
        backend, _, threads = spec.partition(":")
        asked = f", ?threads={threads}" if threads else ""
        name = f"TF.js {backend} in headless Chromium{asked} (float32 weights)"
        if "error" in result:
            rows[name] = f"not run: {result['error']}"
        else:
            renderer = f", {result['renderer']}" if backend == "webgl" and result.get("renderer") else ""
            ran = f", {threads_text(result['threads'])}" if result.get("threads") else ""
            rows[f"TF.js {backend} in headless Chromium{ran} (float32 weights{renderer})"] = result["median_s"]
    return rows


def tfjs_profile(folders: dict[str, str], size: int, repeats: int, threads: int) -> dict:
    """Per-op kernel times of each TF.js model in Node and the wasm convolution peak (``tfjs_profile.mjs``)."""
    node_modules = str(REPO_ROOT / "node_modules")
    command = ["node", str(PROFILE_SCRIPT), node_modules, str(size), str(repeats), str(threads), *folders.values()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, cwd=REPO_ROOT)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    data = json.loads(done.stdout.strip().splitlines()[-1])
    by_folder = {folder: name for name, folder in folders.items()}
    return {"peak": data["peak"], "models": {by_folder[k]: v for k, v in data["models"].items()}}


def measure(size: int, repeats: int, skip: set[str]) -> tuple[dict[str, float | str], dict]:
    import keras

    from attentiongan_tf import build_generator
    from attentiongan_tf.export.savedmodel import export_savedmodel
    from attentiongan_tf.export.tflite import export_tflite_model
    from attentiongan_tf.inference import KerasRunner, SavedModelRunner, TFJSNodeRunner, TFLiteRunner

    keras.utils.set_random_seed(0)
    model = build_generator(variant="scheme2", ngf=64, n_blocks=9)
    image = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
    results: dict[str, float | str] = {}
    profile: dict = {}
    with tempfile.TemporaryDirectory(prefix="inference_speed_") as tmp:
        results["Keras (eager call of a tf.function)"] = _median_latency(KerasRunner(model).run, image, repeats)
        savedmodel = export_savedmodel(model, tmp)["path"]
        results["SavedModel (translate_float)"] = _median_latency(SavedModelRunner(savedmodel).run, image, repeats)
        variants = ("float32", "float16", "dynamic_range", "float32_winograd")
        variants = [v for v in variants if f"tflite_{v}" not in skip]
        for variant, info in export_tflite_model(model, tmp, variants).items():
            runner = TFLiteRunner(info["path"], num_threads=2)
            results[f"TFLite {variant} (LiteRT, XNNPACK, 2 threads)"] = _median_latency(runner.run, image, repeats)
        if "tflite_fixed" not in skip:
            fixed_variants = ("float32", "dynamic_range", "float32_winograd", "float16_winograd")
            variants = [v for v in fixed_variants if f"tflite_{v}" not in skip]
            fixed = export_tflite_model(model, tmp, variants, fixed_size=size)
            for variant, info in fixed.items():
                runner = TFLiteRunner(info["path"], num_threads=2)
                name = f"TFLite {variant}, fixed size (LiteRT, XNNPACK, 2 threads)"
                results[name] = _median_latency(runner.run, image, repeats)
        if not {"tfjs", "chromium"} <= skip:
            try:
                from attentiongan_tf.export.tfjs import export_tfjs_model

                folder = export_tfjs_model(model, tmp, ["float32"])["float32"]["path"]
                if "tfjs" not in skip:
                    fixed = export_tfjs_model(model, tmp, ["float32"], fixed_size=size)["float32"]["path"]
                    folders = {TFJS_ANY: folder, TFJS_FIXED: fixed}
                    for threads in TFJS_THREADS:
                        for kind, path in folders.items():
                            runner = TFJSNodeRunner(path, num_threads=threads)
                            results[tfjs_node_row(kind, threads)] = _tfjs_latency(runner, image, repeats)
                        profile[threads] = tfjs_profile(folders, size, repeats, threads)
                if "chromium" not in skip:
                    results.update(chromium_latency(folder, size, repeats))
            except (RuntimeError, FileNotFoundError, subprocess.TimeoutExpired) as error:
                results["TF.js (float32 weights)"] = f"not run: {str(error).splitlines()[0]}"
    return results, profile


def profile_report(profiles: dict) -> list[str]:
    """Where the TF.js time goes at each thread count, and the floor that the measured wasm convolution peak sets
    (empty without a profile)."""
    if not profiles:
        return []
    lines = [
        "",
        "Where the TF.js wasm time goes in Node (`benchmarks/tfjs_profile.mjs`: `tf.profile` kernel times, the "
        "quietest of the runs). Peak: a 3×3 256→256 conv at 64² alone, and a 1024³ matmul, at the same thread "
        "count. Convolution floor = the model's conv MACs at that peak. More than one thread runs the "
        "multi-threaded wasm build, which TF.js does not use in Node by itself (`attentiongan_tf/inference/"
        "tfjs_wasm.mjs`).",
        "",
        "| TF.js model | threads | peak conv / matmul (GMAC/s) | kernel total (s) | Conv2D (s) | conv GMAC "
        "| conv rate (GMAC/s) | conv floor (s) | all other ops (s) | largest other ops (ms) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for threads, profile in profiles.items():
        if "error" in profile:
            lines.append(f"| (profile not run: {profile['error']}) | {threads} | | | | | | | | |")
            continue
        peak = profile["peak"]
        rate = peak["conv_gmacs"]
        for name, model in profile["models"].items():
            ops = model["ops"]
            conv = sum(ops.get(op, {}).get("ms", 0.0) for op in ("Conv2D", "FusedConv2D")) / 1000
            gmac = model["conv_macs"] / 1e9
            others = sorted(((v["ms"], k) for k, v in ops.items() if k not in ("Conv2D", "FusedConv2D")), reverse=True)
            largest = ", ".join(f"{k} {ms:.0f}" for ms, k in others[:4])
            lines.append(
                f"| {name} | {peak['threads']} | {rate:.1f} / {peak['matmul_gmacs']:.1f} "
                f"| {model['total_ms'] / 1000:.3f} | {conv:.3f} | {gmac:.1f} | {gmac / conv:.1f} "
                f"| {gmac / rate:.3f} | {model['total_ms'] / 1000 - conv:.3f} | {largest} |"
            )
    return lines


def report(size: int, repeats: int, machine: str, official: float | None, results: dict, profile: dict) -> str:
    """The markdown section: one row per runtime with its speed-up over the official forward and its target."""
    lines = [
        f"## Inference latency, one {size}² image, scheme II ngf 64 / 9 blocks",
        "",
        f"Machine: {machine}. Written by `benchmarks/inference_speed.py`; median of {repeats} runs after "
        "a warm-up; includes uint8 → float → pad → generator → crop → uint8 (TF.js in Chromium: float input "
        "→ outputs read back). Targets (issue #15) are for 256².",
        "",
        "| runtime | latency (s) | speed-up vs official PyTorch eager | target |",
        "|---|---|---|---|",
    ]
    if official is not None:
        lines.append(f"| official PyTorch eager forward (torch, 2 threads) | {official:.3f} | 1.00x | |")
    for name, value in results.items():
        if isinstance(value, str):
            lines.append(f"| {name} | {value} | | |")
            continue
        ratio = f"{official / value:.2f}x" if official is not None else "n/a"
        target = TARGETS.get(name)
        verdict = "" if target is None else target.verdict(value, official) if size == TARGET_SIZE else "(at 256² only)"
        lines.append(f"| {name} | {value:.3f} | {ratio} | {verdict} |")
    return "\n".join(lines + profile_report(profile))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="image side (a multiple of 4, >= 8; targets at 256)")
    parser.add_argument("--repeats", type=int, default=5)
    add_official_flags(parser, "to time its G forward")
    parser.add_argument("--skip", nargs="*", default=[], choices=SKIPPABLE, help="runtimes not to measure")
    args = parser.parse_args()
    if args.size < 8 or args.size % 4:
        parser.error(f"--size must be a multiple of 4 and >= 8, got {args.size}")
    check_official_dir(parser, args.official_dir)
    machine = machine_description()
    official = None
    if args.official_dir is not None:
        official = official_forward_s(args.official_dir, args.size, args.official_python, args.repeats)
    results, profile = measure(args.size, args.repeats, set(args.skip))
    for name, value in results.items():
        print(name, value)
    update_section("inference_speed", report(args.size, args.repeats, machine, official, results, profile))
    save_data(
        "inference_speed",
        {"machine": machine, "official_forward_s": official, "latency_s": results, "tfjs_profile": profile},
    )


if __name__ == "__main__":
    main()
