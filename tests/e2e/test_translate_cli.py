"""translate.py on a folder with a .keras checkpoint and with an exported SavedModel and .tflite: same outputs,
grids, unreadable files skipped, nothing overwritten without --overwrite, clear errors."""

import numpy as np
import pytest
from PIL import Image

from attentiongan_tf.data.grids import GAP, HEADER, LABEL_WIDTH, MAX_WIDTH, fit_tile, tile_width
from attentiongan_tf.export import export_savedmodel
from attentiongan_tf.export.tflite import export_tflite
from attentiongan_tf.inference import KerasRunner
from tests.e2e.export_helpers import random_uint8, run_cli, saved_tiny_generator
from tests.inputs.crafted import write_foreign_savedmodel

pytestmark = pytest.mark.slow
N_MASKS = 3


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("translate")
    model = saved_tiny_generator(root, N_MASKS)
    saved = export_savedmodel(model, root / "export")["path"]
    tflite = export_tflite(saved, root / "export", ["float32"])["float32"]["path"]
    images = root / "images"
    images.mkdir()
    inputs = {"odd": random_uint8((250, 333, 3), 0), "tiny": random_uint8((5, 7, 3), 1)}
    for name, array in inputs.items():
        Image.fromarray(array).save(images / f"{name}.png")
    Image.fromarray(random_uint8((40, 40), 2)).save(images / "gray.jpg", quality=95)
    (images / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    inputs["gray"] = np.asarray(Image.open(images / "gray.jpg").convert("RGB"))
    expected = dict(zip(inputs, KerasRunner(model).run(list(inputs.values())), strict=True))
    return {
        "root": root,
        "images": images,
        "inputs": inputs,
        "expected": expected,
        "savedmodel": saved,
        "tflite": tflite,
    }


@pytest.mark.parametrize("kind", ["keras", "savedmodel", "tflite"])
def test_translate_folder(setup, kind):
    model = {"keras": setup["root"] / "g.keras", "savedmodel": setup["savedmodel"], "tflite": setup["tflite"]}[kind]
    out = setup["root"] / f"out_{kind}"
    done = run_cli(
        "translate.py", "--model", str(model), "--input", str(setup["images"]), "--output", str(out), "--grid"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "broken.png" in done.stderr + done.stdout
    assert "1 image(s) skipped: 0 over the pixel limit, 1 unreadable" in done.stdout
    assert "not written by attentiongan_tf" not in done.stderr  # our SavedModel carries the export marker
    assert f"translate ({kind})" in done.stderr  # the progress bar
    for name, image in setup["inputs"].items():
        result = np.asarray(Image.open(out / f"{name}.png")).astype(int)
        assert result.shape == image.shape
        assert np.abs(result - setup["expected"][name]["image"]).max() <= 1
        grid = np.asarray(Image.open(out / f"{name}_grid.png"))
        tiles = 4 + (N_MASKS - 1)  # input, output, background mask, foreground overlay, every content image
        width = tile_width(image.shape[1], tiles)
        tile = fit_tile(image, width)
        assert grid.shape == (HEADER + tile.shape[0] + GAP, LABEL_WIDTH + tiles * (width + GAP), 3)
        assert grid.shape[1] <= MAX_WIDTH
        np.testing.assert_array_equal(grid[HEADER : HEADER + tile.shape[0], LABEL_WIDTH : LABEL_WIDTH + width], tile)
    assert not (out / "broken.png").exists()


def test_translate_refuses_to_overwrite_and_validates(setup):
    out = setup["root"] / "out_single"
    args = ["translate.py", "--model", str(setup["root"] / "g.keras"), "--input", str(setup["images"] / "odd.png")]
    assert run_cli(*args, "--output", str(out)).returncode == 0
    first = (out / "odd.png").read_bytes()
    (out / "odd.png").write_bytes(b"user data")
    refused = run_cli(*args, "--output", str(out))
    assert refused.returncode != 0 and "--overwrite" in refused.stderr
    assert (out / "odd.png").read_bytes() == b"user data"
    assert run_cli(*args, "--output", str(out), "--overwrite").returncode == 0
    assert (out / "odd.png").read_bytes() == first

    missing = run_cli("translate.py", "--model", str(setup["root"] / "nope.keras"), "--input", str(setup["images"]),
                      "--output", str(out / "x"))  # fmt: skip
    assert missing.returncode != 0 and "nope.keras" in missing.stderr
    no_input = run_cli(*args[:3], "--input", str(setup["root"] / "missing_dir"), "--output", str(out / "y"))
    assert no_input.returncode != 0 and "missing_dir" in no_input.stderr


@pytest.mark.parametrize("kind", ["keras", "savedmodel"])
def test_translate_refuses_threads_for_tensorflow_models(setup, kind):
    model = {"keras": setup["root"] / "g.keras", "savedmodel": setup["savedmodel"]}[kind]
    done = run_cli("translate.py", "--model", str(model), "--input", str(setup["images"] / "odd.png"),
                   "--output", str(setup["root"] / f"out_threads_{kind}"), "--threads", "2")  # fmt: skip
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: --threads (num_threads) applies to TFLite")
    assert not (setup["root"] / f"out_threads_{kind}").exists()


def test_translate_warns_once_on_a_foreign_savedmodel(setup):
    foreign = write_foreign_savedmodel(setup["root"] / "foreign")
    out = setup["root"] / "out_foreign"
    done = run_cli("translate.py", "--model", str(foreign), "--input", str(setup["images"] / "odd.png"),
                   "--output", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    warnings = [line for line in done.stderr.splitlines() if "not written by attentiongan_tf" in line]
    assert len(warnings) == 1 and warnings[0].startswith("WARNING: ") and "trust" in warnings[0]
    np.testing.assert_array_equal(np.asarray(Image.open(out / "odd.png")), setup["inputs"]["odd"])  # identity
    unrelated = write_foreign_savedmodel(setup["root"] / "unrelated", kind="unrelated")
    refused = run_cli("translate.py", "--model", str(unrelated), "--input", str(setup["images"]),
                      "--output", str(setup["root"] / "out_unrelated"))  # fmt: skip
    assert refused.returncode != 0 and "no 'translate_float' signature" in refused.stderr
    assert "Traceback" not in refused.stderr
