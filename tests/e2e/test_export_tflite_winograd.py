"""The ``float32_winograd`` and ``float16_winograd`` TFLite variants: builtin ops only, the Keras model's numbers
in LiteRT at any size (one image, padded to a multiple of 16, in as many XNNPACK parts as ``float32``) and at a fixed
size (float16: within float16 weight rounding, in about half the file), opt-in (not in the default set), and only
ever converted from a Winograd-traced SavedModel."""

import json

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.export.savedmodel import export_savedmodel
from attentiongan_tf.export.serving import MULTIPLE, WINOGRAD_MULTIPLE, translate_any_size
from attentiongan_tf.export.tflite import (
    DEFAULT_TFLITE_VARIANTS,
    delegated_parts,
    export_tflite,
    non_builtin_ops,
    operator_names,
)
from attentiongan_tf.inference import TFLiteRunner
from tests.e2e.export_helpers import run_cli, saved_tiny_generator
from tests.e2e.test_export_runtimes import FP32_TOLERANCE, QUANTIZED_BOUNDS

pytestmark = pytest.mark.slow
SIZE = 32


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("winograd")
    model = saved_tiny_generator(root)
    summaries = {}
    for label, extra in (("any", []), ("fixed", ["--tflite-fixed-size", str(SIZE)])):
        out = root / label
        done = run_cli(
            "export.py", "--checkpoint", str(root / "g.keras"), "--output", str(out), "--format", "tflite",
            "--tflite-variants", "float32,float32_winograd,float16_winograd", *extra,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        summaries[label] = json.loads((out / "export_summary.json").read_text())["tflite"]
    return {"model": model, "summaries": summaries}


@pytest.mark.parametrize("variant", ["float32_winograd", "float16_winograd"])
@pytest.mark.parametrize(
    ("label", "shape"), [("any", (1, 20, 28, 3)), ("any", (1, 36, 44, 3)), ("any", (1, 32, 48, 3)), ("fixed", None)]
)
def test_winograd_model_matches_keras_and_uses_builtin_ops_only(exported, label, shape, variant):
    info = exported["summaries"][label][variant]
    suffix = f"_fixed{SIZE}" if label == "fixed" else ""
    assert info["path"].endswith(f"attentiongan_{variant}{suffix}.tflite")
    with open(info["path"], "rb") as file:
        content = file.read()
    assert non_builtin_ops(content) == []
    ops = set(operator_names(content))
    assert {"BATCH_MATMUL", "DEPTH_TO_SPACE"} <= ops and "MIRROR_PAD" not in ops, ops
    direct_ops = set(operator_names(open(exported["summaries"][label]["float32"]["path"], "rb").read()))
    assert "BATCH_MATMUL" not in direct_ops
    images = np.random.default_rng(0).uniform(-1, 1, shape or (1, SIZE, SIZE, 3)).astype(np.float32)
    outputs = TFLiteRunner(info["path"], num_threads=2).interpreter.get_signature_runner("translate_float")(
        images=images
    )
    # At any size the model pads to a multiple of 16, which at a multiple of 16 is no padding: float32's numbers.
    multiples = [WINOGRAD_MULTIPLE] if label == "any" else []
    multiples += [MULTIPLE] if label == "fixed" or all(size % WINOGRAD_MULTIPLE == 0 for size in shape[1:3]) else []
    tolerance = FP32_TOLERANCE if variant == "float32_winograd" else QUANTIZED_BOUNDS["float16"]
    for multiple in multiples:
        translated = translate_any_size(exported["model"], tf.constant(images), multiple=multiple)
        for key, reference in translated.items():
            assert outputs[key].shape == reference.shape
            assert np.abs(outputs[key] - reference.numpy()).max() <= tolerance, (key, multiple)


def test_any_size_winograd_model_takes_one_image_in_as_many_xnnpack_parts_as_float32(exported):
    summary = exported["summaries"]["any"]
    assert summary["float32_winograd"]["input_shape"] == [1, -1, -1, 3]
    assert summary["float32"]["input_shape"] == [-1, -1, -1, 3]
    parts = {}
    for variant in ("float32", "float32_winograd"):
        runner = TFLiteRunner(summary[variant]["path"], num_threads=2)
        runner.run([np.zeros((40, 24, 3), np.uint8)])
        parts[variant] = delegated_parts(runner.interpreter)
    assert parts["float32_winograd"] == parts["float32"], parts


def constant_bytes(path: str) -> int:
    """Bytes of the constant tensors (weights) stored in a ``.tflite`` file."""
    from tensorflow.lite.python import schema_py_generated as schema

    with open(path, "rb") as file:
        model = schema.Model.GetRootAsModel(file.read(), 0)
    buffers = {model.Subgraphs(s).Tensors(t).Buffer() for s in range(model.SubgraphsLength())
               for t in range(model.Subgraphs(s).TensorsLength())}  # fmt: skip
    return sum(model.Buffers(b).DataLength() for b in buffers)


@pytest.mark.parametrize("label", ["any", "fixed"])
def test_float16_winograd_stores_its_weights_in_half_the_bytes(exported, label):
    summary = exported["summaries"][label]
    weights = {v: constant_bytes(summary[v]["path"]) for v in ("float32_winograd", "float16_winograd")}
    assert weights["float16_winograd"] <= 0.55 * weights["float32_winograd"], weights


def test_winograd_is_opt_in_and_never_converted_from_a_direct_savedmodel(exported, tmp_path):
    assert not {"float32_winograd", "float16_winograd"} & set(DEFAULT_TFLITE_VARIANTS)
    source = export_savedmodel(exported["model"], tmp_path / "sm", reflection="slices")["path"]
    with pytest.raises(ValueError, match=r"traced with direct convolutions.*\['float16_winograd'\]"):
        export_tflite(source, tmp_path / "out", ["float32", "float16_winograd"])
    assert not (tmp_path / "out").exists()
