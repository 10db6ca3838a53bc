"""export.py end to end: every artifact runs in its real runtime and matches the Keras model.

One tiny generator is exported once (all formats, all variants) with the real CLI; then the SavedModel runs in
a fresh Python process and through ``saved_model_cli run`` (the C++ loader TF Serving uses), the ``.tflite``
files in LiteRT (``ai_edge_litert``) at two spatial sizes, and the TF.js models in Node with the wasm backend.
fp32 artifacts must match within 1e-4 on [-1, 1] outputs; quantized variants within the bounds stated in
docs/deploy.md. A 250×333 uint8 image goes through every runtime and comes back 250×333.
"""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf import build_generator
from attentiongan_tf.export.serving import translate_any_size
from attentiongan_tf.export.tflite import non_builtin_ops, operator_names
from attentiongan_tf.inference import TFJSNodeRunner, TFLiteRunner
from tests.e2e.export_helpers import ENV, REPO_ROOT, random_uint8, representative_folder, run_cli

pytestmark = pytest.mark.slow

FP32_TOLERANCE = 1e-4
# Max abs error on [-1, 1] images of the tiny random-weight test model (real-model numbers: docs/deploy.md).
QUANTIZED_BOUNDS = {"float16": 5e-3, "dynamic_range": 5e-2, "int8": 0.35, "uint8": 0.1}
N_MASKS = 4


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    tf.keras.utils.set_random_seed(1)
    model = build_generator(ngf=4, n_blocks=1, n_masks=N_MASKS)
    model.save(root / "g.keras")
    out = root / "out"
    result = run_cli(
        "export.py", "--checkpoint", str(root / "g.keras"), "--output", str(out),
        "--representative-data", str(representative_folder(root)), "--representative-count", "4",
        "--representative-size", "32", "--shard-bytes", "8192",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    inputs = {
        "float32x32": np.random.default_rng(0).uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32),
        "float20x28": np.random.default_rng(1).uniform(-1, 1, (1, 20, 28, 3)).astype(np.float32),
        "uint8_250x333": random_uint8((1, 250, 333, 3), 2),
        "uint8_5x7": random_uint8((1, 5, 7, 3), 3),
    }
    reference = {}
    for name, array in inputs.items():
        images = array.astype(np.float32) / 127.5 - 1.0 if array.dtype == np.uint8 else array
        reference[name] = {k: v.numpy() for k, v in translate_any_size(model, tf.constant(images)).items()}
    return {"root": root, "out": out, "model": model, "inputs": inputs, "reference": reference, "stdout": result.stdout}


def to_uint8(images):
    return np.round(np.clip((images + 1.0) * 127.5, 0, 255)).astype(np.uint8)


def test_layout_sizes_and_shards(exported):
    out = exported["out"]
    summary = json.loads((out / "export_summary.json").read_text())
    assert (out / "savedmodel" / "attentiongan" / "1" / "saved_model.pb").is_file()
    assert set(summary["tflite"]) == {"float32", "float16", "dynamic_range", "int8"}
    assert set(summary["tfjs"]) == {"float32", "float16", "uint8"}
    for variant, info in summary["tflite"].items():
        assert info["size_bytes"] > 10_000 and f"{variant}" in exported["stdout"]
    assert summary["tflite"]["float16"]["size_bytes"] < summary["tflite"]["float32"]["size_bytes"]
    assert summary["tfjs"]["float32"]["shards"] > 1
    assert summary["tfjs"]["uint8"]["size_bytes"] < summary["tfjs"]["float32"]["size_bytes"]


def test_no_flex_or_custom_ops_in_any_graph(exported):
    for path in sorted((exported["out"] / "tflite").glob("*.tflite")):
        assert non_builtin_ops(path.read_bytes()) == [], path.name
        # Sub-pixel upsampling: XNNPACK does not run a run-time-shaped TRANSPOSE_CONV (3x slower).
        assert "TRANSPOSE_CONV" not in operator_names(path.read_bytes()), path.name
        # Reflection pads as slices: XNNPACK has no MIRROR_PAD, each one would split the delegated graph.
        assert "MIRROR_PAD" not in operator_names(path.read_bytes()), path.name
    for folder in sorted((exported["out"] / "tfjs").iterdir()):
        ops = {node["op"] for node in json.loads((folder / "model.json").read_text())["modelTopology"]["node"]}
        assert not any(op.startswith(("Flex", "Stateful", "PyFunc")) for op in ops), ops
        assert "Conv2DBackpropInput" not in ops, folder.name
        # TF.js wasm runs these per element: 0.45 s and 0.15 s of a 256² forward (docs/performance_log.md).
        assert not ops & {"DepthToSpace", "SplitV", "Split"}, folder.name
        # It transposes the tensor for every Mean over H and W: the means are matrix products (7× faster).
        assert "Mean" not in ops and "BatchMatMulV2" in ops, folder.name


