"""export.py --format onnx on a multi-domain run: the label is a second ONNX input, and onnxruntime matches the
Keras model for different target labels (both variants, also through the ONNX runner)."""

import numpy as np
import onnxruntime
import pytest

from attentiongan_tf.inference import KerasRunner, ONNXRunner, open_runner
from attentiongan_tf.inference.loading import load_generator_any
from tests.e2e.export_helpers import REPO_ROOT, random_uint8, run_cli

pytestmark = pytest.mark.slow
RUN = REPO_ROOT / "tests" / "data" / "legacy" / "multi_domain_run"  # a tiny multi-domain run (3 domains)
TARGETS = ([1.0, 0.0, 0.0], [0.0, 0.0, 1.0])


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("md_onnx") / "out"
    done = run_cli("export.py", "--checkpoint", str(RUN), "--output", str(out), "--format", "onnx", timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def generator():
    return load_generator_any(RUN)


def test_the_onnx_graphs_take_images_and_labels(exported, generator):
    for variant, dtype in (("float", "tensor(float)"), ("uint8", "tensor(uint8)")):
        session = onnxruntime.InferenceSession(str(exported / "onnx" / f"attentiongan_{variant}.onnx"),
                                               providers=["CPUExecutionProvider"])  # fmt: skip
        inputs = {spec.name: spec for spec in session.get_inputs()}
        assert sorted(inputs) == ["images", "labels"]
        assert inputs["images"].shape == ["batch", "height", "width", 3] and inputs["images"].type == dtype
        assert inputs["labels"].shape[-1] == generator.n_domains == 3


def test_onnxruntime_matches_keras_for_two_target_labels(exported, generator):
    session = onnxruntime.InferenceSession(str(exported / "onnx" / "attentiongan_float.onnx"),
                                           providers=["CPUExecutionProvider"])  # fmt: skip
    names = [output.name for output in session.get_outputs()]
    image = random_uint8((18, 27, 3), 7)  # not a multiple of 4: the exported graph pads and crops
    images = image[np.newaxis].astype(np.float32) / 127.5 - 1.0
    expected = [KerasRunner(generator, target=target).run_raw([image])[0] for target in TARGETS]
    for target, reference, other in zip(TARGETS, expected, expected[::-1], strict=True):
        got = dict(zip(names, session.run(None, {"images": images, "labels": np.float32([target])}), strict=True))
        for key in ("image", "attention", "content"):
            assert got[key][0].shape == reference[key].shape
            error = np.abs(got[key][0] - reference[key]).max()
            assert error < 1e-4, (target, key)
            # The label reaches the ONNX graph: the other target's Keras output is much further away (this run's
            # generator is barely trained, so the targets differ by ~1e-4 while ONNX and Keras agree to ~1e-6).
            assert np.abs(got[key][0] - other[key]).max() > 10 * error, (target, key)


@pytest.mark.parametrize("variant", ["float", "uint8"])
def test_the_onnx_runner_translates_to_each_target(exported, generator, variant):
    image = random_uint8((16, 20, 3), 8)
    for target in TARGETS:
        runner = open_runner(exported / "onnx" / f"attentiongan_{variant}.onnx", target=target)
        assert isinstance(runner, ONNXRunner) and runner.label_size == 3
        result, expected = runner.run([image])[0], KerasRunner(generator, target=target).run([image])[0]
        assert np.abs(result.image.astype(int) - expected.image.astype(int)).max() <= 1
        assert np.abs(result.attention - expected.attention).max() < 1e-4
        assert (result.content is not None) == (variant == "float")
    with pytest.raises(ValueError, match="multi-domain ONNX model: choose the output with --target-domain"):
        ONNXRunner(exported / "onnx" / f"attentiongan_{variant}.onnx")
