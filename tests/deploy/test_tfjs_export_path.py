"""TF.js export without the interpreter's bin/ on PATH (IDEs, cron, /path/to/venv/bin/python export.py), and no
half-written export folder after a failed conversion."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import tensorflow as tf

from attentiongan_tf import build_generator
from attentiongan_tf.export.tfjs import export_tfjs
from tests.e2e.export_helpers import ENV, REPO_ROOT

pytestmark = pytest.mark.slow


def test_tfjs_export_works_when_the_venv_bin_is_not_on_path(tmp_path):
    tf.keras.utils.set_random_seed(0)
    build_generator(ngf=4, n_blocks=1, n_masks=2).save(tmp_path / "g.keras")
    bin_dir = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in ENV.get("PATH", "").split(os.pathsep) if p and p != bin_dir and "pyenv" not in p)
    args = ["export.py", "--checkpoint", str(tmp_path / "g.keras"), "--output", str(tmp_path / "out"),
            "--format", "tfjs", "--tfjs-variants", "float32"]  # fmt: skip
    env = {**ENV, "PATH": path or "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "out" / "tfjs" / "float32" / "model.json").is_file()
    assert sorted(p.name for p in (tmp_path / "out" / "tfjs").iterdir()) == ["float32"]  # no staging folder left


def test_failed_tfjs_conversion_leaves_no_folder_behind(tmp_path):
    broken = tmp_path / "not_a_savedmodel"
    broken.mkdir()
    (broken / "saved_model.pb").write_bytes(b"garbage")
    with pytest.raises(RuntimeError, match="float32"):
        export_tfjs(broken, tmp_path / "out", ["float32"])
    tfjs = tmp_path / "out" / "tfjs"
    assert not tfjs.exists() or list(tfjs.iterdir()) == []
