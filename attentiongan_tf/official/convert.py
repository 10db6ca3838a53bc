"""Import official AttentionGAN PyTorch checkpoints (``*_net_G_A.pth``, ``*_net_D_A.pth``).

Weights are read with :func:`attentiongan_tf.official.torch_pickle.read_torch_state_dict`
(no torch, no arbitrary unpickling). Converted official weights inherit the
official licence, CC BY-NC-SA 4.0 (non-commercial).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import keras
import numpy as np

from attentiongan_tf.models.discriminators import PatchGANDiscriminator, build_discriminator
from attentiongan_tf.models.generators import AttentionGANGenerator, build_generator
from attentiongan_tf.official.torch_pickle import read_torch_state_dict

GENERATOR_VARIANTS = ("scheme2", "geo")


def _torch_to_keras_kernel(weight: np.ndarray) -> np.ndarray:
    # Conv2d (out, in, kh, kw) and ConvTranspose2d (in, out, kh, kw) both map to Keras
    # (kh, kw, in, out) resp. (kh, kw, out, in) with the same axis permutation; no flip.
    return np.transpose(weight, (2, 3, 1, 0))


def _generator_layers(model: AttentionGANGenerator) -> Iterator[tuple[str, keras.layers.Layer]]:
    encoder = model.encoder
    yield "conv1", encoder.conv_in
    yield "conv2", encoder.downs[0]
    yield "conv3", encoder.downs[1]
    for i, block in enumerate(encoder.blocks):
        yield f"resnet_blocks.{i}.conv1", block.conv1
        yield f"resnet_blocks.{i}.conv2", block.conv2
    for head, suffix in ((model.content_head, "content"), (model.attention_head, "attention")):
        yield f"deconv1_{suffix}", head.ups[0].deconv
        yield f"deconv2_{suffix}", head.ups[1].deconv
        yield f"deconv3_{suffix}", head.conv_out


def _discriminator_layers(model: PatchGANDiscriminator) -> Iterator[tuple[str, keras.layers.Layer]]:
    # Official nn.Sequential: conv, lrelu, then (conv, norm, lrelu) × n_layers, then the output conv.
    indices = [0] + [2 + 3 * k for k in range(model.n_layers)] + [2 + 3 * model.n_layers]
    for index, conv in zip(indices, model.convs, strict=True):
        yield f"model.{index}", conv


def _checked_weight(value: np.ndarray, key: str, path: str) -> np.ndarray:
    # A damaged or crafted file can hold integers (cast silently, they would be garbage weights) or NaN.
    if value.dtype.kind != "f":
        raise ValueError(f"{path}: {key!r} holds {value.dtype} values, but AttentionGAN weights are floating point")
    if not np.isfinite(value).all():
        raise ValueError(f"{path}: {key!r} holds NaN or infinite values; the checkpoint is damaged or diverged")
    return value


def _assign(model: keras.Model, layers: Iterator[tuple[str, keras.layers.Layer]], state: dict, path: str) -> None:
    used = set()
    for prefix, layer in layers:
        for suffix, variable in (("weight", layer.kernel), ("bias", layer.bias)):
            key = f"{prefix}.{suffix}"
            if key not in state:
                raise ValueError(f"{path}: missing {key!r}; is this an official AttentionGAN checkpoint of this kind?")
            value = _checked_weight(state[key], key, path).astype(variable.dtype)
            if suffix == "weight":
                value = _torch_to_keras_kernel(value)
            if tuple(variable.shape) != value.shape:
                raise ValueError(
                    f"{path}: {key!r} has shape {state[key].shape}, which does not fit the requested "
                    f"architecture (Keras expects {tuple(variable.shape)}); check ngf / n_blocks / variant"
                )
            variable.assign(value)
            used.add(key)
    unused = sorted(k for k in state if k not in used and not k.endswith("num_batches_tracked"))
    if unused:
        raise ValueError(f"{path}: {len(unused)} unexpected entries for {model.name}, e.g. {unused[:3]}")


def infer_generator_architecture(state: dict[str, np.ndarray]) -> dict:
    """Read ``variant``, ``ngf``, ``n_blocks`` and ``n_masks`` off an official scheme II / geo state dict."""
    for key in ("conv1.weight", "deconv3_attention.weight", "deconv3_content.weight"):
        if key not in state:
            raise ValueError(f"not an official AttentionGAN scheme II generator state dict (no {key})")
        if state[key].ndim != 4:
            raise ValueError(f"{key!r} has shape {state[key].shape}; a convolution weight is 4-D")
    n_masks = int(state["deconv3_attention.weight"].shape[0])
    content_images = int(state["deconv3_content.weight"].shape[0]) // 3
    blocks = {k.split(".")[1] for k in state if k.startswith("resnet_blocks.")}
    return {
        "variant": "geo" if content_images == n_masks else "scheme2",
        "ngf": int(state["conv1.weight"].shape[0]),
        "n_blocks": len(blocks),
        "n_masks": n_masks,
    }


def load_official_generator(
    path: str | os.PathLike, variant: str = "scheme2", ngf: int = 64, n_blocks: int = 9, **kwargs
) -> AttentionGANGenerator:
    """Build a scheme II (or geo) generator holding the weights of an official ``*_net_G_*.pth``.

    Args:
        path: official generator state dict (``latest_net_G_A.pth`` for A→B).
        variant: ``"scheme2"`` (default; horse2zebra, maps, ...) or ``"geo"`` (selfie2anime code).
        ngf: width the checkpoint was trained with (official 64).
        n_blocks: ResNet blocks (official 9).
        **kwargs: passed to the generator (e.g. ``dtype="float64"`` for a float64 reference).

    Raises:
        ValueError: the file does not match the requested architecture (the message names what it looks like),
            or holds non-float or non-finite weights.
        attentiongan_tf.official.torch_pickle.UnsafeCheckpointError: the file contains code (a ``ValueError``).
        attentiongan_tf.official.torch_pickle.MalformedCheckpointError: the file is damaged or lies about its tensors.
    """
    if variant not in GENERATOR_VARIANTS:
        raise ValueError(f"variant must be one of {GENERATOR_VARIANTS}, got {variant!r}")
    state = read_torch_state_dict(path)
    try:
        found = infer_generator_architecture(state)
    except ValueError as error:
        raise ValueError(f"{os.fspath(path)}: {error}") from error
    requested = {"variant": variant, "ngf": ngf, "n_blocks": n_blocks}
    mismatched = {k: found[k] for k in requested if found[k] != requested[k]}
    if mismatched:
        hint = ", ".join(f"{k}={v!r}" for k, v in mismatched.items())
        raise ValueError(f"{os.fspath(path)}: checkpoint does not match {requested}; it looks like {hint}")
    model = build_generator(variant, ngf=ngf, n_blocks=n_blocks, n_masks=found["n_masks"], **kwargs)
    _assign(model, _generator_layers(model), state, os.fspath(path))
    return model


def load_official_discriminator(
    path: str | os.PathLike, ndf: int = 64, n_layers: int = 3, **kwargs
) -> PatchGANDiscriminator:
    """Build a PatchGAN discriminator holding the weights of an official ``*_net_D_*.pth`` (instance norm).

    ``**kwargs`` are passed to the discriminator (e.g. ``dtype``).
    """
    state = read_torch_state_dict(path)
    model = build_discriminator(ndf=ndf, n_layers=n_layers, **kwargs)
    _assign(model, _discriminator_layers(model), state, os.fspath(path))
    return model
