"""The RESULTS.md tables of ``train_speed.py``: one row per configuration and mode, or per mode over rounds."""

from __future__ import annotations

import statistics

from results import speed_target

MODES_LEGEND = (
    "Modes: `float32` (`--conv-algorithm direct`, the official code's convolutions), `winograd` (float32 with "
    "Winograd F(4×4, 3×3) convolutions, what the default `--conv-algorithm auto` trains float32 with on a CPU; "
    "under 256² pixels per step three generator calls instead of six; `_1op`: one op at a time, each on both "
    "cores), `bfloat16` (`--mixed-precision bfloat16`, direct convolutions, each op on both cores; `_1thread`: one "
    "thread per op; with AMX `--mixed-precision auto` runs `_1thread` under 256² pixels per step and the plain mode "
    "from there), `bfloat16_winograd` (bfloat16 with Winograd F(2×2, 3×3) convolutions; `auto` runs "
    "`bfloat16_winograd_1thread` on AMD CPUs with AVX512-BF16), `xla` (float32, direct, `--xla`)."
)


def mode_target(mode: str, amx: bool) -> float:
    """Issue #15's minimum speed-up over the official float32 iteration for ``mode`` (xla: only "not slower")."""
    return 1.0 if mode == "xla" else speed_target("bfloat16" if mode.startswith("bfloat16") else "float32", amx)


def render(rows: list[dict], machine: str, iterations: int, warmup: int, amx: bool, repeat_of: str = "") -> str:
    title = "## Training throughput (ours vs official), ngf 64, 9 blocks, scheme II"
    lines = [
        title + (f": a second run of some modes of the {repeat_of} section" if repeat_of else ""),
        "",
        f"Machine: {machine}. Written by `benchmarks/train_speed.py`; median of {iterations} iterations after "
        f"{warmup} warm-up (min in brackets), each configuration in its own process. Official: torch, 2 threads, "
        f"float32, same batch. {MODES_LEGEND} "
        "Targets (issue #15): float32 ≥ 1.2×, bfloat16 ≥ 2.5× (AVX512-BF16 without AMX; 3× with AMX), peak RSS ≤ "
        "the official's; `--xla` only has to say what it costs.",
        "",
        "| size | batch | mode | ours s/iter | ours peak RSS (GiB) | official s/iter | official peak RSS (GiB) "
        "| speed-up vs official | speed target | RSS ≤ official | 1-min load at start |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        o = r["official"]
        cells = "n/a | n/a | n/a | n/a | n/a"
        if o is not None:
            ratio = o["iteration_s"] / r["iteration_s"]
            target = mode_target(r["mode"], amx)
            verdict = ("met" if ratio >= target else "**missed**") + f" (≥ {target}×)"
            rss = "met" if r["peak_rss_gib"] <= o["peak_rss_gib"] else "**missed**"
            cells = (f"{o['iteration_s']:.2f} ({o['iteration_min_s']:.2f}) | {o['peak_rss_gib']:.2f} "
                     f"| {ratio:.2f}x | {verdict} | {rss}")  # fmt: skip
        lines.append(
            f"| {r['size']}² | {r['batch_size']} | {r['mode']} "
            f"| {r['iteration_s']:.2f} ({r['iteration_min_s']:.2f}) "
            f"| {r['peak_rss_gib']:.2f} | {cells} | {r['load_at_start']:.2f} |"
        )
    return "\n".join(lines)


def render_rounds(rows: list[dict], machine: str, iterations: int, warmup: int, amx: bool) -> str:
    """One line per configuration and mode from ``rows``, one row per round (each with the official time of its
    round): the verdict is the median of the rounds' ratios, and the line says in how many rounds it held."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["size"], r["batch_size"], r["mode"]), []).append(r)
    lines = [
        "## Training throughput (ours vs official), ngf 64, 9 blocks, scheme II: rounds",
        "",
        f"Machine: {machine}. Written by `benchmarks/train_speed.py --rounds`; in each round the official code and "
        f"then each mode run in their own processes, one after another, median of {iterations} iterations after "
        f"{warmup} warm-up each; a mode's speed-up in a round is the official time of that round over its own. "
        "The verdict is the median of the rounds' speed-ups against issue #15's target, with the number of rounds "
        "in which it held; peak RSS is the highest of the rounds, judged round by round. "
        f"{MODES_LEGEND} A run with `--merge` times some configurations again and keeps the others' rows "
        "from the run before it on the same kind of machine: the last column says when each was measured.",
        "",
        "| size | batch | mode | rounds | ours s/iter (median) | official s/iter (median) | speed-up per round "
        "| median speed-up | speed target | ours peak RSS (GiB) | official peak RSS (GiB) | RSS ≤ official "
        "| measured |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (size, batch, mode), group in sorted(groups.items(), key=lambda item: item[0][:2]):
        ratios = sorted(r["official"]["iteration_s"] / r["iteration_s"] for r in group)
        median, target = statistics.median(ratios), mode_target(mode, amx)
        met = median >= target
        held = sum((ratio >= target) == met for ratio in ratios)
        speed = ("met" if met else "**missed**") + f" (≥ {target}×) in {held} of {len(group)} rounds"
        rss_missed = sum(r["peak_rss_gib"] > r["official"]["peak_rss_gib"] for r in group)
        rss = f"**missed** in {rss_missed} of {len(group)} rounds" if rss_missed else "met"
        lines.append(
            f"| {size}² | {batch} | {mode} | {len(group)} "
            f"| {statistics.median(r['iteration_s'] for r in group):.2f} "
            f"| {statistics.median(r['official']['iteration_s'] for r in group):.2f} "
            f"| {', '.join(f'{ratio:.2f}' for ratio in ratios)} | {median:.2f}x | {speed} "
            f"| {max(r['peak_rss_gib'] for r in group):.2f} "
            f"| {max(r['official']['peak_rss_gib'] for r in group):.2f} | {rss} "
            f"| {min(r.get('measured', 'unknown') for r in group)} |"
        )
    return "\n".join(lines)
