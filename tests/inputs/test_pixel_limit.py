"""Decompression bombs: one pixel limit for every image reader, checked on the header before any decoding."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from attentiongan_tf.data import images as image_io
from attentiongan_tf.data.images import ImageTooLargeError, UnreadableImageError, max_image_pixels, read_image_rgb
from tests.inputs.crafted import write_bomb_png

REPO_ROOT = Path(__file__).resolve().parents[2]
RSS_BUDGET_MB = 300

# Runs in a fresh interpreter: peak RSS growth (ru_maxrss, KiB on Linux) of every reader on a folder holding an
# 11000² PNG bomb (117 KB on disk, 121 MB as 8-bit gray, ~0.5 GB as RGB) next to one small image.
_PROBE = """
import json, resource, sys
from pathlib import Path
from attentiongan_tf.data import unpaired as data
from attentiongan_tf.data import images as image_io
root = Path(sys.argv[1])
def peak(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
base = peak()
out = {}
try:
    image_io.read_image_rgb(root / "trainA" / "bomb.png")
    out["read"] = "decoded"
except image_io.UnreadableImageError as error:
    out["read"] = str(error)
scan = data.scan_domain(root / "trainA")
out["scanned"] = [p.name for p in scan["files"]]
out["samples"] = list(data.sample_images(root, "A", 4, 8).shape)
out["growth_mb"] = peak() - base
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def bomb_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bomb")
    (root / "trainA").mkdir()
    write_bomb_png(root / "trainA" / "bomb.png", 11000, 11000)
    Image.new("RGB", (8, 8), (9, 9, 9)).save(root / "trainA" / "small.png")
    return root


def test_bomb_is_refused_before_decoding_with_bounded_memory(bomb_root):
    assert (bomb_root / "trainA" / "bomb.png").stat().st_size < 200_000
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(bomb_root)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "bomb.png" in result["read"] and "pixel limit" in result["read"]
    assert result["scanned"] == ["small.png"] and result["samples"] == [1, 8, 8, 3]
    assert result["growth_mb"] < RSS_BUDGET_MB, result
    assert "1 over the pixel limit" in done.stderr


def test_limit_from_argument_and_environment(tmp_path, monkeypatch):
    Image.new("RGB", (20, 10), (1, 2, 3)).save(tmp_path / "x.png")
    assert read_image_rgb(tmp_path / "x.png", max_pixels=200).shape == (10, 20, 3)
    with pytest.raises(ImageTooLargeError, match=r"x\.png.*20×10.*pixel limit of 199"):
        read_image_rgb(tmp_path / "x.png", max_pixels=199)
    assert issubclass(ImageTooLargeError, UnreadableImageError)
    assert max_image_pixels() == image_io.DEFAULT_MAX_IMAGE_PIXELS == 64_000_000
    monkeypatch.setenv("ATTENTIONGAN_MAX_IMAGE_PIXELS", "150")
    assert max_image_pixels() == 150
    with pytest.raises(ImageTooLargeError, match="ATTENTIONGAN_MAX_IMAGE_PIXELS"):
        read_image_rgb(tmp_path / "x.png")
    for bad in ("lots", "0", "-5"):
        monkeypatch.setenv("ATTENTIONGAN_MAX_IMAGE_PIXELS", bad)
        with pytest.raises(ValueError, match=f"ATTENTIONGAN_MAX_IMAGE_PIXELS.*{bad}"):
            max_image_pixels()


def test_a_limit_above_pils_own_is_honoured(tmp_path):
    # PIL refuses anything over 2 × Image.MAX_IMAGE_PIXELS (179 MP) in Image.open; a larger explicit limit wins.
    write_bomb_png(tmp_path / "big.png", 100, 50)
    previous = Image.MAX_IMAGE_PIXELS
    try:
        Image.MAX_IMAGE_PIXELS = 1000
        assert read_image_rgb(tmp_path / "big.png", max_pixels=10_000).shape == (50, 100, 3)
        with pytest.raises(ImageTooLargeError, match="pixel limit"):
            read_image_rgb(tmp_path / "big.png", max_pixels=4000)
        Image.MAX_IMAGE_PIXELS = 1000
        with pytest.raises(ImageTooLargeError, match="over the pixel limit of 2,000"):  # PIL's own refusal
            read_image_rgb(tmp_path / "big.png", max_pixels=2000)
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def test_training_scan_counts_over_limit_and_unreadable(tmp_path, monkeypatch, caplog):
    from attentiongan_tf.data.unpaired import scan_domain

    folder = tmp_path / "trainA"
    folder.mkdir()
    for i in range(2):
        Image.new("RGB", (8, 8), (i, 0, 0)).save(folder / f"ok{i}.png")
    Image.new("RGB", (30, 30)).save(folder / "huge.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8garbage")
    monkeypatch.setenv("ATTENTIONGAN_MAX_IMAGE_PIXELS", "500")
    with caplog.at_level("WARNING"):
        result = scan_domain(folder)
    assert [p.name for p in result["files"]] == ["ok0.png", "ok1.png"]
    assert sorted(p.name for p, _ in result["skipped"]) == ["broken.jpg", "huge.png"]
    lines = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(lines) == 1 and "2 image(s) skipped: 1 over the pixel limit, 1 unreadable" in lines[0]


def test_multidomain_csv_rows_over_the_limit_are_skipped(tmp_path, monkeypatch):
    from attentiongan_tf.data.labelled import csv_domains

    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    Image.new("RGB", (30, 30)).save(tmp_path / "b.png")
    (tmp_path / "c.png").write_bytes(b"nope")
    (tmp_path / "labels.csv").write_text("filename,x,y\na.png,1,0\nb.png,0,1\nc.png,1,1\n")
    monkeypatch.setenv("ATTENTIONGAN_MAX_IMAGE_PIXELS", "500")
    result = csv_domains(tmp_path / "labels.csv")
    assert [p.name for p in result["files"]] == ["a.png"]
    np.testing.assert_array_equal(result["labels"], [[1, 0]])


def test_translate_single_file_over_the_limit_is_one_line_error(tmp_path, monkeypatch, capsys):
    from attentiongan_tf.cli import translate

    Image.new("RGB", (30, 30)).save(tmp_path / "huge.png")
    (tmp_path / "g.keras").write_bytes(b"never loaded: the input is checked first")
    monkeypatch.setenv("ATTENTIONGAN_MAX_IMAGE_PIXELS", "500")
    with pytest.raises(SystemExit) as exit_info:
        translate.main(["--model", str(tmp_path / "g.keras"), "--input", str(tmp_path / "huge.png"),
                        "--output", str(tmp_path / "out")])  # fmt: skip
    message = str(exit_info.value.code)
    assert message.startswith("error: ") and "huge.png" in message and "pixel limit of 500" in message
    assert "\n" not in message and not (tmp_path / "out").exists()
