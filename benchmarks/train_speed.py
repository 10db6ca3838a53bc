"""Training throughput: seconds per full iteration (both G updates, both D updates, official losses).

Scheme II, ngf 64, 9 blocks (the ``official`` preset) at 128² and 256², batch 1 and batch 4 (the official
script's ``--batch_size 4``), float32 (direct and ``--conv-algorithm winograd`` convolutions) vs
``--mixed-precision bfloat16`` (and ``--xla`` where asked), with the
peak RSS of each configuration (each runs in its own process). With ``--official-dir`` the official PyTorch code
(see ``benchmarks/official/run_official.py``) is timed in the same run, each target of issue #15 is marked
met or missed, and the official times are saved for ``kernel_floor.py``::

    python benchmarks/train_speed.py --official-dir /tmp/official --official-python /path/to/torch/python

Writes the "train_speed" section of RESULTS.md on a CPU with AMX, "train_speed_<bfloat16 instructions>" on others
(``train_speed_avx512_bf16``: AMD Zen 4). ``--repeat --modes ...`` times some modes again, with the official
code, into a section of its own (``..._repeat``), leaving the full table as it is. ``--rounds N --modes ...``
times the official code and each mode N times, interleaved, and judges each mode by the median of the N rounds'
ratios (section ``..._rounds``): on a shared machine whose speed drifts within minutes, that is the fairer test.
``--onednn-max-cpu-isa AVX512_CORE_BF16`` times a CPU with AMX as one without it (section ``..._isa_<set>...``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import (  # noqa: E402
    add_official_flags,
    bfloat16_flags,
    check_official_dir,
    cpu_section,
    drop_data,
    load_data,
    machine_description,
    official_worker_command,
    peak_rss_gib,
    run_json,
    save_data,
    update_section,
)
from train_speed_tables import render, render_rounds  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]


MODES = {
    "float32": {"conv_algorithm": "direct"},
    "winograd": {"conv_algorithm": "winograd"},
    "winograd_1op": {"conv_algorithm": "winograd"},
    "xla": {"conv_algorithm": "direct", "xla": True},
    "bfloat16": {"mixed_precision": "bfloat16", "conv_algorithm": "direct"},
    "bfloat16_1thread": {"mixed_precision": "bfloat16", "conv_algorithm": "direct"},
    "bfloat16_winograd": {"mixed_precision": "bfloat16", "conv_algorithm": "winograd"},
    "bfloat16_winograd_1thread": {"mixed_precision": "bfloat16", "conv_algorithm": "winograd"},
}
# _1thread: one thread per op, two ops side by side (tf.config.threading: 1 intra-op, 2 inter-op threads).
ONE_THREAD_PER_OP = ("bfloat16_1thread", "bfloat16_winograd_1thread")
# _1op: one op at a time, each on both cores (1 inter-op thread; what --mixed-precision auto runs float32 with).
ONE_OP_AT_A_TIME = ("winograd_1op",)


def mode_config(mode: str, size: int, batch: int):
    """The ``official`` preset at ``size``² and ``batch`` as ``mode`` trains it, TensorFlow's threads set for it
    (call before TensorFlow starts; a RuntimeError after)."""
    from attentiongan_tf.training.config import preset
    from attentiongan_tf.training.precision import use_one_op_at_a_time, use_one_thread_per_op

    if mode in ONE_THREAD_PER_OP and not use_one_thread_per_op(2):
        raise RuntimeError("TensorFlow started before one thread per op could be set")
    if mode in ONE_OP_AT_A_TIME and not use_one_op_at_a_time():
        raise RuntimeError("TensorFlow started before one op at a time could be set")
    config = preset("official")
    config.data.crop_size = config.data.load_size = size
    config.data.batch_size = batch
    for field, value in MODES[mode].items():
        setattr(config.train, field, value)
    return config


def worker(size: int, batch: int, mode: str, iterations: int, warmup: int, deterministic: bool = False) -> dict:
    load_at_start = os.getloadavg()[0]
    sys.path.insert(0, str(REPO_ROOT))

    from attentiongan_tf.cli.env import import_tensorflow

    import_tensorflow()  # as attentiongan-train does
    import tensorflow as tf

    config = mode_config(mode, size, batch)
    if deterministic:  # as --deterministic runs it, with the threads this environment lets it set
        from attentiongan_tf.training.determinism import make_deterministic

        make_deterministic()
    times = time_training_steps(config, iterations, warmup)
    return {
        "size": size,
        "batch_size": batch,
        "mode": mode,
        "iteration_s": sorted(times)[len(times) // 2],
        "iteration_min_s": min(times),
        "peak_rss_gib": peak_rss_gib(),
        "load_at_start": load_at_start,
        "tensorflow": tf.__version__,
    }


def time_training_steps(config, steps: int, warmup: int) -> list[float]:
    """Seconds of each of ``steps`` training steps of ``config``'s trainer, after ``warmup`` untimed ones, on random
    images of its crop size and batch."""
    import numpy as np
    import tensorflow as tf

    from attentiongan_tf.training.library_pages import release_while_starting
    from attentiongan_tf.training.tasks.two_domain import AttentionGANTrainer

    trainer = AttentionGANTrainer(config)
    shape = (config.data.batch_size, config.data.crop_size, config.data.crop_size, 3)
    rng = np.random.default_rng(0)
    batch = {domain: tf.constant(rng.uniform(-1, 1, shape), tf.float32) for domain in ("A", "B")}
    times = []
    for step in range(warmup + steps):
        release_while_starting(step)  # as the training loop does
        start = time.perf_counter()
        trainer.train_step(batch)  # returns Python floats: the step has finished
        if step >= warmup:
            times.append(time.perf_counter() - start)
    return times


def measured_at(machine: str) -> str:
    """The "YYYY-MM-DD HH:MM UTC" of a ``machine_description()`` (when its run started)."""
    found = re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", machine)
    return found.group(0) if found else "unknown"


def kept_rounds(saved: dict | None, machine: str, timed: set[tuple[int, int]]) -> list[dict] | None:
    """The saved rounds rows of the configurations (size, batch) not in ``timed``, each with the time it was
    measured; ``None`` when they come from another kind of machine or software (the description before its
    first ";": CPU, cores, memory, kernel, Python)."""
    if not saved:
        return []
    if saved["machine"].split(";")[0] != machine.split(";")[0]:
        return None
    return [{"measured": measured_at(saved["machine"]), **r} for r in saved["rows"]
            if (r["size"], r["batch_size"]) not in timed]  # fmt: skip


def _official(args: argparse.Namespace, size: int, batch: int) -> dict:
    command = official_worker_command(
        args.official_dir, size, python=args.official_python, iterations=args.iterations, warmup=1, threads=2,
        batch_size=batch, forward_repeats=1,
    )  # fmt: skip
    return run_json(command, env={**os.environ, "OMP_NUM_THREADS": "2"}, cwd=REPO_ROOT)


def _ours(args: argparse.Namespace, size: int, batch: int, mode: str) -> dict:
    command = [sys.executable, __file__, "--worker", str(size), str(batch), mode,
               "--iterations", str(args.iterations), "--warmup", str(args.warmup)]  # fmt: skip
    return run_json(command, cwd=REPO_ROOT)


def output_section(repeat: bool, rounds: int = 1, max_cpu_isa: str | None = None) -> tuple[str, str]:
    """The RESULTS.md section a run writes, and the section it repeats ("" for a full run): a repeat, or a run of
    several rounds, never replaces the full table that kernel_floor.py and the docs read; nor does a run with
    oneDNN held to an older instruction set (``_isa_<set>``)."""
    full = cpu_section("train_speed") + (f"_isa_{max_cpu_isa.lower()}" if max_cpu_isa else "")
    if rounds > 1:
        return full + "_rounds", ""
    return (full + "_repeat", full) if repeat else (full, "")


def judged_with_amx(max_cpu_isa: str | None) -> bool:
    """Whether bfloat16 is judged against the target for CPUs with AMX: this CPU has AMX and oneDNN may use it."""
    return "amx_bf16" in bfloat16_flags() and (max_cpu_isa is None or "AMX" in max_cpu_isa.upper())


def saved_section(machine: str, judged_with_amx: bool, rows: list[dict]) -> dict:
    """What results.json keeps of a run: its machine, whether it was judged by the target for CPUs with AMX
    (:func:`judged_with_amx`) and its rows."""
    return {"machine": machine, "judged_with_amx": judged_with_amx, "rows": rows}


def render_saved(section: str, saved: dict, iterations: int, warmup: int) -> str:
    """The table of a saved ``section`` (as :func:`saved_section` stores it), judged by the target its run was."""
    machine, amx = saved["machine"], saved["judged_with_amx"]
    if section.endswith("_rounds"):
        return render_rounds(saved["rows"], machine, iterations, warmup, amx)
    repeat_of = section.removesuffix("_repeat") if section.endswith("_repeat") else ""
    return render(saved["rows"], machine, iterations, warmup, amx, repeat_of)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=["128x1", "128x4", "256x1", "256x4"], help="SIZExBATCH")
    parser.add_argument("--iterations", type=int, default=3, help="timed iterations (median reported)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed iterations (tracing, XLA compilation)")
    add_official_flags(parser, "to time it in the same run")
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=tuple(MODES),
        default=["float32", "winograd", "winograd_1op", "bfloat16", "bfloat16_1thread", "bfloat16_winograd",
                 "bfloat16_winograd_1thread"],
        help="float32 graph, float32 with --conv-algorithm winograd (_1op: one op at a time), --xla, "
        "--mixed-precision bfloat16 (_1thread: one thread per op)",
    )
    parser.add_argument(
        "--repeat",
        action="store_true",
        help="a second run of some --modes: write its own section (this CPU's train_speed section + _repeat), "
        "leaving the full table as it is",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="time the official code and each of --modes this many times, interleaved, and judge each mode by the "
        "median of the rounds' ratios (needs --official-dir; writes this CPU's train_speed section + _rounds)",
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="with --rounds: keep the saved rounds of the configurations this run does not time (from an earlier "
        "run on the same kind of machine), each row saying when it was measured",
    )
    parser.add_argument(
        "--onednn-max-cpu-isa",
        metavar="ISA",
        help="run every worker (ours and the official code's) with oneDNN held to this instruction set "
        "(ONEDNN_MAX_CPU_ISA), e.g. AVX512_CORE_BF16: a CPU with AMX timed as one without it, as a virtual machine "
        "whose kernel does not enable AMX runs; writes a section of its own",
    )
    parser.add_argument(
        "--render",
        metavar="SECTION",
        help="write SECTION of RESULTS.md again from its numbers in results.json with this script's tables (after a "
        "change of their words; for numbers measured with the code as it is), timing nothing",
    )
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--deterministic", action="store_true", help=argparse.SUPPRESS)  # a --worker's option
    args = parser.parse_args()
    if args.worker:
        size, batch, mode = args.worker
        print(json.dumps(worker(int(size), int(batch), mode, args.iterations, args.warmup, args.deterministic)))
        return
    if args.deterministic:
        parser.error("--deterministic applies to a --worker only")
    if args.render:
        saved = load_data(args.render) if args.render.startswith("train_speed") else None
        if saved is None:
            parser.error(f"--render: benchmarks/results.json has no train_speed section {args.render!r}")
        update_section(args.render, render_saved(args.render, saved, args.iterations, args.warmup))
        return
    check_official_dir(parser, args.official_dir)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.rounds > 1 and (args.official_dir is None or args.repeat):
        parser.error("--rounds needs --official-dir, and does not go with --repeat (it writes a section of its own)")
    if args.merge and args.rounds < 2:
        parser.error("--merge applies to --rounds runs only")
    machine = machine_description()
    if args.onednn_max_cpu_isa:
        os.environ["ONEDNN_MAX_CPU_ISA"] = args.onednn_max_cpu_isa  # the workers inherit it
        machine += f"; oneDNN held to {args.onednn_max_cpu_isa} (ONEDNN_MAX_CPU_ISA)"
    amx = judged_with_amx(args.onednn_max_cpu_isa)
    section, repeat_of = output_section(args.repeat, args.rounds, args.onednn_max_cpu_isa)
    timed = {(int(size), int(batch)) for size, batch in (c.split("x") for c in args.configs)}
    kept = kept_rounds(load_data(section), machine, timed) if args.merge else []
    if kept is None:
        parser.error(f"--merge: the saved {section} rows are from another kind of machine or software; run without it")
    rows: list[dict] = []
    for config in args.configs:
        size, batch = (int(v) for v in config.split("x"))
        for round_index in range(args.rounds):
            official = _official(args, size, batch) if args.official_dir is not None else None
            for mode in args.modes:
                row = {**_ours(args, size, batch, mode), "official": official, "round": round_index}
                rows.append({**row, "measured": measured_at(machine)})
                print(json.dumps(rows[-1]), flush=True)
                save_data("train_speed_partial", saved_section(machine, amx, rows))
    rows = kept + rows
    if args.rounds > 1:
        update_section(section, render_rounds(rows, machine, args.iterations, args.warmup, amx))
    else:
        update_section(section, render(rows, machine, args.iterations, args.warmup, amx, repeat_of))
    save_data(section, saved_section(machine, amx, rows))
    drop_data("train_speed_partial")  # the progress copy, kept while the run was going


if __name__ == "__main__":
    main()
