"""Module paths of the flat 0.1 package keep working: ``import attentiongan_tf.config`` still imports (and warns).

Each old path is an alias of the module's new home (the same module object, so monkeypatching either works);
:func:`install` puts the finder on ``sys.meta_path`` when ``attentiongan_tf`` is imported.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

#: old path → new path, both under ``attentiongan_tf.``
MOVED = {
    "checkpoints": "training.checkpoints",
    "config": "training.config",
    "convert": "official.convert",
    "demo_data": "data.demo",
    "discriminators": "models.discriminators",
    "evaluation": "metrics.evaluation",
    "generators": "models.generators",
    "grids": "data.grids",
    "image_io": "data.images",
    "image_pool": "training.image_pool",
    "losses": "training.losses",
    "model_io": "inference.loading",
    "multidomain.checkpoints": "training.tasks.multi_domain_task",
    "multidomain.config": "training.tasks.multi_domain_config",
    "multidomain.inference": "inference.domains",
    "multidomain.losses": "training.tasks.multi_domain_losses",
    "multidomain.trainer": "training.tasks.multi_domain",
    "multidomain.training_loop": "training.tasks.multi_domain_task",
    "optimizers": "training.optimizers",
    "run_dir": "training.run_dir",
    "schedules": "training.schedules",
    "signals": "training.signals",
    "strategies": "training.strategies",
    "summaries": "training.summaries",
    "trainer": "training.tasks.two_domain",
    "training_loop": "training.loop",
    "validation": "training.validation",
}
_PREFIX = "attentiongan_tf."


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, new: str):
        self.new = new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(f"{spec.name} moved to {self.new}; import it from there", DeprecationWarning, stacklevel=2)
        return importlib.import_module(self.new)

    def exec_module(self, module: ModuleType) -> None:
        """The new module is already executed."""


class MovedModuleFinder(importlib.abc.MetaPathFinder):
    """Finds the old dotted paths of :data:`MOVED` and loads the module at its new path."""

    def find_spec(self, fullname: str, path=None, target=None) -> importlib.machinery.ModuleSpec | None:
        old = fullname[len(_PREFIX) :] if fullname.startswith(_PREFIX) else None
        if old not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(_PREFIX + MOVED[old]))


def install() -> None:
    """Register the finder once (idempotent)."""
    if not any(isinstance(finder, MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.append(MovedModuleFinder())
