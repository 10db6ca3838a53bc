"""The folder of a training run: the output-dir guard, atomic writes, the metrics log and stale temporary files.

Used by both training loops (two-domain and multi-domain) so that every run follows the same rules:

- a new run starts only in a new or empty folder; a folder holding a run is continued with ``--resume`` or
  replaced with ``--overwrite``, which moves the old run's files to ``<output-dir>.replaced-<time>/`` and keeps
  every other file where it is;
- files the run rewrites (``config.json``, sample grids, the trimmed ``metrics.jsonl``) are written to a temporary
  file and renamed over the old one, so a kill or a full disk never leaves a half-written file;
- a resumed run drops the metrics rows logged after its checkpoint, and the temporary files of writes that were
  interrupted (TF's ``ckpt-N_temp/`` folders included) are removed when a run starts.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from attentiongan_tf.training.config_errors import ConfigError

logger = logging.getLogger(__name__)

CONFIG_NAME = "config.json"
CHECKPOINT_DIR = "checkpoints"
METRICS_NAME = "metrics.jsonl"
#: Everything a run writes into its folder (what ``--overwrite`` moves aside).
RUN_ENTRIES = (CONFIG_NAME, METRICS_NAME, CHECKPOINT_DIR, "samples", "logs", "demo_data")


class OutputDirError(FileExistsError):
    """The output dir holds a run or other files that a new run would overwrite."""


class NoRunError(FileNotFoundError):
    """``--resume`` names a folder without a training run."""


class RunWriteError(OSError):
    """A file of the run could not be written (read-only folder, full disk); the message names the file."""


def read_json(path: str | os.PathLike) -> dict:
    """The JSON object in ``path``; ``ValueError`` naming the file when it is truncated or not an object."""
    path = Path(path)
    try:
        values = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON (truncated or corrupt?): {error}") from None
    if not isinstance(values, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return values


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Write ``path`` all at once: ``write(temp)`` fills a temporary file next to it, which then replaces it.

    Args:
        path: the file to (re)write.
        write: called with the temporary path; writes the whole content there.

    Raises ``RunWriteError`` naming ``path`` on any ``OSError``; ``path`` keeps its previous content then.
    """
    path = Path(path)
    temp = _temp_name(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(temp)
        with open(temp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(temp, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        raise RunWriteError(f"cannot write {path}: {error.strerror or error}") from None
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """:func:`atomic_write` of a text file."""
    return atomic_write(path, lambda temp: temp.write_text(text))


def _visible_entries(root: Path) -> list[str]:
    """Names in ``root``, without hidden ones (``.DS_Store``, ``.ipynb_checkpoints``, our own temp files)."""
    return sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) if root.is_dir() else []


def check_flags(resume: bool, overwrite: bool) -> None:
    """``--resume`` and ``--overwrite`` exclude each other."""
    if resume and overwrite:
        raise ValueError("--resume and --overwrite exclude each other: continue the run or replace it")


def check_output_dir(output_dir: str | os.PathLike, resume: bool, overwrite: bool) -> None:
    """Refuse what would lose or mix runs; reads only.

    Args:
        output_dir: the run folder.
        resume: continue the run in it (it must hold one: a ``config.json``).
        overwrite: replace what it holds (see :func:`prepare_output_dir`).

    Raises ``ValueError`` (both flags), ``NoRunError`` (``resume`` without a run) or ``OutputDirError`` (a new
    run in a non-empty folder without ``overwrite``).
    """
    root = Path(output_dir)
    check_flags(resume, overwrite)
    if root.exists() and not root.is_dir():
        raise OutputDirError(f"--output-dir {root} is a file, not a folder")
    is_run = (root / CONFIG_NAME).is_file()
    if resume:
        if not is_run:
            raise NoRunError(
                f"--resume: {root} holds no training run (no {CONFIG_NAME}); start one without --resume"
            )
        return
    entries = _visible_entries(root)
    if not entries or overwrite:
        return
    if is_run:
        raise OutputDirError(
            f"--output-dir {root} already holds a training run; pass --resume to continue it, --overwrite to "
            "replace it (its files are moved aside) or choose another --output-dir"
        )
    shown = ", ".join(entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5 else "")
    raise OutputDirError(
        f"--output-dir {root} is not empty ({shown}) and holds no training run to resume; choose a new or "
        "empty folder, or pass --overwrite (moves this project's run files aside, keeps the others)"
    )


def move_run_aside(output_dir: str | os.PathLike) -> Path | None:
    """Move the run files (:data:`RUN_ENTRIES`) of ``output_dir`` to a new sibling ``<name>.replaced-<time>``.

    Returns that folder (``None`` when there was nothing to move). Other files stay and are named in a warning.
    """
    root = Path(output_dir).resolve()
    known = [root / name for name in RUN_ENTRIES if (root / name).exists()]
    others = [name for name in _visible_entries(root) if name not in RUN_ENTRIES]
    if others:
        logger.warning("--overwrite: keeping %d other entr(ies) of %s in place: %s", len(others), root,
                       ", ".join(others[:5]))
    if not known:
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = root.with_name(f"{root.name}.replaced-{stamp}")
    for n in range(1, 1000):
        if not target.exists():
            break
        target = root.with_name(f"{root.name}.replaced-{stamp}-{n}")
    try:
        target.mkdir()
        for path in known:
            os.replace(path, target / path.name)
    except OSError as error:
        raise RunWriteError(f"--overwrite: cannot move the old run from {root} to {target}: {error}") from None
    logger.warning("--overwrite: moved the previous run (%s) to %s; delete it when you no longer need it",
                   ", ".join(p.name for p in known), target)
    return target


def clean_stale_temp(output_dir: str | os.PathLike) -> list[Path]:
    """Remove what interrupted writes left behind: TF's ``checkpoints/*_temp*`` folders and ``checkpoint.tmp*``
    index files, and this module's hidden ``.<name>.<pid>.tmp`` files. Returns the removed paths."""
    root = Path(output_dir)
    checkpoints = root / CHECKPOINT_DIR
    stale = [p for p in checkpoints.glob("*_temp*") if p.is_dir()] + list(checkpoints.glob("checkpoint.tmp*"))
    stale += [p for folder in (root, root / "samples") for p in folder.glob(".*.tmp") if p.is_file()]
    for path in stale:
        try:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        except OSError as error:
            raise RunWriteError(f"cannot remove {path} (left by an interrupted write): {error.strerror}") from None
    if stale:
        logger.info("removed %d temporary file(s) left by an interrupted write: %s", len(stale),
                    ", ".join(p.name for p in stale))
    return stale


def prepare_output_dir(output_dir: str | os.PathLike, resume: bool = False, overwrite: bool = False) -> Path:
    """:func:`check_output_dir`, then (``overwrite``) :func:`move_run_aside`, create the folder and
    :func:`clean_stale_temp`. Returns the folder."""
    check_output_dir(output_dir, resume, overwrite)
    root = Path(output_dir)
    if overwrite and root.is_dir():
        move_run_aside(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunWriteError(f"cannot create --output-dir {root}: {error.strerror or error}") from None
    clean_stale_temp(root)
    return root


def check_steps(steps: int, start: int, checkpoint: str | None, field: str = "train.steps") -> None:
    """The schedule (config ``field``, ``train.steps`` or a multi-domain config's ``steps``) must not end
    before the step a run resumes from; a :class:`ConfigError` naming ``field`` otherwise."""
    if steps < start:
        problem = f"{steps} is below step {start} of the checkpoint {checkpoint} being resumed; "
        problem += f"set it to {start} or more"
        raise ConfigError(field, problem)


def truncate_metrics(path: str | os.PathLike, step: int) -> int:
    """Keep the rows of ``path`` (JSON lines) up to ``step``; drop later ones and torn lines. Returns the number
    of lines dropped (the file is rewritten atomically, only when something is dropped)."""
    path = Path(path)
    if not path.is_file():
        return 0
    lines = path.read_text().splitlines()
    kept = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("step"), int) and record["step"] <= step:
            kept.append(line)
    dropped = len(lines) - len(kept)
    if dropped:
        atomic_write_text(path, "".join(line + "\n" for line in kept))
        logger.info("%s: dropped %d row(s) logged after step %d (the step resumed from)", path, dropped, step)
    return dropped


@dataclass
class RunDir:
    """The files one process writes for a run; a non-chief worker (``chief=False``) writes none of them.

    Args:
        root: the run folder (``--output-dir``).
        chief: whether this process writes the run's files.
    """

    root: Path
    chief: bool = True

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def metrics_path(self) -> Path:
        return self.root / METRICS_NAME

    def prepare(self, resume: bool, overwrite: bool) -> None:
        """:func:`prepare_output_dir` (chief only: the others share or do not see its folder)."""
        if self.chief:
            prepare_output_dir(self.root, resume, overwrite)

    def begin(self, start: int, write_config: Callable[[Path], object]) -> None:
        """Before the first step: trim ``metrics.jsonl`` to ``start`` and (re)write ``config.json`` atomically."""
        if self.chief:
            truncate_metrics(self.metrics_path, start)
            atomic_write(self.config_path, write_config)

    def log(self, record: dict) -> None:
        """Append one row to ``metrics.jsonl``."""
        if not self.chief:
            return
        try:
            with self.metrics_path.open("a") as f:
                f.write(json.dumps(record) + "\n")
        except OSError as error:
            raise RunWriteError(f"cannot write {self.metrics_path}: {error.strerror or error}") from None
