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

from attentiongan_tf.training.tasks.registry import MULTI_DOMAIN, TWO_DOMAIN, kind_of_run


@dataclass(frozen=True)
class Family:
    """A model family: which kind of run it is and how to rebuild the run's generator.

    Attributes:
        name: the config ``kind`` (``two_domain`` or ``multidomain``, as in ``config.json`` and export metadata).
        module: the module holding the family's checkpoint code.
        loader: name of ``module``'s loader; it takes ``(path, direction)`` when ``directional`` else ``(path)``.
        directional: whether the run holds one generator per direction (``AtoB`` / ``BtoA``).
    """

    name: str
    module: str
    loader: str
    directional: bool

    def load(self, path: Path, direction: str) -> keras.Model:
        """The run's generator (``direction`` picks one of two-domain runs' two generators)."""
        loader: Callable = getattr(importlib.import_module(self.module), self.loader)
        return loader(path, direction=direction) if self.directional else loader(path)


FAMILIES = {
    MULTI_DOMAIN: Family(MULTI_DOMAIN, "attentiongan_tf.training.tasks.multi_domain_task", "load_multidomain_generator",
                         directional=False),
    TWO_DOMAIN: Family(TWO_DOMAIN, "attentiongan_tf.training.checkpoints", "load_generator", directional=True),
}  # fmt: skip


def family_of(path: str | os.PathLike) -> Family:
    """The family of the training run at ``path`` (a run dir or its ``checkpoints/``), by the run's config kind
    (:func:`attentiongan_tf.training.tasks.registry.kind_of_run`; a folder without config.json is two-domain)."""
    return FAMILIES[kind_of_run(path) or TWO_DOMAIN]


def load_run_generator(path: str | os.PathLike, direction: str = "AtoB") -> keras.Model:
    """Rebuild the generator of the training run at ``path`` with its newest readable checkpoint.

    Args:
        path: a training output dir of either family, or its ``checkpoints/`` folder.
        direction: two-domain runs: ``AtoB`` (G_A) or ``BtoA`` (G_B); a multi-domain run has one generator.
    """
    return family_of(path).load(Path(path), direction)
