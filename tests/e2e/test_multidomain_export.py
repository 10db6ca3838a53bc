"""Export of the multi-domain generator with a label input: SavedModel (fresh process), TFLite (LiteRT), TF.js."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.export.savedmodel import export_savedmodel, read_metadata
from attentiongan_tf.multidomain import build_multidomain_generator

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
DOMAINS = ["blue", "red", "violet"]

# Runs the TF.js graph model in Node (cpu backend) with BOTH inputs; args: model_dir, images.f32, labels.f32,
# image shape (json), output prefix. Evaluated from the repo root so that node_modules resolves.
TFJS_SCRIPT = """
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
const [modelDir, imagesFile, labelsFile, shapeJson, prefix] = process.argv.slice(1);
const json = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
const specs = [], buffers = [];
for (const group of json.weightsManifest) {
  for (const shard of group.paths) buffers.push(fs.readFileSync(path.join(modelDir, shard)));
  specs.push(...group.weights);
}
const data = Buffer.concat(buffers);
const handler = {load: async () => ({modelTopology: json.modelTopology, format: json.format,
  signature: json.signature, weightSpecs: specs,
  weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)})};
await tf.setBackend('cpu');
const model = await tf.loadGraphModel(handler);
const read = (f) => {
  const b = fs.readFileSync(f);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const shape = JSON.parse(shapeJson);
const images = tf.tensor(read(imagesFile), shape, 'float32');
const labels = tf.tensor(read(labelsFile), [shape[0], %(n)d], 'float32');
const names = ['image', 'attention'];
const outputs = model.execute({images, labels}, names);
for (let i = 0; i < names.length; i++) {
  const values = await outputs[i].data();
  fs.writeFileSync(`${prefix}.${names[i]}.f32`, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
}
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    keras.utils.set_random_seed(3)
    model = build_multidomain_generator(3, ngf=4, n_blocks=1, n_masks=3)
    root = tmp_path_factory.mktemp("export")
    result = export_savedmodel(model, root, "attentiongan_multidomain", domains=DOMAINS)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 16, 20, 3), dtype=np.uint8)
    labels = np.eye(3, dtype=np.float32)[[0, 2]]
    floats = images.astype(np.float32) / 127.5 - 1.0
    reference = {k: np.asarray(v) for k, v in model({"image": floats, "label": labels}).items()}
    return {
        "model": model,
        "root": root,
        "path": result["path"],
        "images": images,
        "floats": floats,
        "labels": labels,
        "reference": reference,
    }


def test_savedmodel_in_fresh_process(exported, tmp_path):
    np.savez(tmp_path / "inputs.npz", images=exported["images"], labels=exported["labels"])
    code = (
        "import sys, numpy as np, tensorflow as tf\n"
        "m = tf.saved_model.load(sys.argv[1]); x = np.load(sys.argv[2])\n"
        "u = m.signatures['serving_default'](images=tf.constant(x['images']), labels=tf.constant(x['labels']))\n"
        "f = m.signatures['translate_float'](images=tf.constant(x['images'].astype('float32') / 127.5 - 1),"
        " labels=tf.constant(x['labels']))\n"
        "odd = m.signatures['serving_default'](images=tf.constant(x['images'][:, :13, :7]),"
        " labels=tf.constant(x['labels']))\n"
        "np.savez(sys.argv[3], image_u8=u['image'].numpy(), image=f['image'].numpy(),"
        " attention=f['attention'].numpy(), odd=odd['image'].numpy())\n"
    )
    out = tmp_path / "out.npz"
    env = {"TF_CPP_MIN_LOG_LEVEL": "2", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-c", code, exported["path"], str(tmp_path / "inputs.npz"), str(out)],
        check=True,
        env=env,
        timeout=300,
    )
    got = np.load(out)
    ref = exported["reference"]
    np.testing.assert_allclose(got["image"], ref["image"], atol=1e-5)
    np.testing.assert_allclose(got["attention"], ref["attention"], atol=1e-5)
    expected_u8 = np.round(np.clip((ref["image"] + 1) * 127.5, 0, 255))
    assert np.abs(got["image_u8"].astype(float) - expected_u8).max() <= 1
    assert got["odd"].shape == (2, 13, 7, 3) and got["odd"].dtype == np.uint8
    metadata = read_metadata(exported["path"])
    assert metadata["domains"] == DOMAINS and metadata["config"]["n_domains"] == 3


