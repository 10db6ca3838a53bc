"""Run a generator from a checkpoint or from ANY exported artifact on uint8 images of any size.

Every runner takes a list of (H, W, 3) uint8 images and returns, per image, a
dict with ``image`` (H, W, 3) uint8, ``attention`` (H, W, n) float32 in [0, 1]
(last mask = background) and ``content`` (H, W, k, 3) float32 in [-1, 1]. The
exported artifacts do the reflection padding to a valid size themselves
(``translate_float`` signature); the Keras runner applies the same function.
"""

from __future__ import annotations

import abc
import json
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf

from attentiongan_tf.export.savedmodel import METADATA_FILE, PRODUCER
from attentiongan_tf.export.serving import FLOAT_SIGNATURE, translate_any_size
from attentiongan_tf.training.summaries import to_uint8

logger = logging.getLogger(__name__)
OUTPUT_KEYS = ("image", "attention", "content")
REPO_ROOT = Path(__file__).resolve().parents[1]
TFJS_NODE_SCRIPT = REPO_ROOT / "tools" / "tfjs_node_run.mjs"


def to_model_input(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> (1, H, W, 3) float32 in [-1, 1]."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"expected a (H, W, 3) uint8 image, got {image.dtype} {image.shape}")
    return (image.astype(np.float32) / 127.5 - 1.0)[np.newaxis]


def working_size(height: int, width: int, load_size: int) -> tuple[int, int]:
    """(H, W) with the shorter side scaled to ``load_size`` and the aspect ratio kept (``translate --load-size``)."""
    scale = load_size / min(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize_uint8(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bicubic resize of a uint8 (H, W, 3) image to ``size`` = (H, W); unchanged when already that size."""
    from PIL import Image

    if image.shape[:2] == tuple(size):
        return image
    return np.asarray(Image.fromarray(image).resize((size[1], size[0]), Image.BICUBIC))


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


def savedmodel_provenance(path: str | os.PathLike) -> str | None:
    """None when the SavedModel at ``path`` carries export.py's marker, else a one-line warning to show.

    The marker (``assets.extra/attentiongan_export.json``, ``producer``) only tells our exports from others:
    it can be copied, so it does not make a SavedModel from an untrusted source safe.
    """
    file = Path(path) / "assets.extra" / METADATA_FILE
    try:
        marker = json.loads(file.read_text()).get("producer") if file.is_file() else None
    except (OSError, ValueError, AttributeError):  # unreadable or malformed: no marker
        marker = None
    if isinstance(marker, dict) and marker.get("package") == PRODUCER:
        return None
    return (
        f"{path} was not written by attentiongan_tf (no export marker in assets.extra/{METADATA_FILE}); a "
        "SavedModel runs its own graph ops (they can read and write files): load only SavedModels you trust"
    )


def check_savedmodel_signature(path: str | os.PathLike) -> None:
    """Check, from ``saved_model.pb`` and before loading anything, that ``translate_float`` fits this runner.

    Raises ``ValueError`` naming ``path`` when the signature is missing, takes other inputs than ``images``
    (a multi-domain export also takes ``labels``) or lacks the ``image``/``attention``/``content`` outputs.
    """
    from google.protobuf.message import DecodeError
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    try:
        proto.ParseFromString((Path(path) / "saved_model.pb").read_bytes())
    except (OSError, DecodeError) as error:
        raise ValueError(f"{path}/saved_model.pb is not a readable SavedModel: {error}") from None
    signatures = {name: sig for graph in proto.meta_graphs for name, sig in graph.signature_def.items()}
    if FLOAT_SIGNATURE not in signatures:
        raise ValueError(
            f"{path} has no {FLOAT_SIGNATURE!r} signature (it has {sorted(signatures)}); "
            "translate.py runs SavedModels written by export.py"
        )
    inputs, outputs = set(signatures[FLOAT_SIGNATURE].inputs), set(signatures[FLOAT_SIGNATURE].outputs)
    if "labels" in inputs:
        raise ValueError(
            f"{path} is a multi-domain SavedModel ({FLOAT_SIGNATURE} also takes labels): serve it with TF Serving, "
            "or translate from its training run with --target-domain"
        )
    if inputs != {"images"} or not set(OUTPUT_KEYS) <= outputs:
        raise ValueError(
            f"{path}: signature {FLOAT_SIGNATURE!r} takes {sorted(inputs)} and returns {sorted(outputs)}; "
            f"expected images -> {', '.join(OUTPUT_KEYS)}"
        )


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


class TFJSNodeRunner(Runner):
    """Runs a TF.js graph model in Node (``@tensorflow/tfjs`` + wasm backend) via ``tools/tfjs_node_run.mjs``.

    One Node process handles every image of a ``run`` call. Needs ``node`` and ``npm ci`` at the repo root.

    Args:
        path: the TF.js model folder (holding ``model.json``) or the ``model.json`` file.
    """

    kind = "tfjs"

    def __init__(self, path: str | os.PathLike):
        path = Path(path)
        self.path = path.parent if path.name == "model.json" else path
        if not (self.path / "model.json").is_file():
            raise FileNotFoundError(f"no model.json in {self.path}")
        if shutil.which("node") is None:
            raise RuntimeError("running a TF.js model needs Node.js (`node` not found on PATH)")
        if not (REPO_ROOT / "node_modules" / "@tensorflow" / "tfjs-backend-wasm").is_dir():
            raise RuntimeError(f"TF.js packages missing; run `npm ci` in {REPO_ROOT}")
        self.last_timings_ms: list[float] = []

    def run_raw(self, images: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
        with tempfile.TemporaryDirectory(prefix="tfjs_run_") as tmp:
            items = []
            for index, image in enumerate(images):
                batch = to_model_input(image)
                batch.tofile(f"{tmp}/in{index}.f32")
                items.append(
                    {"input": f"{tmp}/in{index}.f32", "shape": list(batch.shape), "output_prefix": f"{tmp}/out{index}"}
                )
            Path(tmp, "manifest.json").write_text(json.dumps({"model_dir": str(self.path.resolve()), "items": items}))
            done = subprocess.run(
                ["node", str(TFJS_NODE_SCRIPT), f"{tmp}/manifest.json"], capture_output=True, text=True, cwd=REPO_ROOT
            )
            if done.returncode != 0:
                raise RuntimeError(f"TF.js runner failed on {self.path}:\n{done.stderr[-3000:]}")
            report = json.loads(done.stdout.strip().splitlines()[-1])
            self.last_timings_ms = [entry["ms"] for entry in report["outputs"]]
            results = []
            for index, entry in enumerate(report["outputs"]):
                results.append(
                    {
                        key: np.fromfile(f"{tmp}/out{index}.{key}.f32", np.float32).reshape(entry["shapes"][key][1:])
                        for key in OUTPUT_KEYS
                    }
                )
            return results


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
        return TFJSNodeRunner(path)
    from attentiongan_tf.model_io import load_generator_any

    return KerasRunner(load_generator_any(path, direction=direction, variant=variant, ngf=ngf, n_blocks=n_blocks))
