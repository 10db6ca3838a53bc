"""The one dispatch point by model family for training runs: which family wrote a run, and loading its generator.

Inference code never imports a family's training modules itself; it asks :func:`family_of` /
:func:`load_run_generator`, which name each family's checkpoint code (lazily, so that importing stays light).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras


@dataclass(frozen=True)
class Family:
    """A model family: how to recognise its run folders and rebuild a run's generator.

    Attributes:
        name: ``two_domain`` or ``multidomain``.
        module: the module holding the family's checkpoint code.
        detector: name of ``module``'s ``(path) -> bool`` that recognises the family's run folders, or ``None``
            for the default family.
        loader: name of ``module``'s loader; it takes ``(path, direction)`` when ``directional`` else ``(path)``.
        directional: whether the run holds one generator per direction (``AtoB`` / ``BtoA``).
    """

    name: str
    module: str
    detector: str | None
    loader: str
    directional: bool

    def _function(self, name: str) -> Callable:
        return getattr(importlib.import_module(self.module), name)

    def owns(self, path: Path) -> bool:
        """Whether ``path`` (a run dir or its ``checkpoints/``) is a run of this family."""
        return self.detector is None or bool(self._function(self.detector)(path))

    def load(self, path: Path, direction: str) -> keras.Model:
        """The run's generator (``direction`` picks one of two-domain runs' two generators)."""
        loader = self._function(self.loader)
        return loader(path, direction=direction) if self.directional else loader(path)


#: Most specific first: the last family, without a detector, takes every other run.
FAMILIES = (
    Family("multidomain", "attentiongan_tf.training.tasks.multi_domain_task", "is_multidomain_run",
           "load_multidomain_generator", directional=False),
    Family("two_domain", "attentiongan_tf.training.checkpoints", None, "load_generator", directional=True),
)  # fmt: skip


def family_of(path: str | os.PathLike) -> Family:
    """The family of the training run at ``path`` (a run dir or its ``checkpoints/``)."""
    return next(family for family in FAMILIES if family.owns(Path(path)))


def load_run_generator(path: str | os.PathLike, direction: str = "AtoB") -> keras.Model:
    """Rebuild the generator of the training run at ``path`` with its newest readable checkpoint.

    Args:
        path: a training output dir of either family, or its ``checkpoints/`` folder.
        direction: two-domain runs: ``AtoB`` (G_A) or ``BtoA`` (G_B); a multi-domain run has one generator.
    """
    return family_of(path).load(Path(path), direction)
