"""Old module paths of the flat package (before the ``nn``/``models``/``official``/``data`` floors) keep working."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any


def moved_module(old: str, new: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``old`` that forwards to ``new`` with a ``DeprecationWarning``.

    Args:
        old: the old dotted module path (the shim's ``__name__``).
        new: where the module lives now.

    Example:
        >>> __getattr__ = moved_module(__name__, "attentiongan_tf.official.convert")  # in the old module
    """

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        warnings.warn(f"{old} moved to {new}; import it from there", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(new), name)

    return __getattr__
