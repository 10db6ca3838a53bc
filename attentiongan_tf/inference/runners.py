"""Run a generator from a checkpoint or from ANY exported artifact on uint8 images of any size.

Every runner takes a list of (H, W, 3) uint8 images and returns, per image, a
dict with ``image`` (H, W, 3) uint8, ``attention`` (H, W, n) float32 in [0, 1]
(last mask = background) and ``content`` (H, W, k, 3) float32 in [-1, 1]. The
exported artifacts do the reflection padding to a valid size themselves
(``translate_float`` signature); the Keras runner applies the same function.
"""

from __future__ import annotations

import abc
import logging
import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from attentiongan_tf.data.images import to_uint8
from attentiongan_tf.export.serving import FLOAT_SIGNATURE, translate_any_size
from attentiongan_tf.inference.pixels import to_model_input
from attentiongan_tf.inference.savedmodel_checks import OUTPUT_KEYS, check_savedmodel_signature, savedmodel_provenance

logger = logging.getLogger(__name__)


class Runner(abc.ABC):
    """Base of the runners: ``run_raw`` gives the float outputs, ``run`` the uint8 image with float masks."""

    kind = "base"

    @abc.abstractmethod
    def run_raw(self, images: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
        """Per image: ``image`` (H, W, 3) in [-1, 1], ``attention`` (H, W, n), ``content`` (H, W, k, 3)."""

    def run(self, images: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
        """Per image: ``image`` (H, W, 3) uint8, ``attention`` (H, W, n) float32, ``content`` (H, W, k, 3)."""
        return [{**raw, "image": to_uint8(raw["image"])} for raw in self.run_raw(images)]


class PerImageRunner(Runner):
    """A runner whose runtime is called once per image: subclasses implement ``_call``."""

    def run_raw(self, images: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
        return [{key: np.asarray(value, np.float32)[0] for key, value in self._call(i).items()} for i in images]

    @abc.abstractmethod
    def _call(self, image: np.ndarray) -> dict:
        """One (H, W, 3) uint8 image -> the runtime's batched (1, ...) outputs by name."""


class KerasRunner(PerImageRunner):
    """Runs a Keras generator (in a ``tf.function``) with the export's pad -> generator -> crop function.

    Args:
        model: an AttentionGAN generator.

    Example:
        >>> runner = KerasRunner(build_generator(ngf=4, n_blocks=1))  # doctest: +SKIP
        >>> runner.run([np.zeros((5, 7, 3), np.uint8)])[0]["image"].shape  # doctest: +SKIP
        (5, 7, 3)
    """

    kind = "keras"

    def __init__(self, model):
        self.model = model
        self._translate = tf.function(lambda images: translate_any_size(model, images), reduce_retracing=True)

    def _call(self, image: np.ndarray) -> dict:
        return {key: value.numpy() for key, value in self._translate(to_model_input(image)).items()}


class SavedModelRunner(PerImageRunner):
    """Runs the ``translate_float`` signature of an exported SavedModel (``OUT/savedmodel/<name>/<version>``).

    A SavedModel runs its own graph ops, so before loading it the signature is checked and a SavedModel
    without export.py's marker is reported in one warning (``provenance_warning``, also logged).

    Args:
        path: the SavedModel directory (holding ``saved_model.pb``).
    """

    kind = "savedmodel"

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        check_savedmodel_signature(self.path)
        self.provenance_warning = savedmodel_provenance(self.path)
        if self.provenance_warning:
            logger.warning(self.provenance_warning)
        loaded = tf.saved_model.load(str(self.path))
        self._loaded = loaded
        self._signature = loaded.signatures[FLOAT_SIGNATURE]

    def _call(self, image: np.ndarray) -> dict:
        return self._signature(images=tf.constant(to_model_input(image)))


class TFLiteRunner(PerImageRunner):
    """Runs a ``.tflite`` export with the LiteRT interpreter (``ai_edge_litert``), any input size.

    The signature runner resizes the input tensor (``ResizeInputTensor``) and
    re-allocates whenever the image size changes.

    Args:
        path: the ``.tflite`` file.
        num_threads: CPU threads for the interpreter.
    """

    kind = "tflite"

    def __init__(self, path: str | os.PathLike, num_threads: int | None = None):
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        self.interpreter = Interpreter(model_path=str(self.path), num_threads=num_threads)
        if FLOAT_SIGNATURE not in self.interpreter.get_signature_list():
            raise ValueError(f"{self.path} has no {FLOAT_SIGNATURE!r} signature; was it written by export.py?")
        self._signature = self.interpreter.get_signature_runner(FLOAT_SIGNATURE)

    def _call(self, image: np.ndarray) -> dict:
        return self._signature(images=to_model_input(image))


class ONNXRunner(PerImageRunner):
    """Runs an ONNX export (``OUT/onnx/<name>_float.onnx`` or ``_uint8.onnx``) in onnxruntime, any input size.

    The float model returns ``image``, ``attention`` and ``content``; the uint8 one (``serving_default``)
    returns ``image`` and ``attention`` only, so its results have no ``content`` (grids then show none).

    Args:
        path: the ``.onnx`` file.
        num_threads: intra-op CPU threads (default: onnxruntime's choice).
    """

    kind = "onnx"

    def __init__(self, path: str | os.PathLike, num_threads: int | None = None):
        import onnxruntime

        self.path = Path(path)
        options = onnxruntime.SessionOptions()
        if num_threads:
            options.intra_op_num_threads = num_threads
        try:
            self.session = onnxruntime.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own exception types for unreadable models
            raise ValueError(f"{self.path} is not a readable ONNX model: {str(error).splitlines()[0]}") from None
        inputs = self.session.get_inputs()
        outputs = {o.name for o in self.session.get_outputs()}
        if [i.name for i in inputs] != ["images"] or not {"image", "attention"} <= outputs:
            raise ValueError(
                f"{self.path} takes {[i.name for i in inputs]} and returns {sorted(outputs)}; expected images -> "
                "image, attention (an ONNX model written by export.py --format onnx)"
            )
        self.uint8_input = inputs[0].type == "tensor(uint8)"
        self.output_names = sorted(outputs & set(OUTPUT_KEYS))

    def _call(self, image: np.ndarray) -> dict:
        feed = image[np.newaxis] if self.uint8_input else to_model_input(image)
        outputs = dict(zip(self.output_names, self.session.run(self.output_names, {"images": feed}), strict=True))
        if self.uint8_input:
            outputs["image"] = outputs["image"].astype(np.float32) / 127.5 - 1.0
        return outputs


def open_runner(
    path: str | os.PathLike,
    direction: str = "AtoB",
    variant: str | None = None,
    ngf: int | None = None,
    n_blocks: int | None = None,
    num_threads: int | None = None,
):
    """Pick the runner for ``path``: SavedModel dir, ``.tflite`` or ``.onnx`` file, TF.js folder / ``model.json``,
    or any checkpoint :func:`attentiongan_tf.model_io.load_generator_any` accepts (``.keras``, ``.pth``, training dir).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: ``path`` is none of the above.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"model or checkpoint not found: {path}")
    if path.is_dir() and (path / "saved_model.pb").is_file():
        return SavedModelRunner(path)
    if path.suffix.lower() == ".tflite" and path.is_file():
        return TFLiteRunner(path, num_threads=num_threads)
    if path.suffix.lower() == ".onnx" and path.is_file():
        return ONNXRunner(path, num_threads=num_threads)
    if path.name == "model.json" or (path.is_dir() and (path / "model.json").is_file()):
        from attentiongan_tf.inference.tfjs_node import TFJSNodeRunner

        return TFJSNodeRunner(path)
    from attentiongan_tf.inference.loading import load_generator_any

    return KerasRunner(load_generator_any(path, direction=direction, variant=variant, ngf=ngf, n_blocks=n_blocks))
