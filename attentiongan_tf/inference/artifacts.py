"""Runners of the exported artifacts that run in this process: SavedModel, TFLite (LiteRT) and ONNX Runtime.

Each reads from the artifact whether it takes a ``labels`` input (a multi-domain export) and then needs
``target`` (see :meth:`attentiongan_tf.inference.runners.Runner.choose_target`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from attentiongan_tf.export.savedmodel import read_metadata
from attentiongan_tf.export.serving import FLOAT_SIGNATURE, LABELS_INPUT, OUTPUT_KEYS, reflect_indices
from attentiongan_tf.inference.pixels import to_model_input
from attentiongan_tf.inference.runners import PerImageRunner, Target
from attentiongan_tf.inference.savedmodel_checks import check_savedmodel_signature, savedmodel_provenance

logger = logging.getLogger(__name__)


def pad_to_fixed_size(image: np.ndarray, fixed_size: tuple[int, int], path: Path) -> np.ndarray:
    """``image`` (H, W, 3) reflect-padded at the bottom/right to a fixed-size model's input (the way the any-size
    exports pad to a multiple of 4); a larger image is refused in one line naming ``path``."""
    (height, width), (fixed_h, fixed_w) = image.shape[:2], fixed_size
    if height > fixed_h or width > fixed_w:
        raise ValueError(
            f"{path} takes images up to {fixed_w}×{fixed_h} (a fixed-size export), got {width}×{height}; "
            "resize it first (translate --load-size) or use an any-size export"
        )
    rows = reflect_indices(tf.constant(height), tf.constant(fixed_h)).numpy()
    cols = reflect_indices(tf.constant(width), tf.constant(fixed_w)).numpy()
    return image[rows][:, cols]


def _label_feed(runner: PerImageRunner) -> dict[str, np.ndarray]:
    """``{"labels": (1, n) float32}`` for a multi-domain runner, else nothing."""
    labels = runner.label_batch()
    return {} if labels is None else {LABELS_INPUT: labels}


class SavedModelRunner(PerImageRunner):
    """Runs the ``translate_float`` signature of an exported SavedModel (``OUT/savedmodel/<name>/<version>``).

    A SavedModel runs its own graph ops, so before loading it the signature is checked and a SavedModel
    without export.py's marker is reported in one warning (``provenance_warning``, also logged).

    Args:
        path: the SavedModel directory (holding ``saved_model.pb``).
        target: multi-domain exports only (required there): the target domain; names are read from the
            export's metadata.
    """

    kind = "savedmodel"

    def __init__(self, path: str | os.PathLike, target: Target | None = None):
        self.path = Path(path)
        label_size = check_savedmodel_signature(self.path)
        metadata = read_metadata(self.path) if label_size else None
        domains = metadata.get("domains") if isinstance(metadata, dict) else None
        what = f"SavedModel ({FLOAT_SIGNATURE} also takes {LABELS_INPUT})" if label_size else "SavedModel"
        self.choose_target(target, label_size, domains, str(self.path), what)
        self.provenance_warning = savedmodel_provenance(self.path)
        if self.provenance_warning:
            logger.warning(self.provenance_warning)
        loaded = tf.saved_model.load(str(self.path))
        self._loaded = loaded
        self._signature = loaded.signatures[FLOAT_SIGNATURE]

    def _call(self, image: np.ndarray) -> dict:
        feed = {key: tf.constant(value) for key, value in _label_feed(self).items()}
        return self._signature(images=tf.constant(to_model_input(image)), **feed)


class TFLiteRunner(PerImageRunner):
    """Runs a ``.tflite`` export with the LiteRT interpreter (``ai_edge_litert``), any input size.

    The signature runner resizes the input tensor (``ResizeInputTensor``) and
    re-allocates whenever the image size changes. A fixed-size model (``export.py --tflite-fixed-size N``,
    input [1, N, N, 3]; ``fixed_size`` is then ``(N, N)``) gets smaller images reflect-padded at the
    bottom/right to N × N, as the any-size exports pad to a multiple of 4, and its outputs cropped back;
    a larger image is refused with a ``ValueError`` (no silent rescaling: resize it first, e.g.
    ``translate --load-size``, or use an any-size export).

    Args:
        path: the ``.tflite`` file.
        num_threads: CPU threads for the interpreter.
        target: multi-domain exports only (required there): the target domain (``domain_i`` names or a vector).
    """

    kind = "tflite"

    def __init__(self, path: str | os.PathLike, num_threads: int | None = None, target: Target | None = None):
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        self.interpreter = Interpreter(model_path=str(self.path), num_threads=num_threads)
        if FLOAT_SIGNATURE not in self.interpreter.get_signature_list():
            raise ValueError(f"{self.path} has no {FLOAT_SIGNATURE!r} signature; was it written by export.py?")
        self._signature = self.interpreter.get_signature_runner(FLOAT_SIGNATURE)
        inputs = self._signature.get_input_details()
        labels = inputs.get(LABELS_INPUT)
        label_size = None if labels is None else int(labels["shape_signature"][-1])
        self.choose_target(target, label_size, None, str(self.path), "TFLite model")
        height, width = (int(d) for d in inputs["images"]["shape_signature"][1:3])
        self.fixed_size = (height, width) if min(height, width) > 0 else None

    def _call(self, image: np.ndarray) -> dict:
        if self.fixed_size is None:
            return self._signature(images=to_model_input(image), **_label_feed(self))
        padded = pad_to_fixed_size(image, self.fixed_size, self.path)
        outputs = self._signature(images=to_model_input(padded), **_label_feed(self))
        height, width = image.shape[:2]
        return {key: value[:, :height, :width] for key, value in outputs.items()}


class ONNXRunner(PerImageRunner):
    """Runs an ONNX export (``OUT/onnx/<name>_float.onnx`` or ``_uint8.onnx``) in onnxruntime, any input size.

    The float model returns ``image``, ``attention`` and ``content``; the uint8 one (``serving_default``)
    returns ``image`` and ``attention`` only, so its results have no ``content`` (grids then show none).

    Args:
        path: the ``.onnx`` file.
        num_threads: intra-op CPU threads (default: onnxruntime's choice).
        target: multi-domain exports only (required there): the target domain (``domain_i`` names or a vector).
    """

    kind = "onnx"

    def __init__(self, path: str | os.PathLike, num_threads: int | None = None, target: Target | None = None):
        import onnxruntime

        self.path = Path(path)
        options = onnxruntime.SessionOptions()
        if num_threads:
            options.intra_op_num_threads = num_threads
        try:
            self.session = onnxruntime.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own exception types for unreadable models
            raise ValueError(f"{self.path} is not a readable ONNX model: {str(error).splitlines()[0]}") from None
        inputs = {i.name: i for i in self.session.get_inputs()}
        outputs = {o.name for o in self.session.get_outputs()}
        if set(inputs) - {LABELS_INPUT} != {"images"} or not {"image", "attention"} <= outputs:
            raise ValueError(
                f"{self.path} takes {sorted(inputs)} and returns {sorted(outputs)}; expected images (and "
                f"{LABELS_INPUT}) -> image, attention (an ONNX model written by export.py --format onnx)"
            )
        label_size = inputs[LABELS_INPUT].shape[-1] if LABELS_INPUT in inputs else None
        if label_size is not None and not isinstance(label_size, int):
            raise ValueError(f"{self.path}: the {LABELS_INPUT} input has no fixed size ({label_size!r})")
        self.choose_target(target, label_size, None, str(self.path), "ONNX model")
        self.uint8_input = inputs["images"].type == "tensor(uint8)"
        self.output_names = sorted(outputs & set(OUTPUT_KEYS))

    def _call(self, image: np.ndarray) -> dict:
        feed = {"images": image[np.newaxis] if self.uint8_input else to_model_input(image), **_label_feed(self)}
        outputs = dict(zip(self.output_names, self.session.run(self.output_names, feed), strict=True))
        if self.uint8_input:
            outputs["image"] = outputs["image"].astype(np.float32) / 127.5 - 1.0
        return outputs
