"""Load a generator from whatever a user has: a ``.keras`` file, an official ``.pth`` or a training run."""

from __future__ import annotations

import os
from pathlib import Path

import keras

DIRECTIONS = ("AtoB", "BtoA")


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
            ``checkpoints/`` folder.
        direction: ``"AtoB"`` (G_A) or ``"BtoA"`` (G_B); used for training dirs, where both generators live
            (a ``.keras`` or ``.pth`` file holds one generator, whose direction is the file's).
        variant: official checkpoints only: ``"scheme2"`` (default) or ``"geo"``.
        ngf: official checkpoints only: first conv width (default 64).
        n_blocks: official checkpoints only: ResNet blocks (default 9).

    Returns:
        the generator, a built ``keras.Model`` returning ``{"image", "attention", "content"}``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: unknown direction, unsupported file type, or a file that is not a generator.

    Example:
        >>> g = load_generator_any("latest_net_G_A.pth")  # doctest: +SKIP
        >>> g = load_generator_any("runs/horse2zebra", direction="BtoA")  # doctest: +SKIP
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
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
        import attentiongan_tf  # noqa: F401  (registers the custom classes for deserialization)
        import attentiongan_tf.multidomain.models  # noqa: F401

        model = keras.saving.load_model(path, compile=False)
        if not hasattr(model, "n_masks"):
            raise ValueError(f"{path} holds a {type(model).__name__}, not an AttentionGAN generator")
        return model
    if path.is_file() and suffix == ".pth":
        from attentiongan_tf.convert import load_official_generator

        return load_official_generator(
            path,
            variant=variant or "scheme2",
            ngf=64 if ngf is None else ngf,
            n_blocks=9 if n_blocks is None else n_blocks,
        )
    if path.is_dir() and _is_training_dir(path):
        from attentiongan_tf.checkpoints import load_generator
        from attentiongan_tf.multidomain.checkpoints import is_multidomain_run, load_multidomain_generator

        if is_multidomain_run(path):
            return load_multidomain_generator(path)  # one generator for every target domain

        return load_generator(path, direction=direction)
    raise ValueError(
        f"unsupported checkpoint {path}: expected a .keras file, an official .pth state dict, or a training "
        "output dir (config.json + checkpoints/) or its checkpoints/ folder"
    )
