"""The convolution floor of a TFLite float32 forward: what XNNPACK's kernels alone cost at 256².

Every ``Conv2D`` of the exported generator graph (scheme II, ngf 64, 9 blocks; sub-pixel transposed convs and
the 1×1-conv attention fusion: the deploy graph ``export.py`` writes) is read off the traced graph with its shapes. Each
distinct convolution is converted to a one-op float32 TFLite model (with its bias, as the exported graph fuses
it) and timed alone in LiteRT with XNNPACK and 2 threads, best of ``--repeats``; the sum over the forward is a
floor that no TFLite graph built from these kernels can beat. The ResNet blocks' 3×3 convolutions are also
timed in their Winograd F(4×4, 3×3) form (the ``float32_winograd`` variant's ops), which gives that variant's
floor. The same run then times our float32 TFLite models (``float32`` and ``float32_winograd``, any size and
``--tflite-fixed-size``, 2 threads) and, with ``--official-dir``, the official eager
forward, so that the floor, our models and the issue #15 target (1.15× the official forward) come from the
same minutes of a machine whose speed drifts. Without ``--official-dir`` the official time is read from the
inference_speed section::

    python benchmarks/tflite_floor.py --official-dir /tmp/official --official-python /work/torchenv/bin/python

Writes the "tflite_floor" section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import collections
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import (  # noqa: E402
    add_official_flags,
    check_official_dir,
    load_data,
    machine_description,
    official_forward_s,
    save_data,
    update_section,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
TARGET_SPEEDUP = 1.15
MODEL_ROWS = {
    "any": "TFLite float32, any size",
    "fixed": "TFLite float32, fixed size",
    "winograd_any": "TFLite float32_winograd, any size",
    "winograd_fixed": "TFLite float32_winograd, fixed size",
}


def forward_convolutions(size: int) -> list[dict]:
    """Every Conv2D of the exported generator's forward at ``size``², with its count."""
    import keras
    import tensorflow as tf

    from attentiongan_tf import build_generator
    from attentiongan_tf.export.deploy_graph import deploy_graph

    keras.utils.set_random_seed(0)
    model = build_generator(variant="scheme2", ngf=64, n_blocks=9)
    with deploy_graph(model, reflection="slices"):
        graph = tf.function(lambda x: model(x)).get_concrete_function(tf.TensorSpec([1, size, size, 3])).graph
    counts: collections.Counter = collections.Counter()
    for op in graph.get_operations():
        if op.type == "Conv2D":
            shapes = (tuple(op.inputs[0].shape.as_list()), tuple(op.inputs[1].shape.as_list()))
            counts[(shapes, tuple(op.get_attr("strides")), op.get_attr("padding").decode())] += 1
    return [{"input": k[0][0], "filter": k[0][1], "strides": k[1], "padding": k[2], "count": n}
            for k, n in counts.items()]  # fmt: skip


def _macs(conv: dict, output: tuple[int, ...]) -> int:
    kh, kw, cin, _ = conv["filter"]
    return int(math.prod(output)) * kh * kw * cin


def is_winograd_candidate(conv: dict) -> bool:
    """A 3×3 stride-1 "VALID" convolution: the ResNet blocks' convolutions, which ``float32_winograd`` replaces."""
    return tuple(conv["filter"][:2]) == (3, 3) and tuple(conv["strides"]) == (1, 1, 1, 1) and conv["padding"] == "VALID"


