"""The CLIs import TensorFlow without JAX (imported by ``tf.lite`` only for its JAX converter): less memory."""

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
import tensorflow as tf
loaded = "jax" in sys.modules
importable = True
try:
    import jax  # noqa: F401
except ImportError:
    importable = False
print(json.dumps({"tensorflow": tf.__version__, "jax_loaded_by_tensorflow": loaded,
                  "jax_importable_after": importable}))
"""


def probe(mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("mode", ["quiet", "verbose"])
def test_cli_start_imports_tensorflow_without_jax_and_jax_still_imports_later(mode):
    report = probe(mode)
    assert report["jax_loaded_by_tensorflow"] is False
    assert report["jax_importable_after"] is (importlib.util.find_spec("jax") is not None)


def test_plain_import_tensorflow_is_untouched():
    """Only the CLIs' start changes anything: a notebook's own ``import tensorflow`` keeps TensorFlow's behaviour."""
    code = "import sys, tensorflow; print(int('jax' in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.stdout.strip().endswith(str(int(importlib.util.find_spec("jax") is not None)))
