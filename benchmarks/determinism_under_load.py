"""Does ``--deterministic`` give the same numbers on a busy CPU? Runs of the 16-px demo, several at once.

Each arm trains one reference run alone, then ``--rounds`` rounds of ``--runs-at-once`` identical runs side by
side (the load), all with ``--deterministic --seed 3``, and compares every run's ``metrics.jsonl`` with the
reference's, bit for bit; then times the official preset's iteration (128², batch 1) with the arm's threads,
alone. Arms: ``deterministic`` (what ``--deterministic`` does: each op on one thread, one op per usable core side
by side), ``one_thread`` (one op at a time on one thread: what it did until 2026-12-05), and thread settings a user
can set, which ``--deterministic`` keeps with a warning: ``one_op`` (one op at a time, each on every core) and
``side_by_side`` (TensorFlow's default: ops side by side, each on every core). Runs use oneDNN's kernels whatever
the caller's ``TF_ENABLE_ONEDNN_OPTS``. Each arm's result is stored in results.json as it finishes, with when it
started; the "determinism_under_load" section of RESULTS.md shows every arm stored.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import load_data, machine_description, run_json, save_data, update_section  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
SECTION = "determinism_under_load"
TINY = ["--image-size", "16", "--ngf", "4", "--n-blocks", "1", "--batch-size", "2", "--log-every", "1",
        "--checkpoint-every", "1000", "--sample-every", "1000", "--deterministic", "--seed", "3"]  # fmt: skip
ARMS = {
    "deterministic": "`--deterministic` as it runs: each op on one thread, one op per usable core side by side "
    "(`TF_NUM_INTRAOP_THREADS=1`)",
    "one_thread": "one op at a time, on one thread (`TF_NUM_INTEROP_THREADS=1 TF_NUM_INTRAOP_THREADS=1`: "
    "`--deterministic` until 2026-12-05)",
    "one_op": "one op at a time, each op on every core (`TF_NUM_INTEROP_THREADS=1`, `TF_NUM_INTRAOP_THREADS` = "
    "the usable cores)",
    "side_by_side": "TensorFlow's default: ops side by side, each op on every core (both thread counts = the usable "
    "cores)",
}


def arm_environment(arm: str) -> dict[str, str]:
    """The environment of an arm's runs: thread settings the user could set, which ``--deterministic`` keeps."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_NUM_INTEROP_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_ENABLE_ONEDNN_OPTS")}  # fmt: skip
    env.update(TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="", PYTHONPATH=str(REPO_ROOT))
    cores = str(len(os.sched_getaffinity(0)))
    if arm == "side_by_side":
        env.update(TF_NUM_INTEROP_THREADS=cores, TF_NUM_INTRAOP_THREADS=cores)
    elif arm == "one_thread":
        env.update(TF_NUM_INTEROP_THREADS="1", TF_NUM_INTRAOP_THREADS="1")
    elif arm == "one_op":
        env.update(TF_NUM_INTEROP_THREADS="1", TF_NUM_INTRAOP_THREADS=cores)
    return env


def losses_by_step(run_dir: Path) -> dict[int, dict]:
    rows = {}
    for line in (run_dir / "metrics.jsonl").read_text().splitlines():
        row = json.loads(line)
        row.pop("images_per_second")
        rows[row["step"]] = row
    return rows


def first_difference(reference: dict[int, dict], run: dict[int, dict]) -> int | None:
    """The first step whose logged values are not bit-identical to the reference's (None: all identical)."""
    return next((step for step in sorted(reference) if run.get(step) != reference[step]), None)


def start_run(output_dir: Path, steps: int, env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, str(REPO_ROOT / "train.py"), *TINY, "--steps", str(steps), "--output-dir",
               str(output_dir)]  # fmt: skip
    return subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip


def finish(process: subprocess.Popen) -> None:
    _, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"a training run failed:\n{stderr[-2000:]}")


def run_arm(arm: str, runs_at_once: int, rounds: int, steps: int, work: Path) -> dict:
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    env = arm_environment(arm)
    reference_dir = work / f"{arm}_reference"
    finish(start_run(reference_dir, steps, env))
    reference = losses_by_step(reference_dir)
    differing = []
    for round_index in range(rounds):
        dirs = [work / f"{arm}_{round_index}_{k}" for k in range(runs_at_once)]
        for process in [start_run(d, steps, env) for d in dirs]:
            finish(process)
        differing += [s for s in (first_difference(reference, losses_by_step(d)) for d in dirs) if s is not None]
        print(f"{arm}: round {round_index + 1}/{rounds}, {len(differing)} differing so far", flush=True)
    return {"runs": runs_at_once * rounds, "runs_at_once": runs_at_once, "steps": steps, "started": started,
            "differing_first_steps": differing, "iteration_s": iteration_seconds(env)}  # fmt: skip


def iteration_seconds(env: dict[str, str], size: int = 128) -> float:
    """What the arm costs: train_speed's median float32 iteration of the official preset at ``size``², batch 1,
    alone on the machine (op determinism on, as ``--deterministic`` runs it)."""
    command = [sys.executable, str(REPO_ROOT / "benchmarks" / "train_speed.py"), "--worker", str(size), "1",
               "float32", "--deterministic"]  # fmt: skip
    return run_json(command, env=env, cwd=REPO_ROOT)["iteration_s"]


def render(data: dict) -> str:
    lines = [
        "## Does `--deterministic` give the same numbers on a busy CPU? The 16-px demo, several runs at once",
        "",
        f"Machine: {data['machine']} (the last arm's start). Written by `benchmarks/determinism_under_load.py`. "
        "Per arm: one reference "
        "run alone, then rounds of identical runs side by side (the load), each `--deterministic --seed 3`; a run "
        "differs when any logged loss or metric of any step is not bit-identical to the reference's.",
        "",
        "| arm | started | runs | at once | steps per run | runs that differ | first differing step of each "
        "| s per iteration, official preset at 128², batch 1, alone |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for arm, r in sorted(data["arms"].items(), key=lambda item: list(ARMS).index(item[0])):
        counts = collections.Counter(r["differing_first_steps"])
        steps = ", ".join(f"{s} (×{n})" if n > 1 else str(s) for s, n in sorted(counts.items())) or "none"
        cost = f"{r['iteration_s']:.2f}" if "iteration_s" in r else "not measured"
        started = r.get("started", "not recorded")
        lines.append(f"| {ARMS[arm]} | {started} | {r['runs']} | {r['runs_at_once']} | {r['steps']} | "
                     f"{len(r['differing_first_steps'])} | {steps} | {cost} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arms", nargs="+", choices=sorted(ARMS), default=list(ARMS))
    parser.add_argument("--runs-at-once", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    for name in ("runs_at_once", "rounds", "steps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    data = load_data(SECTION) or {"arms": {}}
    data["arms"] = {arm: result for arm, result in data["arms"].items() if arm in ARMS}  # arms since renamed
    data["machine"] = machine_description()
    with tempfile.TemporaryDirectory(prefix="determinism_") as tmp:
        for arm in args.arms:
            data["arms"][arm] = run_arm(arm, args.runs_at_once, args.rounds, args.steps, Path(tmp))
            save_data(SECTION, data)  # each arm kept as it finishes
            update_section(SECTION, render(data))


if __name__ == "__main__":
    main()