def time_convolution(
    conv: dict, repeats: int, scratch: Path, winograd: bool = False
) -> tuple[float, tuple[int, ...]]:
    """Best seconds of one float32 TFLite convolution (with bias) of these shapes in LiteRT, and its output shape:
    a CONV_2D, or with ``winograd`` the ops of Winograd F(4×4, 3×3) with constant weights."""
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    from attentiongan_tf.nn.winograd_deploy import winograd_conv3x3_constant

    rng = np.random.default_rng(0)
    weights = rng.normal(0, 0.02, conv["filter"]).astype(np.float32)
    kernel = tf.constant(weights)
    bias = tf.constant(rng.normal(0, 0.02, conv["filter"][-1]).astype(np.float32))
    if winograd:
        fn = tf.function(lambda x: winograd_conv3x3_constant(x, weights) + bias)
    else:
        fn = tf.function(lambda x: tf.nn.conv2d(x, kernel, list(conv["strides"]), conv["padding"]) + bias)
    concrete = fn.get_concrete_function(tf.TensorSpec(conv["input"]))
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], fn)
    path = scratch / "conv.tflite"
    path.write_bytes(converter.convert())
    interpreter = Interpreter(model_path=str(path), num_threads=2)
    interpreter.allocate_tensors()
    index = interpreter.get_input_details()[0]["index"]
    interpreter.set_tensor(index, rng.uniform(-1, 1, conv["input"]).astype(np.float32))
    interpreter.invoke()
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        interpreter.invoke()
        best = min(best, time.perf_counter() - start)
    return best, tuple(int(d) for d in interpreter.get_output_details()[0]["shape"])


