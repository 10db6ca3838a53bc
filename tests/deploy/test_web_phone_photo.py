"""The web/ demo on a 4000×3000 phone photo in headless Chromium: scaled to the working size, the canvas fits a
phone-wide page, the time and backend are shown, the result can be downloaded; wasm and WebGL timed."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from attentiongan_tf import build_generator
from tests.e2e.export_helpers import ENV, REPO_ROOT, run_cli

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium missing (scripts/install_deploy_deps.sh)"),
    pytest.mark.skipif(not (REPO_ROOT / "node_modules" / "playwright-core").is_dir(), reason="run `npm ci` first"),
]


def phone_photo(path):
    y, x = np.mgrid[0:3000, 0:4000].astype(np.float32)
    image = np.stack([x / 4000 * 255, y / 3000 * 255, (np.sin(x / 90) * np.cos(y / 70) + 1) * 127], -1)
    Image.fromarray(image.astype(np.uint8)).save(path, quality=90)


def open_page(tmp_path, tfjs_dir, query, photo, name, width):
    sys.path.insert(0, str(REPO_ROOT / "tools"))
    try:
        from serve_web import start_server
    finally:
        sys.path.remove(str(REPO_ROOT / "tools"))
    server = start_server(tfjs_dir)
    try:
        url = f"http://127.0.0.1:{server.server_port}/?{query}"
        shots = tmp_path / name
        done = subprocess.run(
            ["node", str(REPO_ROOT / "tools" / "web_screenshot.mjs"), url, str(photo), str(shots),
             shutil.which("chromium"), str(width)],
            capture_output=True, text=True, timeout=300, env=ENV, cwd=REPO_ROOT,
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr[-3000:]
    print(f"screenshot: {shots / 'page.png'}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_phone_photo_is_scaled_to_the_working_size_and_timed(tmp_path):
    tf.keras.utils.set_random_seed(5)
    build_generator(ngf=4, n_blocks=1, n_masks=2).save(tmp_path / "g.keras")
    done = run_cli("export.py", "--checkpoint", str(tmp_path / "g.keras"), "--output", str(tmp_path / "out"),
                   "--format", "tfjs", "--tfjs-variants", "float32")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    photo = tmp_path / "phone.jpg"
    phone_photo(photo)
    tfjs = tmp_path / "out" / "tfjs" / "float32"

    report = open_page(tmp_path, tfjs, "backend=wasm", photo, "wasm_512", 412)
    assert report["status"].startswith("done: 512×384 (photo 4000×3000)"), report
    assert "ms on wasm" in report["status"] and report["canvas"] == [512, 384]
    assert report["fits"] and report["download"] and "wasm" in report["backends"]
    assert not [line for line in report["console"] if line.startswith("pageerror")], report["console"]
    page = np.asarray(Image.open(tmp_path / "wasm_512" / "page.png").convert("RGB"))
    assert page.shape[1] == 412 and page.std() > 10

    small = open_page(tmp_path, tfjs, "backend=wasm&size=256", photo, "wasm_256", 1280)
    assert small["status"].startswith("done: 256×192 (photo 4000×3000)"), small
    refused = open_page(tmp_path, tfjs, "backend=wasm&threads=9", photo, "wasm_9_threads", 1280)
    assert refused["status"] == "error: ?threads must be an integer from 1 to 8, got 9", refused
    webgl = open_page(tmp_path, tfjs, "backend=webgl", photo, "webgl_512", 1280)
    print(f"wasm 512: {report['status']}\nwebgl 512: {webgl['status']}")
    assert webgl["status"].startswith(("done: 512×384", "error:")), webgl  # software WebGL may be missing


def test_fixed_size_model_gets_the_photo_scaled_to_fit_and_padded(tmp_path):
    tf.keras.utils.set_random_seed(6)
    build_generator(ngf=4, n_blocks=1, n_masks=2).save(tmp_path / "g.keras")
    done = run_cli("export.py", "--checkpoint", str(tmp_path / "g.keras"), "--output", str(tmp_path / "out"),
                   "--format", "tfjs", "--tfjs-variants", "float32", "--tfjs-fixed-size", "64")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    photo = tmp_path / "phone.jpg"
    phone_photo(photo)
    report = open_page(tmp_path, tmp_path / "out" / "tfjs" / "float32_fixed64", "backend=wasm", photo, "fixed", 412)
    # 4000×3000 scaled to fit 64 (not the 512 working size), padded to 64×64 for the model and cropped back.
    assert report["status"].startswith("done: 64×48 (photo 4000×3000)"), report
    assert report["canvas"] == [64, 48] and report["download"]
    assert not [line for line in report["console"] if line.startswith("pageerror")], report["console"]