def test_converting_the_serving_savedmodel_warns_about_its_mirror_pads(exported, tmp_path, caplog):
    """export_tflite on the SavedModel export.py writes for serving (MirrorPad) works, but says once that
    export_tflite_model (what export.py runs) gives XNNPACK a faster graph."""
    from attentiongan_tf.export.tflite import export_tflite

    with caplog.at_level("WARNING", logger="attentiongan_tf.export.tflite"):
        result = export_tflite(exported["out"] / "savedmodel" / "attentiongan" / "1", tmp_path, ["float32"])
    assert "MIRROR_PAD" in result["float32"]["ops"]
    warnings = [r.getMessage() for r in caplog.records if r.name == "attentiongan_tf.export.tflite"]
    assert len(warnings) == 1 and "MIRROR_PAD" in warnings[0] and "export_tflite_model" in warnings[0], warnings


def test_savedmodel_in_a_fresh_process(exported, tmp_path):
    savedmodel = exported["out"] / "savedmodel" / "attentiongan" / "1"
    np.savez(tmp_path / "inputs.npz", **exported["inputs"])
    png = tf.io.encode_png(exported["inputs"]["uint8_250x333"][0]).numpy()
    (tmp_path / "input.png").write_bytes(png)
    script = f"""
import numpy as np, tensorflow as tf
loaded = tf.saved_model.load({str(savedmodel)!r})
inputs = dict(np.load({str(tmp_path / "inputs.npz")!r}))
results = {{}}
for name, array in inputs.items():
    signature = "serving_default" if array.dtype == np.uint8 else "translate_float"
    for key, value in loaded.signatures[signature](images=tf.constant(array)).items():
        results[name + "/" + key] = value.numpy()
data = open({str(tmp_path / "input.png")!r}, "rb").read()
png = loaded.signatures["translate_encoded"](image_bytes=tf.constant([data]))["png_bytes"][0]
results["encoded"] = tf.io.decode_png(png).numpy()
np.savez({str(tmp_path / "outputs.npz")!r}, **results)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=ENV, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    outputs = np.load(tmp_path / "outputs.npz")
    reference = exported["reference"]
    for name in ("float32x32", "float20x28"):
        for key in ("image", "attention", "content"):
            np.testing.assert_allclose(outputs[f"{name}/{key}"], reference[name][key], atol=FP32_TOLERANCE)
    for name in ("uint8_250x333", "uint8_5x7"):
        image = outputs[f"{name}/image"]
        assert image.dtype == np.uint8 and image.shape == exported["inputs"][name].shape
        assert np.abs(image.astype(int) - to_uint8(reference[name]["image"])).max() <= 1
        np.testing.assert_allclose(outputs[f"{name}/attention"], reference[name]["attention"], atol=FP32_TOLERANCE)
    np.testing.assert_array_equal(outputs["encoded"], outputs["uint8_250x333/image"][0])


def test_saved_model_cli_run_uses_the_cpp_loader(exported, tmp_path):
    savedmodel = exported["out"] / "savedmodel" / "attentiongan" / "1"
    cli = shutil.which("saved_model_cli")
    assert cli, "saved_model_cli is installed with tensorflow"
    cases = {"float32x32": "translate_float", "uint8_250x333": "serving_default"}
    for name, signature in cases.items():
        np.save(tmp_path / f"{name}.npy", exported["inputs"][name])
        outdir = tmp_path / name
        done = subprocess.run(
            [cli, "run", "--dir", str(savedmodel), "--tag_set", "serve", "--signature_def", signature,
             "--inputs", f"images={tmp_path / name}.npy", "--outdir", str(outdir)],
            capture_output=True, text=True, env=ENV, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        reference = exported["reference"][name]
        if signature == "translate_float":
            for key in ("image", "attention", "content"):
                np.testing.assert_allclose(np.load(outdir / f"{key}.npy"), reference[key], atol=FP32_TOLERANCE)
        else:
            image = np.load(outdir / "image.npy")
            assert image.shape == (1, 250, 333, 3) and image.dtype == np.uint8
            assert np.abs(image.astype(int) - to_uint8(reference["image"])).max() <= 1


@pytest.mark.parametrize("variant", ["float32", "float16", "dynamic_range", "int8"])
def test_tflite_in_litert_at_two_sizes(exported, variant):
    path = exported["out"] / "tflite" / f"attentiongan_{variant}.tflite"
    interpreter = TFLiteRunner(path).interpreter
    tolerance = FP32_TOLERANCE if variant == "float32" else QUANTIZED_BOUNDS[variant]
    float_signature = interpreter.get_signature_runner("translate_float")
    for name in ("float32x32", "float20x28"):  # the signature runner resizes the input tensor to each size
        outputs = float_signature(images=exported["inputs"][name])
        error = np.abs(outputs["image"] - exported["reference"][name]["image"]).max()
        assert outputs["image"].shape == exported["inputs"][name].shape
        assert error <= tolerance, f"{variant} {name}: max abs error {error}"
    uint8_signature = interpreter.get_signature_runner("serving_default")
    for name in ("uint8_250x333", "uint8_5x7"):
        image = uint8_signature(images=exported["inputs"][name])["image"]
        assert image.dtype == np.uint8 and image.shape == exported["inputs"][name].shape
    # The index-based API of mobile runtimes: subgraph 0 is serving_default (input 0 = images, output 1 = image).
    classic = TFLiteRunner(path).interpreter
    for name in ("uint8_250x333", "uint8_5x7"):
        array = exported["inputs"][name]
        classic.resize_tensor_input(classic.get_input_details()[0]["index"], array.shape)
        classic.allocate_tensors()
        classic.set_tensor(classic.get_input_details()[0]["index"], array)
        classic.invoke()
        attention, image = (classic.get_tensor(d["index"]) for d in classic.get_output_details())
        assert image.dtype == np.uint8 and image.shape == array.shape
        assert attention.shape == (*array.shape[:3], N_MASKS)
        if variant == "float32":
            assert np.abs(image.astype(int) - to_uint8(exported["reference"][name]["image"])).max() <= 1


@pytest.mark.skipif(not (REPO_ROOT / "node_modules" / "@tensorflow" / "tfjs").is_dir(), reason="run `npm ci` first")
@pytest.mark.parametrize("variant", ["float32", "float16", "uint8"])
def test_tfjs_in_node_with_wasm(exported, variant):
    runner = TFJSNodeRunner(exported["out"] / "tfjs" / variant)
    tolerance = FP32_TOLERANCE if variant == "float32" else QUANTIZED_BOUNDS[variant]
    images = [random_uint8((32, 32, 3), 4), random_uint8((20, 28, 3), 5), exported["inputs"]["uint8_250x333"][0]]
    for image, result in zip(images, runner.run(images), strict=True):
        model_input = tf.constant(image[None].astype(np.float32) / 127.5 - 1.0)
        reference = {k: v.numpy()[0] for k, v in translate_any_size(exported["model"], model_input).items()}
        assert result["image"].shape == image.shape
        for key in ("attention", "content"):
            error = np.abs(result[key] - reference[key]).max()
            assert error <= tolerance, f"{variant} {image.shape} {key}: max abs error {error}"
        assert np.abs(result["image"].astype(int) - to_uint8(reference["image"])).max() <= max(1, 127.5 * tolerance)


def test_export_refuses_to_overwrite(exported):
    marker = exported["out"] / "tflite" / "attentiongan_float16.tflite"
    before = marker.read_bytes()
    result = run_cli(
        "export.py", "--checkpoint", str(exported["root"] / "g.keras"), "--output", str(exported["out"]),
        "--format", "tflite", "--tflite-variants", "float16",
    )  # fmt: skip
    assert result.returncode != 0 and "--overwrite" in result.stderr
    assert marker.read_bytes() == before
