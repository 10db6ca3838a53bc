"""Where the peak RSS of a training process goes, ours against the official code (issue #15: RSS ≤ official).

Our trainer (``official`` preset, float32, direct or Winograd convolutions) runs in a fresh process that reports
its resident memory after each stage: importing TensorFlow (as the CLIs do: without the optional modules no CLI
uses, JAX, pandas and IPython), building the trainer (both generators, both discriminators, Adam), the libraries'
start-up pages given back to the kernel (as the training loop does: :mod:`attentiongan_tf.training.library_pages`),
the first iteration (which traces and optimises the step graphs; the pages given back again after it), and
``--iterations`` more. The official code runs in a fresh process twice: once with no training iteration (torch
imported, model built, two generator forwards) and once with the same iterations. Sizes are small on purpose: the
fixed cost of the runtime, not activations, is what decides the comparison at 128² batch 1::

    python benchmarks/memory_breakdown.py --official-dir /tmp/official --official-python /path/to/torch/python

Writes the "memory_breakdown" section of RESULTS.md on a CPU with AMX, "memory_breakdown_<bfloat16 instructions>"
on others.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import (  # noqa: E402
    add_official_flags,
    check_official_dir,
    cpu_section,
    load_data,
    machine_description,
    official_worker_command,
    peak_rss_gib,
    run_json,
    save_data,
    update_section,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def _memory() -> dict[str, float]:
    """This process's resident memory now, the part of it that is mapped files (mostly the runtime's shared
    libraries, which the kernel can drop and reread), and its peak, GiB; once TensorFlow is imported, also its
    allocator's tensors (in use now, and the most ever in use) and what glibc's malloc holds (heap arenas and
    mmapped blocks) with the part of it that is free: the heap that TensorFlow's tensors do not explain."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    kib = {key: int(status[key].split()[0]) for key in ("VmRSS", "RssFile")}
    memory = {"current_gib": kib["VmRSS"] / 2**20, "file_gib": kib["RssFile"] / 2**20, "peak_gib": peak_rss_gib()}
    if "tensorflow" in sys.modules:
        tensors = sys.modules["tensorflow"].config.experimental.get_memory_info("CPU:0")
        memory.update(tensors_gib=tensors["current"] / 2**30, tensors_peak_gib=tensors["peak"] / 2**30)
    return {**memory, **_malloc_heap()}


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]  # fmt: skip


def _malloc_heap() -> dict[str, float]:
    """glibc's ``mallinfo2`` (2.33 and newer): bytes held in arenas plus mmapped blocks, and the arenas' free
    bytes, GiB; nothing where the C library has no ``mallinfo2``."""
    mallinfo2 = getattr(ctypes.CDLL(None), "mallinfo2", None)
    if mallinfo2 is None:
        return {}
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return {"malloc_held_gib": (info.arena + info.hblkhd) / 2**30, "malloc_free_gib": info.fordblks / 2**30}


# The official side's first stage: its runtime imported, nothing else (same measure as _memory's peak).
_IMPORT_TORCH = (
    "import json, resource, torch; "
    "print(json.dumps({'peak_rss_gib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))"
)


def worker(size: int, batch: int, iterations: int, conv_algorithm: str) -> dict:
    stages = {"process start": _memory()}
    sys.path.insert(0, str(REPO_ROOT))
    import numpy as np

    from attentiongan_tf.cli.env import import_tensorflow

    import_tensorflow()  # as the CLIs do: without JAX, pandas and IPython
    import tensorflow as tf

    if conv_algorithm == "winograd_1op":  # one op at a time, as --mixed-precision auto runs float32 on 2 cores
        from attentiongan_tf.training.precision import use_one_op_at_a_time

        if not use_one_op_at_a_time():
            raise RuntimeError("TensorFlow started before one op at a time could be set")
    stages["import tensorflow"] = _memory()
    from attentiongan_tf.training.config import preset
    from attentiongan_tf.training.library_pages import release_library_pages
    from attentiongan_tf.training.tasks.two_domain import AttentionGANTrainer

    config = preset("official")
    config.data.crop_size = config.data.load_size = size
    config.data.batch_size = batch
    config.train.conv_algorithm = conv_algorithm.removesuffix("_1op")
    trainer = AttentionGANTrainer(config)
    stages["trainer built (G×2, D×2, Adam)"] = _memory()
    release_library_pages()  # as the training loop does before its first step and after it
    stages["start-up pages of the libraries given back"] = _memory()
    rng = np.random.default_rng(0)
    images = {k: tf.constant(rng.uniform(-1, 1, (batch, size, size, 3)), tf.float32) for k in ("A", "B")}
    trainer.train_step(images)
    release_library_pages()
    stages["first iteration (traces the step graphs), pages given back again"] = _memory()
    for _ in range(iterations):
        trainer.train_step(images)
    stages[f"{iterations} more iterations"] = _memory()
    return {"size": size, "batch": batch, "conv_algorithm": conv_algorithm, "stages": stages}


def measure(
    size: int, batch: int, conv_algorithm: str, iterations: int, official_dir: Path | None, python: str
) -> dict:
    command = [sys.executable, __file__, "--worker", str(size), str(batch), str(iterations), conv_algorithm]
    ours = run_json(command, cwd=REPO_ROOT)
    official = {}
    if official_dir is not None:
        official["import torch"] = run_json([python, "-c", _IMPORT_TORCH], cwd=REPO_ROOT)["peak_rss_gib"]
        for label, steps in (("built, 2 forwards", 0), (f"{iterations + 1} iterations", iterations)):
            command = official_worker_command(
                official_dir, size, python, iterations=steps, warmup=1, threads=2, batch_size=batch, forward_repeats=1
            )
            official[label] = run_json(command, cwd=REPO_ROOT)["peak_rss_gib"]
    return {**ours, "official_peak_gib": official}