def test_savedmodel_encoded_signature_and_label_effect(exported):
    loaded = tf.saved_model.load(exported["path"])
    png = tf.io.encode_png(exported["images"][0])
    labels = tf.constant(exported["labels"][:1])
    decoded = tf.io.decode_png(
        loaded.signatures["translate_encoded"](image_bytes=tf.stack([png]), labels=labels)["png_bytes"][0]
    )
    direct = loaded.signatures["serving_default"](images=exported["images"][:1], labels=labels)["image"][0]
    np.testing.assert_array_equal(decoded.numpy(), direct.numpy())
    other = loaded.signatures["serving_default"](images=exported["images"][:1], labels=tf.constant([[0.0, 1, 0]]))
    assert np.abs(other["image"][0].numpy().astype(int) - direct.numpy().astype(int)).max() > 0


def test_tflite_litert_parity(exported):
    from ai_edge_litert.interpreter import Interpreter

    from attentiongan_tf.export.tflite import export_tflite

    result = export_tflite(exported["path"], exported["root"], ["float32"])
    interpreter = Interpreter(model_path=result["float32"]["path"])
    assert interpreter.get_signature_list()["translate_float"]["inputs"] == ["images", "labels"]
    out = interpreter.get_signature_runner("translate_float")(images=exported["floats"], labels=exported["labels"])
    np.testing.assert_allclose(out["image"], exported["reference"]["image"], atol=1e-4)
    np.testing.assert_allclose(out["attention"], exported["reference"]["attention"], atol=1e-4)
    u8 = interpreter.get_signature_runner("serving_default")(
        images=exported["images"][:, :11, :9], labels=exported["labels"]
    )
    assert u8["image"].shape == (2, 11, 9, 3) and u8["image"].dtype == np.uint8
    _check_runner(exported, result["float32"]["path"], "tflite", atol=1e-4)


def test_tflite_float32_winograd_matches_with_labels_one_image_at_a_time(exported, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    from attentiongan_tf.export.serving import WINOGRAD_MULTIPLE, translate_any_size
    from attentiongan_tf.export.tflite import export_tflite_model

    result = export_tflite_model(exported["model"], tmp_path, ["float32_winograd"])
    assert result["float32_winograd"]["input_shape"] == [1, -1, -1, 3]
    interpreter = Interpreter(model_path=result["float32_winograd"]["path"], num_threads=2)
    translate = interpreter.get_signature_runner("translate_float")
    for index in range(len(exported["floats"])):
        images, labels = exported["floats"][index : index + 1], exported["labels"][index : index + 1]
        out = translate(images=images, labels=labels)
        reference = translate_any_size(exported["model"], images, labels, multiple=WINOGRAD_MULTIPLE)
        np.testing.assert_allclose(out["image"], reference["image"], atol=1e-4)
        np.testing.assert_allclose(out["attention"], reference["attention"], atol=1e-4)


def _check_runner(exported, path, kind, atol):
    """The shared runner hierarchy runs the export with a target label: it equals the Keras model's output."""
    from attentiongan_tf.inference import open_runner

    with pytest.raises(ValueError, match="--target-domain"):
        open_runner(path)
    for index, target in ((0, "domain_0"), (1, "0,0,1")):  # exports other than the SavedModel keep no names
        runner = open_runner(path, target=target)
        assert runner.kind == kind and runner.label.tolist() == exported["labels"][index].tolist()
        (raw,) = runner.run_raw([exported["images"][index]])
        np.testing.assert_allclose(raw["image"], exported["reference"]["image"][index], atol=atol)
        np.testing.assert_allclose(raw["attention"], exported["reference"]["attention"][index], atol=atol)


@pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "node_modules" / "@tensorflow" / "tfjs").is_dir(),
    reason="node and node_modules/@tensorflow/tfjs (npm ci) are needed for the TF.js runtime",
)
def test_tfjs_node_parity(exported, tmp_path):
    from attentiongan_tf.export.tfjs import export_tfjs

    result = export_tfjs(exported["path"], exported["root"], ["float32"])
    exported["floats"].astype("<f4").tofile(tmp_path / "images.f32")
    exported["labels"].astype("<f4").tofile(tmp_path / "labels.f32")
    shape = json.dumps(list(exported["floats"].shape))
    subprocess.run(
        [
            "node",
            "--input-type=module",
            "-e",
            TFJS_SCRIPT % {"n": 3},
            result["float32"]["path"],
            str(tmp_path / "images.f32"),
            str(tmp_path / "labels.f32"),
            shape,
            str(tmp_path / "out"),
        ],
        check=True,
        cwd=ROOT,
        timeout=300,
    )
    image = np.fromfile(tmp_path / "out.image.f32", "<f4").reshape(exported["floats"].shape)
    attention = np.fromfile(tmp_path / "out.attention.f32", "<f4").reshape(exported["reference"]["attention"].shape)
    np.testing.assert_allclose(image, exported["reference"]["image"], atol=1e-3)
    np.testing.assert_allclose(attention, exported["reference"]["attention"], atol=1e-3)
    _check_runner(exported, result["float32"]["path"], "tfjs", atol=1e-3)
