"""Fuzz the torch-free .pth reader (``read_torch_state_dict``) for a bounded time; not part of CI.

    pip install atheris
    nice python tools/fuzz_pth.py --seconds 300            # atheris (libFuzzer), coverage-guided
    nice python tools/fuzz_pth.py --seconds 60 --engine mutate   # seeded mutations, no atheris needed

Seeds are the real torch-written files in tests/data. The first input byte picks what the rest is:
0 → a whole .pth file; 1 → the ``data.pkl`` pickle inside the genuine zip fixture; 2 → the pickle
section of the genuine legacy fixture (its storages kept). Only ``UnsafeCheckpointError`` and
``MalformedCheckpointError`` may escape the reader; any other exception, a crash, a hang
(> 20 s per input) or more than 3 GiB of memory is a finding. The run is written to the
"Latest run" section of benchmarks/FUZZ_RESULTS.md (other sections are kept).
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import platform
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
import traceback
import types
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
REPORT = ROOT / "benchmarks" / "FUZZ_RESULTS.md"
SECTION = "## Latest run"
MEMORY_LIMIT_MB = 3072


def _import_reader(instrument=None):
    """The reader without the package __init__ (which loads TensorFlow)."""
    package = types.ModuleType("attentiongan_tf")
    package.__path__ = [str(ROOT / "attentiongan_tf")]
    sys.modules.setdefault("attentiongan_tf", package)
    if instrument is None:
        from attentiongan_tf.official import torch_pickle
    else:
        with instrument():
            from attentiongan_tf.official import (
                torch_pickle,  # noqa: F401
                torch_storages,  # noqa: F401
                torch_tensors,  # noqa: F401
            )
    return torch_pickle


def _fixtures() -> tuple[bytes, bytes]:
    return (DATA / "torch_zip_format.pth").read_bytes(), (DATA / "torch_legacy_format.pth").read_bytes()


def _legacy_split(legacy: bytes) -> int:
    """Where the legacy fixture's five pickles end and its storages begin."""
    import pickletools

    stream = io.BytesIO(legacy)
    for _ in range(5):
        for _ in pickletools.genops(stream):  # walks one pickle without resolving its globals
            pass
    return stream.tell()


def seeds() -> list[bytes]:
    zipped, legacy = _fixtures()
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        pickle_bytes = archive.read(next(n for n in archive.namelist() if n.endswith("/data.pkl")))
    return [b"\0" + zipped, b"\0" + legacy, b"\1" + pickle_bytes, b"\2" + legacy[: _legacy_split(legacy)]]


def assemble(data: bytes, fixtures: tuple[bytes, bytes], split: int) -> bytes:
    """The file bytes an input stands for (see the module docstring)."""
    mode, payload = (data[0] % 3, data[1:]) if data else (0, b"")
    if mode == 0:
        return payload
    zipped, legacy = fixtures
    if mode == 2:
        return payload + legacy[split:]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(zipped)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, payload if info.filename.endswith("/data.pkl") else source.read(info))
    return out.getvalue()


class Target:
    """Reads one input through the real file API; re-raises anything but the documented errors."""

    def __init__(self, reader: types.ModuleType, scratch: Path):
        self.read = reader.read_torch_state_dict
        self.allowed = (reader.UnsafeCheckpointError, reader.MalformedCheckpointError)
        self.fixtures = _fixtures()
        self.split = _legacy_split(self.fixtures[1])
        self.path = scratch / "input.pth"

    def __call__(self, data: bytes) -> None:
        self.path.write_bytes(assemble(data, self.fixtures, self.split))
        try:
            self.read(self.path)
        except self.allowed:
            pass


