"""One-line errors for the command-line tools that read model files (convert, translate, export, evaluate)."""

from __future__ import annotations

import os

# What the loaders raise for a missing, unreadable, unsafe or damaged file: FileNotFoundError and
# PermissionError are OSErrors; UnsafeCheckpointError and MalformedCheckpointError are ValueErrors.
MODEL_FILE_ERRORS: tuple[type[Exception], ...] = (OSError, ValueError)


def model_file_error(path: str | os.PathLike, error: BaseException) -> str:
    """``error: <path>: <reason>`` on one line (the reason alone when it already names ``path``).

    Args:
        path: the model file or folder the user gave.
        error: what loading it raised.

    Example:
        >>> model_file_error("g.pth", ValueError("g.pth: not a PyTorch checkpoint"))
        'error: g.pth: not a PyTorch checkpoint'
    """
    path = os.fspath(path)
    reason = " ".join(str(error).split()) or type(error).__name__
    return f"error: {reason}" if path in reason else f"error: {path}: {reason}"
