"""The model families the training loop knows, by ``kind``; the one place that dispatches between them."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from attentiongan_tf.training.config import TWO_DOMAIN_PRESETS, Config, preset
from attentiongan_tf.training.config_errors import ConfigError
from attentiongan_tf.training.run_dir import CONFIG_NAME, read_json
from attentiongan_tf.training.tasks.base import Task
from attentiongan_tf.training.tasks.multi_domain_config import (
    MULTI_DOMAIN_PRESETS,
    MultiDomainConfig,
    is_multidomain_values,
)

TWO_DOMAIN = Config.kind
MULTI_DOMAIN = MultiDomainConfig.kind
KINDS = (TWO_DOMAIN, MULTI_DOMAIN)
#: The config of a run of either kind.
RunConfig = Config | MultiDomainConfig


#: preset name -> the kind of run it configures.
PRESET_KINDS = {
    **{name: Config.kind for name in TWO_DOMAIN_PRESETS},
    **{name: MultiDomainConfig.kind for name in MULTI_DOMAIN_PRESETS},
}


def preset_config(name: str) -> RunConfig:
    """A fresh copy of the preset ``name`` of either kind.

    Example:
        >>> preset_config("multidomain_demo").kind
        'multidomain'
    """
    if name in MULTI_DOMAIN_PRESETS:
        return copy.deepcopy(MULTI_DOMAIN_PRESETS[name])
    if name in TWO_DOMAIN_PRESETS:
        return preset(name)
    raise ConfigError("preset", f"must be one of {', '.join(PRESET_KINDS)}, got {name!r}")


def task_for_kind(kind: str) -> Task:
    """The task object of ``kind`` (its modules are imported on first use)."""
    if kind == TWO_DOMAIN:
        from attentiongan_tf.training.tasks.two_domain_task import TwoDomainTask

        return TwoDomainTask()
    if kind == MULTI_DOMAIN:
        from attentiongan_tf.training.tasks.multi_domain_task import MultiDomainTask

        return MultiDomainTask()
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


def task_for(config: Any) -> Task:
    """The task that trains ``config`` (a two-domain ``Config`` or a ``MultiDomainConfig``), by its ``kind``."""
    return task_for_kind(getattr(config, "kind", TWO_DOMAIN))


def kind_of_values(values: dict) -> str:
    """The kind of a ``config.json``'s content; configs written before ``kind`` existed are recognised by
    their layout (a multi-domain run's is ``{"preset": "multidomain", "config": {...}}``)."""
    if "kind" in values:
        if values["kind"] not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {values['kind']!r}")
        return values["kind"]
    return MULTI_DOMAIN if is_multidomain_values(values) else TWO_DOMAIN


def kind_of_run(path: str | os.PathLike) -> str | None:
    """The kind of the run in ``path`` (a run dir or its ``checkpoints/``), ``None`` without a ``config.json``."""
    path = Path(path)
    for candidate in (path / CONFIG_NAME, path.parent / CONFIG_NAME):
        if candidate.is_file():
            return kind_of_values(read_json(candidate))
    return None


def load_run_config(path: str | os.PathLike) -> Any:
    """The config of the run in ``path`` (a two-domain ``Config`` or a ``MultiDomainConfig``), by its kind; a
    dataroot recorded inside the run folder is found again when the folder was moved (``ValueError`` naming
    config.json when the dataset is nowhere)."""
    config: Config | MultiDomainConfig
    if kind_of_run(path) == MULTI_DOMAIN:
        from attentiongan_tf.training.tasks.multi_domain_task import read_multidomain_run

        config = read_multidomain_run(path).config
    else:
        from attentiongan_tf.training.tasks.two_domain_task import load_run_config as load_two_domain

        config = load_two_domain(Path(path) / CONFIG_NAME)
    _relocate_dataroot(config, Path(path))
    return config


def _relocate_dataroot(config: Config | MultiDomainConfig, output_dir: Path) -> None:
    """Find a run's dataset again when the run folder was moved or ``train.py`` starts elsewhere.

    config.json records paths as given, relative to the folder the run was started in; the demo data lives
    inside the run folder, so a dataroot under the recorded run folder is looked up under ``output_dir``.

    Raises:
        ValueError: the recorded dataroot exists neither as recorded nor inside ``output_dir``.
    """
    if isinstance(config, Config):
        recorded, recorded_run = config.data.dataroot, config.train.output_dir
    else:
        recorded, recorded_run = config.dataroot, config.output_dir
    if recorded is None or Path(recorded).is_dir():
        return
    try:
        inside = Path(recorded).relative_to(recorded_run)
    except ValueError:
        inside = None
    if inside is None or not (output_dir / inside).is_dir():
        raise ValueError(f"{output_dir / 'config.json'}: dataroot {recorded} does not exist (relative to the folder "
                         "the run was started in: start train.py there, or move the dataset back)")
    if isinstance(config, Config):
        config.data.dataroot = str(output_dir / inside)
    else:
        config.dataroot = str(output_dir / inside)
