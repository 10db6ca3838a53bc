"""Run a generator from a checkpoint or from ANY exported artifact on uint8 images of any size.

Every runner takes a list of (H, W, 3) uint8 images and returns, per image, a
:class:`~attentiongan_tf.inference.translation.Translation`: ``image`` (H, W, 3) uint8, ``attention``
(H, W, n) float32 in [0, 1] (last mask = background) and ``content`` (H, W, k, 3) float32 in [-1, 1]. The
exported artifacts do the reflection padding to a valid size themselves
(``translate_float`` signature); the Keras runner applies the same function.

One hierarchy serves both model families: a multi-domain model (Keras, SavedModel, TFLite, ONNX or TF.js)
takes a second input, the target-domain label, chosen once per runner with ``target``.
"""

from __future__ import annotations

import abc
import os
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from attentiongan_tf.data.images import to_uint8
from attentiongan_tf.export.serving import label_input_of, translate_any_size
from attentiongan_tf.inference.domains import label_vector
from attentiongan_tf.inference.pixels import to_model_input
from attentiongan_tf.inference.translation import Translation

#: A target domain: a name, names joined by ``+``, ``"0,1,0"`` or a sequence of label values.
Target = str | Sequence[float]


class Runner(abc.ABC):
    """Base of the runners: ``run_raw`` gives the float outputs, ``run`` the uint8 image with float masks.

    Attributes:
        kind: the runtime (``keras``, ``savedmodel``, ``tflite``, ``onnx``, ``tfjs``).
        label_size: label entries of a multi-domain model, ``None`` for a two-domain one.
        domains: names of the label columns where the artifact stores them (else ``domain_0 ...`` apply).
        label: the (label_size,) float32 target label fed with every image, ``None`` for two domains.
    """

    kind = "base"
    label_size: int | None = None
    domains: list[str] = []
    label: np.ndarray | None = None

    def choose_target(
        self,
        target: Target | None,
        label_size: int | None,
        domains: Sequence[str] | None,
        source: str,
        what: str = "model",
    ) -> None:
        """Set the label input: required for a multi-domain model (``label_size``), refused for a two-domain one.

        Args:
            target: the target domain (``--target-domain``), or ``None``.
            label_size: label entries the model takes (``None``: no label input).
            domains: names of the label columns, when known.
            source: the model in the errors (its path, or e.g. ``"this ConditionalAttentionGenerator"``).
            what: what kind of model it is, for the errors (e.g. ``"SavedModel"``).

        Raises:
            ValueError: a target for a two-domain model, none for a multi-domain one, or an unknown domain.
        """
        self.label_size, self.domains = label_size, list(domains or [])
        if label_size is None:
            if target is not None:
                raise ValueError(
                    f"--target-domain only applies to multi-domain models; {source} is a two-domain {what}"
                )
            return
        if target is None:
            raise ValueError(f"{source} is a multi-domain {what}: choose the output with --target-domain")
        self.label = label_vector(target, label_size, self.domains)

    @abc.abstractmethod
    def run_raw(self, images: list[np.ndarray]) -> list[Translation]:
        """Per image, a :class:`Translation` with the float ``image`` (H, W, 3) in [-1, 1]."""

    def run(self, images: list[np.ndarray]) -> list[Translation]:
        """Per image, a :class:`Translation` with the uint8 ``image`` (H, W, 3) and the float32 masks."""
        return [raw.with_image(to_uint8(raw.image)) for raw in self.run_raw(images)]

    def label_batch(self) -> np.ndarray | None:
        """The target label as a float32 (1, label_size) batch, or ``None`` for a two-domain model."""
        return None if self.label is None else self.label[np.newaxis].astype(np.float32)


class PerImageRunner(Runner):
    """A runner whose runtime is called once per image: subclasses implement ``_call``."""

    def run_raw(self, images: list[np.ndarray]) -> list[Translation]:
        return [Translation.from_batch(self._call(image)) for image in images]

    @abc.abstractmethod
    def _call(self, image: np.ndarray) -> dict:
        """One (H, W, 3) uint8 image -> the runtime's batched (1, ...) outputs by name."""


