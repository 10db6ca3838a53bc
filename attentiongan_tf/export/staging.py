"""Write an export folder or file next to its final place and move it there only once it is complete.

A failed or interrupted conversion then never leaves a half-written ``tfjs/float32/`` (or ``.onnx``) behind
that a rerun would refuse to replace without ``--overwrite``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextlib.contextmanager
def staged_path(final: str | os.PathLike, is_dir: bool = True) -> Iterator[Path]:
    """Yield a hidden temporary sibling of ``final`` to write into; on success it replaces ``final``.

    Args:
        final: the folder (``is_dir``) or file the export ends up at; an existing one is replaced only at the
            end, after the new one is complete (the caller checks ``--overwrite`` before).
        is_dir: whether the export is a folder (yielded created and empty) or a single file (yielded absent).

    On any exception the temporary sibling is removed and ``final`` is left as it was.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-", dir=final.parent))
    target = staging if is_dir else staging / final.name
    try:
        yield target
        if final.exists():
            _remove(final)
        os.replace(target, final)
    finally:
        _remove(staging)