def mutate(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    """One to four random edits: bit flips, interesting integers, byte insert/delete, splices."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(6)
        at = rng.randrange(len(buf)) if buf else 0
        if choice == 0 and buf:
            buf[at] ^= 1 << rng.randrange(8)
        elif choice == 1 and buf:
            value = rng.choice([0, 1, 0x7F, 0x80, 0xFF, 0x7FFFFFFF, 0xFFFFFFFF, 2**63 - 1, 2**64 - 1])
            width = rng.choice([1, 2, 4, 8])
            buf[at : at + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")
        elif choice == 2:
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif choice == 3 and buf:
            del buf[at : at + rng.randint(1, 16)]
        elif choice == 4:
            other = rng.choice(corpus)
            start = rng.randrange(len(other)) if other else 0
            buf[at:at] = other[start : start + rng.randint(1, 64)]
        elif buf:
            buf = buf[: rng.randrange(len(buf) + 1)]
    return bytes(buf)


def run_mutate(seconds: float, seed: int, findings_dir: Path) -> dict:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_MB << 20, MEMORY_LIMIT_MB << 20))
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as scratch:
        target = Target(_import_reader(), Path(scratch))
        rng, corpus = random.Random(seed), seeds()
        tried, findings, deadline = 0, [], time.monotonic() + seconds
        while time.monotonic() < deadline:
            data = mutate(rng.choice(corpus), rng, corpus)
            tried += 1
            try:
                target(data)
            except Exception as error:  # a finding: anything but the documented errors
                findings_dir.mkdir(parents=True, exist_ok=True)
                saved = findings_dir / f"mutate-{tried}.bin"
                saved.write_bytes(data)
                findings.append(f"`{saved}`: {type(error).__name__}: {error}\n\n```\n"
                                f"{''.join(traceback.format_exc(limit=-4))}```")  # fmt: skip
    return {"engine": f"seeded mutation (seed {seed})", "inputs": tried, "findings": findings, "coverage": "n/a"}


def atheris_worker(seconds: int, corpus_dir: Path, findings_dir: Path) -> None:
    import atheris

    reader = _import_reader(atheris.instrument_imports)
    scratch = Path(tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
    target = Target(reader, scratch)
    findings_dir.mkdir(parents=True, exist_ok=True)
    args = [sys.argv[0], f"-max_total_time={seconds}", "-timeout=20", f"-rss_limit_mb={MEMORY_LIMIT_MB}",
            f"-artifact_prefix={findings_dir}/", "-max_len=8192", "-print_final_stats=1", str(corpus_dir)]  # fmt: skip
    atheris.Setup(args, target)
    atheris.Fuzz()


def run_atheris(seconds: int, findings_dir: Path) -> dict:
    with tempfile.TemporaryDirectory() as corpus:
        for index, seed in enumerate(seeds()):
            (Path(corpus) / f"seed{index}").write_bytes(seed)
        command = [sys.executable, __file__, "--worker", "--seconds", str(seconds), "--corpus", corpus,
                   "--findings", str(findings_dir)]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 600)
    log = done.stderr
    runs = re.findall(r"Done (\d+) runs in", log) or re.findall(r"#(\d+)\s", log)
    coverage = re.findall(r"cov: (\d+) ft: (\d+)", log)
    findings = []
    for artifact in re.findall(r"Test unit written to (\S+)", log):
        excerpt = log[max(0, log.find("===")) :][:3000]
        findings.append(f"`{Path(artifact).resolve()}`\n\n```\n{excerpt}\n```")
    import atheris

    version = getattr(atheris, "__version__", None) or _pip_version("atheris")
    return {
        "engine": f"atheris {version} (libFuzzer), exit code {done.returncode}",
        "inputs": int(runs[-1]) if runs else 0,
        "findings": findings,
        "coverage": f"cov {coverage[-1][0]}, ft {coverage[-1][1]}" if coverage else "n/a",
    }


def _pip_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def write_report(result: dict, seconds: float, command: str) -> None:
    lines = [
        SECTION,
        "",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {platform.node() or '?'} · {platform.platform()} · {os.cpu_count()} CPUs · "
        f"Python {platform.python_version()}",
        f"- Engine: {result['engine']}; {seconds:.0f} s; coverage at the end: {result['coverage']}",
        f"- Command: `{command}`",
        f"- Inputs tried: {result['inputs']:,}",
        f"- Findings (errors other than UnsafeCheckpointError / MalformedCheckpointError, crashes, hangs, "
        f"> {MEMORY_LIMIT_MB} MB): {len(result['findings'])}",
        "",
        *[f"{i + 1}. {finding}\n" for i, finding in enumerate(result["findings"])],
    ]
    old = REPORT.read_text() if REPORT.is_file() else "# Fuzzing the .pth reader\n\nWritten by tools/fuzz_pth.py.\n"
    before, _, after = old.partition(SECTION)
    rest = after[after.find("\n## ") :] if "\n## " in after else ""
    REPORT.write_text(before.rstrip() + "\n\n" + "\n".join(lines).rstrip() + "\n" + rest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=300, help="fuzzing time")
    parser.add_argument("--engine", choices=("atheris", "mutate"), default="atheris")
    parser.add_argument("--seed", type=int, default=0, help="mutate engine only")
    parser.add_argument("--findings", type=Path, default=Path(tempfile.gettempdir()) / "fuzz_pth_findings",
                        help="where inputs that found something are saved")  # fmt: skip
    parser.add_argument("--no-report", action="store_true", help="do not rewrite benchmarks/FUZZ_RESULTS.md")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args(argv)
    if args.seconds < 1:
        sys.exit(f"error: --seconds must be positive, got {args.seconds}")
    if args.worker:
        atheris_worker(args.seconds, args.corpus, args.findings)
        return 0
    engine = args.engine
    if engine == "atheris":
        try:
            import atheris  # noqa: F401
        except ImportError:
            print("atheris is not installed (pip install atheris); using the seeded mutation fuzzer", file=sys.stderr)
            engine = "mutate"
    started = time.monotonic()
    result = run_atheris(args.seconds, args.findings) if engine == "atheris" else run_mutate(
        args.seconds, args.seed, args.findings
    )
    command = f"python tools/fuzz_pth.py --seconds {args.seconds} --engine {engine}"
    if not args.no_report:
        write_report(result, time.monotonic() - started, command)
    print(f"{result['engine']}: {result['inputs']:,} inputs, {len(result['findings'])} finding(s)")
    return 1 if result["findings"] else 0


if __name__ == "__main__":
    sys.exit(main())
