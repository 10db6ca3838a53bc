"""export.py --format onnx: both signatures run in onnxruntime like the SavedModel, dynamic batch, H and W;
translate.py runs the .onnx files."""

import numpy as np
import onnx
import onnxruntime
import pytest
import tensorflow as tf

from attentiongan_tf.inference import ONNXRunner, SavedModelRunner, open_runner
from tests.e2e.export_helpers import random_uint8, run_cli, saved_tiny_generator

pytestmark = pytest.mark.slow
N_MASKS = 3


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("onnx")
    saved_tiny_generator(root, N_MASKS)
    done = run_cli("export.py", "--checkpoint", str(root / "g.keras"), "--output", str(root / "out"),
                   "--format", "savedmodel,onnx")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "onnx" in done.stdout
    return root


def test_onnx_matches_the_savedmodel_on_odd_sizes_and_batches(exported):
    out = exported / "out"
    savedmodel = tf.saved_model.load(str(out / "savedmodel" / "attentiongan" / "1"))
    images = random_uint8((2, 250, 333, 3), 5)
    cases = {"uint8": ("serving_default", images), "float": ("translate_float", images / np.float32(127.5) - 1)}
    for variant, (signature, batch) in cases.items():
        path = out / "onnx" / f"attentiongan_{variant}.onnx"
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        (spec,) = session.get_inputs()
        assert spec.name == "images" and spec.shape == ["batch", "height", "width", 3]
        assert spec.type == ("tensor(uint8)" if variant == "uint8" else "tensor(float)")
        reference = {k: v.numpy() for k, v in savedmodel.signatures[signature](images=tf.constant(batch)).items()}
        names = [o.name for o in session.get_outputs()]
        assert sorted(names) == sorted(reference)
        for small in (batch, batch[:1, :5, :7]):  # a second size and batch in the same session
            got = dict(zip(names, session.run(None, {"images": small}), strict=True))
            assert got["image"].shape[:3] == small.shape[:3]
        got = dict(zip(names, session.run(None, {"images": batch}), strict=True))
        for key, value in reference.items():
            assert got[key].dtype == value.dtype
            tolerance = 1 if value.dtype == np.uint8 else 1e-4
            assert np.abs(got[key].astype(np.float64) - value).max() <= tolerance, (variant, key)
        onnx.checker.check_model(onnx.load(str(path)))


def test_translate_runs_onnx_models_like_the_savedmodel(exported):
    out = exported / "out"
    image = random_uint8((37, 50, 3), 6)
    expected = SavedModelRunner(out / "savedmodel" / "attentiongan" / "1").run([image])[0]
    for variant in ("float", "uint8"):
        runner = open_runner(out / "onnx" / f"attentiongan_{variant}.onnx")
        assert isinstance(runner, ONNXRunner)
        result = runner.run([image])[0]
        assert result["image"].shape == (37, 50, 3)
        assert np.abs(result["image"].astype(int) - expected["image"]).max() <= 1
        assert np.abs(result["attention"] - expected["attention"]).max() < 1e-4
        assert ("content" in result) == (variant == "float")


def test_onnx_export_refuses_to_overwrite_and_rejects_foreign_models(exported, tmp_path):
    done = run_cli("export.py", "--checkpoint", str(exported / "g.keras"), "--output", str(exported / "out"),
                   "--format", "onnx")  # fmt: skip
    assert done.returncode != 0 and "--overwrite" in done.stderr and "Traceback" not in done.stderr
    (tmp_path / "bad.onnx").write_bytes(b"not onnx")
    with pytest.raises(ValueError, match="bad.onnx is not a readable ONNX model"):
        ONNXRunner(tmp_path / "bad.onnx")