def time_models(size: int, repeats: int, scratch: Path) -> dict[str, dict[str, float]]:
    """Best and median seconds of our float32 and float32_winograd TFLite models (any size, fixed size) on one
    uint8 image."""
    import keras

    from attentiongan_tf import build_generator
    from attentiongan_tf.export.tflite import delegated_parts, export_tflite_model
    from attentiongan_tf.inference import TFLiteRunner

    keras.utils.set_random_seed(0)
    model = build_generator(variant="scheme2", ngf=64, n_blocks=9)
    image = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
    variants = ["float32", "float32_winograd"]
    any_size = export_tflite_model(model, scratch / "any", variants)
    fixed = export_tflite_model(model, scratch / "fixed", variants, fixed_size=size)
    paths = {
        "any": any_size["float32"]["path"],
        "fixed": fixed["float32"]["path"],
        "winograd_any": any_size["float32_winograd"]["path"],
        "winograd_fixed": fixed["float32_winograd"]["path"],
    }
    runners = {kind: TFLiteRunner(path, num_threads=2) for kind, path in paths.items()}
    times: dict[str, list[float]] = {kind: [] for kind in runners}
    for runner in runners.values():
        runner.run([image])
    for _ in range(repeats):  # interleaved, so that all see the same drift
        for kind, runner in runners.items():
            start = time.perf_counter()
            runner.run([image])
            times[kind].append(time.perf_counter() - start)
    return {
        kind: {
            "best_s": min(t),
            "median_s": sorted(t)[len(t) // 2],
            "xnnpack_partitions": delegated_parts(runners[kind].interpreter),
        }
        for kind, t in times.items()
    }


def measure(size: int, repeats: int) -> dict:
    rows = []
    with tempfile.TemporaryDirectory(prefix="tflite_floor_") as scratch:
        for conv in forward_convolutions(size):
            seconds, output = time_convolution(conv, repeats, Path(scratch))
            rows.append({**conv, "seconds": seconds, "gmac": _macs(conv, output) / 1e9})
            if is_winograd_candidate(conv):
                rows[-1]["winograd_seconds"] = time_convolution(conv, repeats, Path(scratch), winograd=True)[0]
            print(rows[-1], flush=True)
        models = time_models(size, repeats, Path(scratch))
    return {"size": size, "convolutions": rows, "models": models}


def render(data: dict, official: float | None, official_source: str, machine: str) -> str:
    rows = sorted(data["convolutions"], key=lambda r: -r["count"] * r["seconds"])
    floor = sum(r["count"] * r["seconds"] for r in rows)
    winograd_floor = sum(r["count"] * r.get("winograd_seconds", r["seconds"]) for r in rows)
    gmac = sum(r["count"] * r["gmac"] for r in rows)
    target = official / TARGET_SPEEDUP if official else None
    lines = [
        f"## The convolution floor of a TFLite float32 forward at {data['size']}² (XNNPACK, 2 threads)",
        "",
        f"Machine: {machine}. Written by `benchmarks/tflite_floor.py`. Each distinct convolution of the exported "
        "graph timed alone as a one-op TFLite model (bias fused), best of the repeats, times its count; the "
        "ResNet blocks' 3×3 convolutions also in their Winograd F(4×4, 3×3) form (the `float32_winograd` "
        "variant's ops: input-transform conv, batch matmul, output transform, depth-to-space). "
        f"Total: {gmac:.1f} GMAC; direct floor **{floor:.3f} s** ({gmac / floor:.0f} GMAC/s), Winograd floor "
        f"**{winograd_floor:.3f} s**.",
        "",
        "| input | kernel | stride | count | GMAC each | s each (alone) | s in the forward | GMAC/s "
        "| Winograd: s each | Winograd: s in the forward |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        kh, kw, cin, cout = r["filter"]
        winograd = r.get("winograd_seconds")
        winograd_cells = f"{winograd:.4f} | {r['count'] * winograd:.3f}" if winograd is not None else " | "
        lines.append(
            f"| {r['input'][1]}×{r['input'][2]}×{r['input'][3]} | {kh}×{kw}, {cin}→{cout} | {r['strides'][1]} "
            f"| {r['count']} | {r['gmac']:.2f} | {r['seconds']:.4f} | {r['count'] * r['seconds']:.3f} "
            f"| {r['gmac'] / r['seconds']:.0f} | {winograd_cells} |"
        )
    lines += [
        "",
        "Our float32 models in the same run (uint8 in and out, 2 threads; best and median of the repeats, the "
        f"models interleaved). Official eager forward (median): {official_source}. Target (issue #15): "
        f"the official median / {TARGET_SPEEDUP}. XNNPACK partitions: the parts of the graph XNNPACK runs (1: all "
        "of it); between them, ops it cannot take (at any size: the padding and cropping, with sizes computed "
        "at run time, and the reshapes that interleave the sub-pixel convolutions' phases) run in LiteRT's own "
        "kernels. The any-size `float32_winograd` model takes one image, padded to a multiple of 16, in ops whose "
        "shapes all follow from the input's (`nn/winograd_deploy.py`).",
        "",
        "| | best (s) | median (s) | best vs its floor | vs official (median) | target | XNNPACK partitions |",
        "|---|---|---|---|---|---|---|",
        f"| direct convolution floor | {floor:.3f} | | 1.00x | | {_floor_verdict(floor, target)} | |",
        f"| Winograd convolution floor | {winograd_floor:.3f} | | 1.00x | "
        f"| {_floor_verdict(winograd_floor, target)} | |",
    ]
    for kind, name in MODEL_ROWS.items():
        best, median = data["models"][kind]["best_s"], data["models"][kind]["median_s"]
        own_floor = winograd_floor if kind.startswith("winograd") else floor
        ratio = f"{official / median:.2f}x" if official else "n/a"
        verdict = "" if target is None else "met" if median <= target else "**missed**"
        lines.append(
            f"| {name} (XNNPACK, 2 threads) | {best:.3f} | {median:.3f} | {best / own_floor:.2f}x | {ratio} "
            f"| {verdict} | {data['models'][kind].get('xnnpack_partitions', '')} |"
        )
    if target is not None:
        lines.append(f"| target: official eager {official:.3f} s / {TARGET_SPEEDUP} | {target:.3f} | | | | | |")
    return "\n".join(lines)


def _floor_verdict(floor: float, target: float | None) -> str:
    if target is None:
        return ""
    return "reachable: floor under target" if floor <= target else "**unreachable with these kernels**"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=15)
    add_official_flags(parser, "to time its G forward")
    args = parser.parse_args()
    check_official_dir(parser, args.official_dir)
    machine = machine_description()
    data = measure(args.size, args.repeats)
    if args.official_dir is not None:
        official = official_forward_s(args.official_dir, args.size, args.official_python, args.repeats)
        source = "timed in this run, after our models"
    else:
        official = (load_data("inference_speed") or {}).get("official_forward_s")
        source = "read from the inference_speed section (another run)" if official else "not measured"
    update_section("tflite_floor", render(data, official, source, machine))
    save_data("tflite_floor", {"machine": machine, "official_forward_s": official, **data})


if __name__ == "__main__":
    main()
