"""Shared helpers of the benchmarks: machine description, load, peak memory and RESULTS.md sections."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
OFFICIAL_SCRIPT = Path(__file__).resolve().parent / "official" / "run_official.py"
RESULTS_JSON = Path(__file__).resolve().parent / "results.json"
HEADER = (
    "# Benchmark results\n\n"
    "Each section is written by the script named in it; rerun the script to refresh it. Numbers taken on a\n"
    "shared machine record the load average at the start: a load above the core count means they were taken\n"
    "under load from other processes and are pessimistic.\n"
)


CPUINFO = Path("/proc/cpuinfo")


def _cpuinfo_fields() -> dict[str, str]:
    """The first CPU's ``/proc/cpuinfo`` fields (empty where it cannot be read)."""
    fields: dict[str, str] = {}
    try:
        text = CPUINFO.read_text()
    except OSError:
        return fields
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        if not colon:
            if fields:  # the blank line after the first CPU
                break
            continue
        fields.setdefault(key.strip(), value.strip())
    return fields


def cpu_model() -> str:
    """The CPU's name with its family and model numbers: virtual machines often name different CPUs the same
    (``Intel(R) Xeon(R) Processor``)."""
    fields = _cpuinfo_fields()
    name = fields.get("model name") or platform.processor() or "unknown CPU"
    if "cpu family" in fields and "model" in fields:
        return f"{name} (family {fields['cpu family']}, model {fields['model']})"
    return name


def bfloat16_flags() -> list[str]:
    """The CPU's bfloat16 matrix instructions (``amx_bf16``, ``avx512_bf16``) as ``/proc/cpuinfo`` lists them."""
    try:
        flags = set(CPUINFO.read_text().split())
    except OSError:
        return []
    return [flag for flag in ("amx_bf16", "avx512_bf16") if flag in flags]


def cpu_section(name: str) -> str:
    """The RESULTS.md section (and results.json entry) ``name`` for this CPU: ``name`` itself on CPUs with AMX
    (where issue #15's numbers were taken), ``name_<its bfloat16 instructions>`` elsewhere, so that a run on
    another kind of CPU adds its own section instead of replacing those numbers."""
    flags = bfloat16_flags()
    return name if "amx_bf16" in flags else f"{name}_{flags[0] if flags else 'no_bf16'}"


def speed_target(precision: str, amx: bool) -> float:
    """Issue #15's minimum training speed-up over the official float32 iteration for ``precision``: 1.2× in
    float32; in bfloat16 2.5× on CPUs with AVX512-BF16 but no AMX and 3× with AMX."""
    if precision == "bfloat16":
        return 3.0 if amx else 2.5
    return 1.2


def machine_description() -> str:
    """One line: CPU model and its bfloat16 instructions, usable cores, RAM, OS, Python, date and the 1/5/15-minute
    load averages."""
    try:
        memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        memory_gib = float("nan")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    bfloat16 = ", ".join(bfloat16_flags()) or "no bfloat16 instructions"
    return (
        f"{cpu_model()} ({bfloat16}), {cores} usable cores, {memory_gib:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}; {now}; "
        f"load average at start {load}"
    )


def peak_rss_gib() -> float:
    """Peak resident set size of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def update_section(name: str, markdown: str, path: Path = RESULTS) -> None:
    """Replace (or append) the ``name`` section of RESULTS.md, leaving the other sections untouched."""
    text = path.read_text() if path.exists() else HEADER
    block = f"<!-- BEGIN {name} -->\n{markdown.rstrip()}\n<!-- END {name} -->"
    pattern = re.compile(rf"<!-- BEGIN {re.escape(name)} -->.*?<!-- END {re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else f"{text.rstrip()}\n\n{block}\n"
    path.write_text(text)


def save_data(name: str, data: dict, path: Path = RESULTS_JSON) -> None:
    """Store the raw numbers of section ``name`` in results.json (other benchmarks read them back)."""
    everything = json.loads(path.read_text()) if path.exists() else {}
    everything[name] = data
    path.write_text(json.dumps(everything, indent=2) + "\n")


def drop_data(name: str, path: Path = RESULTS_JSON) -> None:
    """Remove section ``name`` from results.json (e.g. the progress copy of a run that has finished)."""
    everything = json.loads(path.read_text()) if path.exists() else {}
    if everything.pop(name, None) is not None:
        path.write_text(json.dumps(everything, indent=2) + "\n")


def load_data(name: str, path: Path = RESULTS_JSON) -> dict | None:
    """The raw numbers saved by :func:`save_data`, or None when that benchmark has not run yet."""
    return json.loads(path.read_text()).get(name) if path.exists() else None


def run_json(command: list[str], env: dict | None = None, cwd: Path | None = None) -> dict:
    """Run a benchmark worker process and return the JSON object it prints on its last line."""
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=env, cwd=cwd).stdout
    return json.loads(output.strip().splitlines()[-1])


def official_worker_command(official_dir: Path, size: int, python: str | None = None, **options: int) -> list[str]:
    """Command line of one ``official/run_official.py`` worker; keyword ``options`` become ``--flags``.

    Args:
        official_dir: the official AttentionGAN code.
        size: image size of the worker.
        python: the interpreter that has torch (default: this one, ``sys.executable``).
        **options: worker flags, e.g. ``iterations=0`` -> ``--iterations 0``.
    """
    command = [python or sys.executable, str(OFFICIAL_SCRIPT), "--official-dir", str(official_dir)]
    command += ["--worker", str(size)]
    for name, value in options.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    return command


def add_official_flags(parser: argparse.ArgumentParser, purpose: str) -> None:
    """``--official-dir`` (the official AttentionGAN code, for ``purpose``) and ``--official-python``."""
    parser.add_argument("--official-dir", type=Path, help=f"official AttentionGAN code, {purpose}")
    parser.add_argument("--official-python", default=sys.executable, help="a Python with torch for the official code")


def check_official_dir(parser: argparse.ArgumentParser, official_dir: Path | None) -> None:
    """``parser.error`` unless ``official_dir`` is None or holds the official code."""
    if official_dir is not None and not (official_dir / "models" / "attention_gan_model.py").is_file():
        parser.error(f"--official-dir {official_dir}: models/attention_gan_model.py not found")


def official_forward_s(official_dir: Path, size: int, python: str, repeats: int) -> float:
    """Median seconds of the official generator's eager forward at ``size``² (torch, 2 threads)."""
    command = official_worker_command(official_dir, size, python, iterations=0, forward_repeats=repeats, threads=2)
    return run_json(command)["forward_s"]
