"""The web/ demo in headless Chromium (playwright-core): it loads the TF.js export, translates a picked 250×333
image with the wasm backend and renders the same pixels as the Keras model; the test screenshots the page."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from attentiongan_tf import build_generator
from attentiongan_tf.export.serving import translate_any_size
from tests.e2e.export_helpers import ENV, REPO_ROOT, random_uint8, run_cli

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("chromium") is None, reason="chromium not installed (scripts/install_deploy_deps.sh)"
    ),
    pytest.mark.skipif(not (REPO_ROOT / "node_modules" / "playwright-core").is_dir(), reason="run `npm ci` first"),
]
N_MASKS = 3


# ?threads=2: tools/serve_web.py makes the page cross-origin isolated, so the multi-threaded wasm build runs.
@pytest.mark.parametrize(("query", "engine"), [("backend=wasm", "wasm, 1 thread"),
                                               ("backend=wasm&threads=2", "wasm, 2 threads")])  # fmt: skip
def test_web_demo_renders_the_translation_and_masks(tmp_path, query, engine):
    tf.keras.utils.set_random_seed(2)
    model = build_generator("geo", ngf=4, n_blocks=1, n_masks=N_MASKS)
    model.save(tmp_path / "g.keras")
    done = run_cli(
        "export.py", "--checkpoint", str(tmp_path / "g.keras"), "--output", str(tmp_path / "out"),
        "--format", "tfjs", "--tfjs-variants", "float32",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    image = random_uint8((250, 333, 3), 7)
    image[100:150, 100:200] = [200, 120, 40]  # a flat patch so that the screenshot has structure
    Image.fromarray(image).save(tmp_path / "input.png")

    sys.path.insert(0, str(REPO_ROOT / "tools"))
    try:
        from serve_web import start_server
    finally:
        sys.path.remove(str(REPO_ROOT / "tools"))
    server = start_server(tmp_path / "out" / "tfjs" / "float32")
    try:
        url = f"http://127.0.0.1:{server.server_port}/?{query}"
        shots = tmp_path / "shots"
        result = subprocess.run(
            ["node", str(REPO_ROOT / "tools" / "web_screenshot.mjs"), url, str(tmp_path / "input.png"), str(shots),
             shutil.which("chromium")],
            capture_output=True, text=True, timeout=240, env=ENV, cwd=REPO_ROOT,
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["status"].startswith("done: 333×250"), report
    assert report["status"].endswith(f"on {engine}"), report
    assert report["masks"] == N_MASKS and report["isolated"] is True
    assert not [line for line in report["console"] if line.startswith(("error", "pageerror"))], report["console"]

    reference = translate_any_size(model, tf.constant(image[None].astype(np.float32) / 127.5 - 1.0))
    expected = np.round(np.clip((reference["image"][0].numpy() + 1) * 127.5, 0, 255)).astype(int)
    rendered = np.asarray(Image.open(shots / "canvas_output.png").convert("RGB")).astype(int)
    assert rendered.shape == (250, 333, 3)
    assert np.abs(rendered - expected).max() <= 1
    for i in range(N_MASKS):
        mask = np.asarray(Image.open(shots / f"canvas_mask_{i}.png").convert("L")).astype(float) / 255
        assert np.abs(mask - reference["attention"][0, ..., i].numpy()).max() <= 1.5 / 255

    # The screenshot shows the rendered translation: the element capture equals the canvas up to a sub-pixel shift.
    screenshot = np.asarray(Image.open(shots / "output.png").convert("RGB")).astype(int)
    best = min(
        np.abs(screenshot[dy : dy + 250, dx : dx + 333] - rendered).mean()
        for dy in range(screenshot.shape[0] - 249)
        for dx in range(screenshot.shape[1] - 332)
    )
    assert best < 1.0
    page = np.asarray(Image.open(shots / "page.png").convert("RGB"))
    assert page.shape[0] >= 250 and page.std() > 10