class KerasRunner(PerImageRunner):
    """Runs a Keras generator (in a ``tf.function``) with the export's pad -> generator -> crop function.

    Args:
        model: an AttentionGAN generator, two-domain or multi-domain (``n_domains``, ``domain_names``).
        target: multi-domain models only (required there): the target domain, see :data:`Target`.

    Example:
        >>> runner = KerasRunner(build_generator(ngf=4, n_blocks=1))  # doctest: +SKIP
        >>> runner.run([np.zeros((5, 7, 3), np.uint8)])[0].image.shape  # doctest: +SKIP
        (5, 7, 3)
    """

    kind = "keras"

    def __init__(self, model: keras.Model, target: Target | None = None):
        self.model = model
        label = label_input_of(model)
        source = f"this {type(model).__name__}"
        self.choose_target(target, None if label is None else label.size, getattr(model, "domain_names", None), source)
        self._translate = tf.function(
            lambda images, labels: translate_any_size(model, images, labels, label), reduce_retracing=True
        )

    def _call(self, image: np.ndarray) -> dict:
        labels = self.label_batch()
        outputs = self._translate(to_model_input(image), None if labels is None else tf.constant(labels))
        return {key: value.numpy() for key, value in outputs.items()}


def open_runner(
    path: str | os.PathLike,
    direction: str = "AtoB",
    variant: str | None = None,
    ngf: int | None = None,
    n_blocks: int | None = None,
    num_threads: int | None = None,
    target: Target | None = None,
) -> Runner:
    """Pick the runner for ``path``: SavedModel dir, ``.tflite`` or ``.onnx`` file, TF.js folder / ``model.json``,
    or any checkpoint :func:`attentiongan_tf.inference.loading.load_generator_any` accepts (``.keras``, ``.pth``,
    training dir of either family).

    Args:
        path: the model or checkpoint.
        direction: two-domain training dirs: ``AtoB`` or ``BtoA``.
        variant: official ``.pth`` only: ``scheme2`` (default) or ``geo``.
        ngf: official ``.pth`` only: first conv width.
        n_blocks: official ``.pth`` only: ResNet blocks.
        num_threads: TFLite / ONNX Runtime / TF.js wasm threads (default: each runtime's choice).
        target: multi-domain models only (required there): the target domain.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: ``path`` is none of the above, ``target`` does not fit the model, or ``num_threads`` is given
            for a SavedModel or checkpoint (TensorFlow's threads are process-wide: ``TF_NUM_INTRAOP_THREADS``).
    """
    from attentiongan_tf.inference import artifacts

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"model or checkpoint not found: {path}")
    is_savedmodel = path.is_dir() and (path / "saved_model.pb").is_file()
    is_tfjs = path.name == "model.json" or (path.is_dir() and (path / "model.json").is_file())
    takes_threads = is_tfjs or (path.is_file() and path.suffix.lower() in (".tflite", ".onnx"))
    if num_threads is not None and not takes_threads:
        raise ValueError(
            f"--threads (num_threads) applies to TFLite, ONNX and TF.js models, not to {path} (TensorFlow takes its "
            "threads from TF_NUM_INTRAOP_THREADS)"
        )
    if is_savedmodel:
        return artifacts.SavedModelRunner(path, target=target)
    if path.suffix.lower() == ".tflite" and path.is_file():
        return artifacts.TFLiteRunner(path, num_threads=num_threads, target=target)
    if path.suffix.lower() == ".onnx" and path.is_file():
        return artifacts.ONNXRunner(path, num_threads=num_threads, target=target)
    if is_tfjs:
        from attentiongan_tf.inference.tfjs_node import TFJSNodeRunner

        return TFJSNodeRunner(path, target=target, num_threads=num_threads)
    from attentiongan_tf.inference.loading import load_generator_any

    model = load_generator_any(path, direction=direction, variant=variant, ngf=ngf, n_blocks=n_blocks)
    return KerasRunner(model, target=target)
