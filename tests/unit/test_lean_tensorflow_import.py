"""The CLIs import TensorFlow without the optional modules no CLI uses (JAX for ``tf.lite``'s JAX converter, pandas
and IPython for Keras's DataFrame and notebook support, matplotlib for Keras's image gallery): less memory."""

import importlib.util
import json
import subprocess
import sys

import pytest

from tests.e2e.export_helpers import REPO_ROOT

PROBE = """
import json, sys
from attentiongan_tf.cli import env
quiet = sys.argv[1] == "quiet"
env.quiet_start([] if quiet else ["--verbose"])
import importlib
import tensorflow as tf
report = {"tensorflow": tf.__version__}
for name in env.UNUSED_BY_TENSORFLOW_IMPORT:
    report[name + "_loaded_by_tensorflow"] = name in sys.modules
    try:
        importlib.import_module(name)
        report[name + "_importable_after"] = True
    except ImportError:
        report[name + "_importable_after"] = False
print(json.dumps(report))
"""


def probe(mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("mode", ["quiet", "verbose"])
def test_cli_start_imports_tensorflow_without_the_unused_modules_and_they_still_import_later(mode):
    report = probe(mode)
    for name in ("jax", "pandas", "IPython", "matplotlib"):
        assert report[name + "_loaded_by_tensorflow"] is False, name
        assert report[name + "_importable_after"] is (importlib.util.find_spec(name) is not None), name


def test_plain_import_tensorflow_is_untouched():
    """Only the CLIs' start changes anything: a notebook's own ``import tensorflow`` keeps TensorFlow's behaviour."""
    code = "import sys, tensorflow; print(int('jax' in sys.modules), int('pandas' in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    expected = [int(importlib.util.find_spec(name) is not None) for name in ("jax", "pandas")]
    assert done.stdout.strip().splitlines()[-1] == f"{expected[0]} {expected[1]}"