_HEAP_COLUMNS = ("tensors_gib", "tensors_peak_gib", "malloc_held_gib", "malloc_free_gib")


def _gib(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def render(rows: list[dict], machine: str) -> str:
    lines = [
        "## Peak RSS of training, stage by stage (where RSS ≤ official is decided: 128² batch 1)",
        "",
        f"Machine: {machine}. Written by `benchmarks/memory_breakdown.py`; float32, `official` preset, direct "
        "convolutions or `--conv-algorithm winograd` (`winograd_1op`: one op at a time, as `--mixed-precision "
        "auto` runs it on 2 cores), each configuration in fresh processes; GiB. TensorFlow is "
        "imported as the CLIs import it, without JAX, pandas and IPython. Mapped files: the part of the resident "
        "memory that is file pages "
        "(mostly the runtime's shared libraries). Tensors: what TensorFlow's CPU allocator has handed out, now and "
        "the most at any moment so far (`tf.config.experimental.get_memory_info`). Malloc: the address space "
        "glibc's malloc has taken (arenas and mmapped blocks, `mallinfo2`; TensorFlow's allocator takes large "
        "blocks ahead of use, so not all of it is resident; oneDNN's work buffers and the graphs live in the "
        "arenas) and the arenas' free chunks, resident until trimmed. Official stages: separate processes (torch "
        "imported; model "
        "built and two forwards; training iterations), each its own peak.",
        "",
        "| size | batch | convolutions | ours: stage | current | of it: mapped files | peak | tensors: in use "
        "| tensors: most ever | malloc: held | of it: free | official: stage | peak |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    summary = []
    for r in rows:
        # The official stages sit beside ours: the runtime imported, the model built, the last iterations.
        official = list(r["official_peak_gib"].items())
        beside = dict(zip((1, 2, len(r["stages"]) - 1), official, strict=False))
        algorithm = r.get("conv_algorithm", "direct")
        for i, (stage, memory) in enumerate(r["stages"].items()):
            name, peak = beside.get(i, ("", None))
            extra = " | ".join(_gib(memory.get(key)) for key in _HEAP_COLUMNS)
            lines.append(f"| {r['size']}² | {r['batch']} | {algorithm} | {stage} | {memory['current_gib']:.2f} "
                         f"| {memory.get('file_gib', float('nan')):.2f} | {memory['peak_gib']:.2f} | {extra} "
                         f"| {name} | {_gib(peak)} |")  # fmt: skip
        ours = list(r["stages"].values())
        official_peaks = list(r["official_peak_gib"].values())
        if official_peaks:  # import torch first, the iterations last
            ours_rest = ours[-1]["peak_gib"] - ours[1]["peak_gib"]
            official_rest = official_peaks[-1] - official_peaks[0]
            summary.append(
                f"- {r['size']}² batch {r['batch']}, {algorithm}: peak {ours[-1]['peak_gib']:.2f} (ours) vs "
                f"{official_peaks[-1]:.2f} (official); importing the runtime {ours[1]['peak_gib']:.2f} (TensorFlow) "
                f"vs {official_peaks[0]:.2f} (torch); everything after the import {ours_rest:.2f} vs "
                f"{official_rest:.2f}."
                + (f" TensorFlow's tensors peaked at {ours[-1]['tensors_peak_gib']:.2f} (weights, Adam's moments and "
                   f"the image pools: {ours[-1]['tensors_gib']:.2f}); malloc's arenas hold "
                   f"{ours[-1]['malloc_free_gib']:.2f} free." if "malloc_free_gib" in ours[-1] else "")
            )
    return "\n".join(lines + ([""] + summary if summary else []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+",
                        default=["32x1", "32x1:winograd", "128x1", "128x1:winograd", "128x1:winograd_1op"],
                        help="SIZExBATCH, optionally :winograd (the convolutions; default direct) or :winograd_1op "
                             "(Winograd, one op at a time)")  # fmt: skip
    parser.add_argument("--iterations", type=int, default=3)
    add_official_flags(parser, "to measure its memory")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--render", action="store_true", help="rewrite the section from the saved run, measure nothing")
    args = parser.parse_args()
    if args.render:
        data = load_data(cpu_section("memory_breakdown"))
        if data is None:
            parser.error("--render: no saved memory_breakdown run in results.json")
        update_section(cpu_section("memory_breakdown"), render(data["rows"], data["machine"]))
        return
    if args.worker:
        size, batch, iterations, conv_algorithm = args.worker
        print(json.dumps(worker(int(size), int(batch), int(iterations), conv_algorithm)))
        return
    check_official_dir(parser, args.official_dir)
    rows = []
    for config in args.configs:
        shape, _, conv_algorithm = config.partition(":")
        if conv_algorithm not in ("", "direct", "winograd", "winograd_1op"):
            parser.error(f"--configs {config}: the convolutions are direct, winograd or winograd_1op")
        size, batch = (int(v) for v in shape.split("x"))
        rows.append(measure(size, batch, conv_algorithm or "direct", args.iterations, args.official_dir,
                            args.official_python))  # fmt: skip
        print(json.dumps(rows[-1]), flush=True)
    machine = machine_description()
    update_section(cpu_section("memory_breakdown"), render(rows, machine))
    save_data(cpu_section("memory_breakdown"), {"machine": machine, "rows": rows})


if __name__ == "__main__":
    main()
