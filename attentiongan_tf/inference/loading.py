"""Load a generator from whatever a user has: a ``.keras`` file, an official ``.pth`` or a training run."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import keras

from attentiongan_tf.inference.families import load_run_generator
from attentiongan_tf.training.checkpoints import DIRECTIONS

TRUSTED_PACKAGES = ("keras", "attentiongan_tf")  # the only modules a generator's config may name
MAX_CONFIG_BYTES = 16 << 20


def _config_names(config: Any) -> list[str]:
    """Every ``module`` and ``registered_name`` package named anywhere in a Keras config (iteratively)."""
    names, pending = [], [config]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            for field in ("module", "registered_name"):
                value = node.get(field)
                if isinstance(value, str) and (field == "module" or ">" in value):
                    names.append(value)
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return names


def _is_trusted(name: str) -> bool:
    package = name.split(">", 1)[0].split(".", 1)[0]
    return package in TRUSTED_PACKAGES


def check_keras_archive(path: Path) -> None:
    """Refuse a ``.keras`` file that is not a sane zip with ``config.json``, or whose config names other code.

    Keras (``safe_mode=True``) already refuses lambdas and imports outside its own packages; this check
    runs first so that every refusal is one clear line naming the file, and no entry is inflated past
    :class:`attentiongan_tf.official.torch_tensors.ReadLimits` (zip bombs).

    Raises:
        ValueError: not a zip, no or unreadable ``config.json``, too large, or a module outside
            ``keras`` / ``attentiongan_tf``.
    """
    from attentiongan_tf.official.torch_storages import is_zip_archive, read_entry
    from attentiongan_tf.official.torch_tensors import ReadLimits

    if not is_zip_archive(path, str(path)):
        raise ValueError(f"{path}: not a .keras file (a .keras file is a zip archive holding config.json)")
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(info.file_size for info in archive.infolist())
            limit = ReadLimits().max_total_bytes
            if declared > limit:
                raise ValueError(f"{path}: declares {declared:,} uncompressed bytes, over the limit of {limit:,}")
            if "config.json" not in archive.namelist():
                raise ValueError(f"{path}: no config.json in the archive, so not a .keras model")
            info = archive.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise ValueError(f"{path}: config.json takes {info.file_size:,} bytes, over the limit")
            text = read_entry(archive, info, str(path))
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ValueError(f"{path}: damaged .keras archive ({error})") from error
    try:
        config = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"{path}: config.json is not JSON or is nested too deeply ({type(error).__name__})") from None
    untrusted = sorted({n for n in _config_names(config) if not _is_trusted(n)})
    if untrusted:
        raise ValueError(
            f"{path}: refusing to load: its config names module {untrusted[0][:80]!r}, but an AttentionGAN .keras "
            "file only uses keras and attentiongan_tf classes. Only load models you trust."
        )


def _load_keras(path: Path) -> keras.Model:
    import attentiongan_tf  # noqa: F401  (registers the custom classes for deserialization)
    import attentiongan_tf.models.conditional  # noqa: F401

    check_keras_archive(path)
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras and h5py raise many types for a damaged file; report one line
        reason = " ".join(str(error).split())[:300]
        raise ValueError(f"{path}: not a loadable .keras model ({type(error).__name__}: {reason})") from error
    if not hasattr(model, "n_masks"):
        raise ValueError(f"{path} holds a {type(model).__name__}, not an AttentionGAN generator")
    return model


def _is_training_dir(path: Path) -> bool:
    return (path / "config.json").is_file() or (path / "checkpoints").is_dir() or path.name == "checkpoints"


def load_generator_any(
    path: str | os.PathLike,
    direction: str = "AtoB",
    variant: str | None = None,
    ngf: int | None = None,
    n_blocks: int | None = None,
) -> keras.Model:
    """Build a generator with trained weights from a ``.keras`` file, an official ``.pth`` or a training dir.

    Args:
        path: ``model.keras`` (a saved generator); an official PyTorch ``*_net_G_A.pth`` / ``*_net_G_B.pth``
            state dict; or a training output dir (with ``config.json`` and ``checkpoints/``) or its
            ``checkpoints/`` folder, of either family (a multi-domain run gives its label-conditioned generator,
            with ``domain_names`` set).
        direction: ``"AtoB"`` (G_A) or ``"BtoA"`` (G_B); used for two-domain training dirs, where both live
            (a ``.keras`` or ``.pth`` file holds one generator, whose direction is the file's).
        variant: official checkpoints only: ``"scheme2"`` (default) or ``"geo"``.
        ngf: official checkpoints only: first conv width (default 64).
        n_blocks: official checkpoints only: ResNet blocks (default 9).

    Returns:
        the generator, a built ``keras.Model`` returning ``{"image", "attention", "content"}``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: unknown direction, unsupported file type, a file that is not a generator, or a damaged or
            unsafe file (for ``.pth``: ``UnsafeCheckpointError`` / ``MalformedCheckpointError``, both ValueErrors).

    Example:
        >>> g = load_generator_any("latest_net_G_A.pth")  # doctest: +SKIP
        >>> g = load_generator_any("runs/horse2zebra", direction="BtoA")  # doctest: +SKIP
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {tuple(DIRECTIONS)}, got {direction!r}")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    official_options = {"variant": variant, "ngf": ngf, "n_blocks": n_blocks}
    suffix = path.suffix.lower()
    if path.is_file() and suffix != ".pth":
        given = [k for k, v in official_options.items() if v is not None]
        if given:
            raise ValueError(f"{path}: {', '.join(given)} only apply to official .pth checkpoints")
    if path.is_file() and suffix == ".keras":
        return _load_keras(path)
    if path.is_file() and suffix == ".pth":
        from attentiongan_tf.official.convert import load_official_generator

        return load_official_generator(
            path,
            variant=variant or "scheme2",
            ngf=64 if ngf is None else ngf,
            n_blocks=9 if n_blocks is None else n_blocks,
        )
    if path.is_dir() and _is_training_dir(path):
        return load_run_generator(path, direction=direction)
    raise ValueError(
        f"unsupported checkpoint {path}: expected a .keras file, an official .pth state dict, or a training "
        "output dir (config.json + checkpoints/) or its checkpoints/ folder"
    )
