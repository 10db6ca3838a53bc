"""inference.py: runner selection by artifact kind, the Keras runner at odd sizes, and paper-style grids."""

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf import build_generator
from attentiongan_tf.data.images import to_uint8
from attentiongan_tf.inference import KerasRunner, TFJSNodeRunner, open_runner, to_model_input


@pytest.fixture(scope="module")
def saved_generator(tmp_path_factory):
    tf.keras.utils.set_random_seed(0)
    path = tmp_path_factory.mktemp("g") / "g.keras"
    build_generator(ngf=4, n_blocks=1, n_masks=3).save(path)
    return path


def test_keras_runner_translates_any_size(saved_generator):
    runner = open_runner(saved_generator)
    assert isinstance(runner, KerasRunner)
    image = np.random.default_rng(0).integers(0, 256, (7, 13, 3), dtype=np.uint8)
    result = runner.run([image])[0]
    assert result["image"].shape == (7, 13, 3) and result["image"].dtype == np.uint8
    assert result["attention"].shape == (7, 13, 3) and result["content"].shape == (7, 13, 2, 3)
    raw = runner.run_raw([image])[0]
    np.testing.assert_array_equal(to_uint8(raw["image"]), result["image"])


def test_open_runner_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        open_runner(tmp_path / "missing.tflite")
    with pytest.raises(FileNotFoundError, match="no model.json"):
        TFJSNodeRunner(tmp_path)
    with pytest.raises(ValueError, match="uint8"):
        to_model_input(np.zeros((4, 4, 3), np.float32))


def test_open_runner_refuses_threads_where_they_do_not_apply(saved_generator):
    with pytest.raises(ValueError, match=r"--threads \(num_threads\) applies to TFLite, ONNX and TF.js models, not to"):
        open_runner(saved_generator, num_threads=2)


@pytest.mark.parametrize("threads", [0, 9])
def test_tfjs_runner_refuses_a_thread_count_wasm_cannot_run(tmp_path, threads):
    (tmp_path / "model.json").write_text('{"signature": {"inputs": {"images": {"tensorShape": {"dim": '
                                         '[{"size": "-1"}, {"size": "-1"}, {"size": "-1"}, {"size": "3"}]}}}}}')
    with pytest.raises(ValueError, match=f"TF.js wasm runs 1 to 8 threads, got {threads}"):
        TFJSNodeRunner(tmp_path, num_threads=threads)


def test_tfjs_runner_defaults_to_the_cpus_it_may_use(tmp_path, monkeypatch):
    (tmp_path / "model.json").write_text('{"signature": {"inputs": {"images": {"tensorShape": {"dim": '
                                         '[{"size": "-1"}, {"size": "-1"}, {"size": "-1"}, {"size": "3"}]}}}}}')
    from attentiongan_tf.inference import tfjs_node

    monkeypatch.setattr(tfjs_node, "find_node_modules", lambda given: tmp_path)
    monkeypatch.setattr(tfjs_node.shutil, "which", lambda name: "/usr/bin/node")
    monkeypatch.setattr(tfjs_node.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert TFJSNodeRunner(tmp_path).num_threads == 3
    assert open_runner(tmp_path / "model.json", num_threads=1).num_threads == 1  # what translate.py --threads does
    monkeypatch.setattr(tfjs_node.os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert TFJSNodeRunner(tmp_path).num_threads == 8
