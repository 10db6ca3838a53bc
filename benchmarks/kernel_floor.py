"""The convolution-kernel floor of one training iteration: what oneDNN's kernels alone cost, per precision.

Every convolution of one full iteration (both generator passes with their backward passes, both
discriminator steps) is read off the traced graphs of the trainer: forward ``Conv2D``, ``Conv2DBackpropInput``
(input gradients, and the transposed convolutions) and ``Conv2DBackpropFilter``, with their shapes, strides and
dtype. Each distinct kernel is then timed alone on random tensors, once with 2 intra-op threads and once with 1
(halved: two single-threaded kernels side by side on the two cores), and the faster of the two is charged for
every occurrence. The sum is a floor for any graph built from these kernels: no rewrite of the rest of the step
(fusion, layout, scheduling) can bring the iteration below it. It is compared with the targets of issue #15
(float32 ≥ 1.2×, bfloat16 ≥ 2.5× the official float32 speed, 3× on CPUs with AMX)::

    python benchmarks/kernel_floor.py   # after train_speed.py, whose times it reads from results.json

Writes the "kernel_floor_<bfloat16 instructions>" section of RESULTS.md (``kernel_floor_amx_bf16``,
``kernel_floor_avx512_bf16`` or ``kernel_floor_no_bf16``): one per kind of CPU, as their targets differ.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from iteration_kernels import iteration_kernels, kernel_macs, time_kernels  # noqa: E402
from results import (  # noqa: E402
    bfloat16_flags,
    cpu_section,
    load_data,
    machine_description,
    run_json,
    save_data,
    speed_target,
    update_section,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
PRECISIONS = ("float32", "bfloat16")
#: The name under which each precision's Winograd times are read (train_speed's modes, their thread variants
#: folded in).
WINOGRAD_MODE = {"float32": "winograd", "bfloat16": "bfloat16_winograd"}


def _time_key(train_speed_mode: str) -> str:
    """``float32``, ``winograd``, ``bfloat16`` or ``bfloat16_winograd``: a train_speed mode without its thread
    setting (``_1op``, ``_1thread``)."""
    return train_speed_mode.removesuffix("_1op").removesuffix("_1thread")


def worker(size: int, batch: int, mode: str, threads: int, repeats: int) -> dict:
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    kernels = iteration_kernels(size, batch, mode)
    result = {"kernels": kernels, "seconds": time_kernels(kernels, repeats)}
    if threads == 2:
        result["matmul_peak_gmacs"] = matmul_peak_gmacs(mode)
    return result


def matmul_peak_gmacs(mode: str, n: int = 4096, repeats: int = 5) -> float:
    """The machine's measured matmul peak in ``mode``'s dtype (TF ``matmul`` of two n×n matrices, best run)."""
    import tensorflow as tf

    dtype = tf.bfloat16 if mode == "bfloat16" else tf.float32
    a, b = (tf.cast(tf.random.normal([n, n]), dtype) for _ in range(2))
    matmul = tf.function(lambda: tf.matmul(a, b))
    matmul().numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        matmul().numpy()
        times.append(time.perf_counter() - start)
    return n**3 / min(times) / 1e9


def measure(size: int, batch: int, mode: str, repeats: int) -> dict:
    runs = {}
    for threads in (2, 1):
        command = [sys.executable, __file__, "--worker", str(size), str(batch), mode, str(threads), str(repeats)]
        runs[threads] = run_json(command, cwd=REPO_ROOT)
    kernels = runs[2]["kernels"]
    floor = 0.0
    by_op = collections.Counter()
    macs = 0
    for k, two, one in zip(kernels, runs[2]["seconds"], runs[1]["seconds"], strict=True):
        charged = k["count"] * min(two, one / 2)
        floor += charged
        by_op[k["op"]] += charged
        macs += k["count"] * kernel_macs(k)
    return {"size": size, "batch": batch, "mode": mode, "floor_s": floor, "by_op_s": dict(by_op), "gmac": macs / 1e9,
            "distinct_kernels": len(kernels), "matmul_peak_gmacs": runs[2]["matmul_peak_gmacs"]}  # fmt: skip


def render(rows: list[dict], measured: dict, machine: str, flags: list[str]) -> str:
    amx = "amx_bf16" in flags
    peaks = {r["mode"]: r["matmul_peak_gmacs"] for r in rows}
    lines = [
        f"## The convolution-kernel floor of a training iteration, CPU with {' and '.join(flags) or 'no bfloat16'} "
        "(why a target is or is not reachable)",
        "",
        f"Machine: {machine}. Written by `benchmarks/kernel_floor.py`. Each convolution kernel of one "
        "iteration (read off the trainer's graphs) timed alone, the faster of 2 threads or 1 thread halved, "
        "summed over the iteration. No graph built from oneDNN's direct kernels can run an iteration faster than "
        "this floor. Target: the official float32 time of the train_speed section divided by the issue #15 factor "
        f"(float32 {speed_target('float32', amx)}, bfloat16 {speed_target('bfloat16', amx)} on this CPU); ours: "
        "the best train_speed mode of that precision with direct convolutions; winograd: its best mode with "
        "`--conv-algorithm winograd` (F(4×4, 3×3) in float32, F(2×2, 3×3) in bfloat16), which does fewer "
        "multiplications in the ResNet blocks and so is not bound by this floor. Measured matmul "
        "peak (TF, 4096²): " + ", ".join(f"{mode} {peak:.0f} GMAC/s" for mode, peak in peaks.items()) + ".",
        "",
        "| size | batch | precision | GMAC / iteration | forward (s) | input grad (s) | filter grad (s) "
        "| kernel floor (s) | floor's rate (GMAC/s) | ours (s) | ours / floor | winograd (s) | official float32 (s) "
        "| target (s) | reachable with these kernels? |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        key = f"{r['size']}x{r['batch']}"
        official, ours = measured.get(f"{key}/official"), measured.get(f"{key}/{r['mode']}")
        winograd_s = measured.get(f"{key}/{WINOGRAD_MODE[r['mode']]}")
        target = official / speed_target(r["mode"], amx) if official else None
        verdict = "n/a" if target is None else _verdict(r["floor_s"], winograd_s, target)
        ops = r["by_op_s"]
        lines.append(
            f"| {r['size']}² | {r['batch']} | {r['mode']} | {r['gmac']:.0f} | {ops.get('Conv2D', 0):.2f} "
            f"| {ops.get('Conv2DBackpropInput', 0):.2f} | {ops.get('Conv2DBackpropFilter', 0):.2f} "
            f"| {r['floor_s']:.2f} | {r['gmac'] / r['floor_s']:.0f} | {_cell(ours)} "
            f"| {_cell(ours / r['floor_s'] if ours else None)} | {_cell(winograd_s)} "
            f"| {_cell(official)} | {_cell(target)} | {verdict} |"
        )
    return "\n".join(lines)


def _verdict(floor_s: float, winograd_s: float | None, target_s: float) -> str:
    if floor_s <= target_s:
        return "yes"
    if winograd_s is not None and winograd_s <= target_s:
        return "**no** with direct kernels: floor above target; met with Winograd"
    return "**no**: floor above target"


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=["128x1", "128x4", "256x1", "256x4"],
                        help="SIZExBATCH pairs")  # fmt: skip
    parser.add_argument("--modes", nargs="+", choices=PRECISIONS, default=list(PRECISIONS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--times-json", type=Path, help="times as {'SIZExBATCH/official' or '/<precision>': s}; default: results.json"
    )
    parser.add_argument(
        "--render", action="store_true", help="rewrite the section from the saved kernel times and train_speed's times"
    )
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        size, batch, mode, threads, repeats = args.worker
        print(json.dumps(worker(int(size), int(batch), mode, int(threads), int(repeats))))
        return
    flags = bfloat16_flags()
    # One section per kind of bfloat16 hardware: the targets and the floors differ between them.
    section = "kernel_floor_" + (flags[0] if flags else "no_bf16")
    measured = _measured_times(args.times_json)
    if args.render:
        saved = load_data(section)
        if saved is None:
            parser.error(f"--render: no saved {section} run in results.json")
        update_section(section, render(saved["rows"], measured, saved["machine"], flags))
        save_data(section, {**saved, "measured": measured})
        return
    rows = []
    for config in args.configs:
        size, batch = (int(v) for v in config.split("x"))
        for mode in args.modes:
            rows.append(measure(size, batch, mode, args.repeats))
            print(json.dumps(rows[-1]))
    machine = machine_description()
    amx = "amx_bf16" in flags
    update_section(section, render(rows, measured, machine, flags))
    save_data(section, {"machine": machine, "rows": rows, "measured": measured, "amx": amx})


def _measured_times(path: Path | None) -> dict[str, float]:
    """``{"SIZExBATCH/official": s, "SIZExBATCH/<precision>": our best s with direct convolutions,
    "SIZExBATCH/<winograd mode>": with Winograd}`` from ``path`` or results.json (:data:`WINOGRAD_MODE`)."""
    if path is not None:
        return json.loads(path.read_text())
    rows = (load_data(cpu_section("train_speed")) or {}).get("rows", [])
    measured: dict[str, float] = {}
    for r in rows:
        key = f"{r['size']}x{r.get('batch_size', 1)}"
        if r.get("official"):
            measured[f"{key}/official"] = r["official"]["iteration_s"]
        kind = _time_key(r["mode"])
        measured[f"{key}/{kind}"] = min(r["iteration_s"], measured.get(f"{key}/{kind}", float("inf")))
    return measured


if __name__ == "__main__":
    main()
