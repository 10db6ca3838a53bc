"""Crafted .keras files are refused with one clear ValueError naming the file, in bounded memory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from attentiongan_tf.inference.loading import load_generator_any
from tests.conftest import REPO_ROOT
from tests.security.keras_cases import KERAS_CASES, KerasCase, genuine_keras

LIMIT_MIB = 200


@pytest.fixture(scope="module")
def genuine(tmp_path_factory):
    return genuine_keras(tmp_path_factory.mktemp("genuine") / "g.keras")


@pytest.mark.parametrize("case", KERAS_CASES, ids=lambda c: c.name)
def test_crafted_keras_is_refused_clearly(case: KerasCase, genuine, tmp_path):
    path = case.build(genuine, tmp_path)
    with pytest.raises(ValueError) as caught:
        load_generator_any(path)
    message = str(caught.value)
    assert re.search(case.match, message), message
    assert str(path) in message and "\n" not in message, message


def test_genuine_keras_still_loads(genuine):
    assert load_generator_any(genuine).n_masks == 2


CHILD = r"""
import json, resource, sys
from attentiongan_tf.inference.loading import load_generator_any

def kib(field):
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(field))

load_generator_any(sys.argv[1])  # warm up TensorFlow / Keras on the genuine file
for path in sys.argv[2:]:
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before = kib("VmRSS:")
    try:
        load_generator_any(path)
        outcome = "read"
    except ValueError:
        outcome = "ValueError"
    except Exception as error:
        outcome = type(error).__name__
    print(json.dumps({"path": path, "outcome": outcome, "growth_mib": (kib("VmHWM:") - before) / 1024}), flush=True)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc")
def test_crafted_keras_files_stay_in_bounded_memory(genuine, tmp_path):
    paths = []
    for case in KERAS_CASES:
        (tmp_path / case.name).mkdir()
        paths.append(str(case.build(genuine, tmp_path / case.name)))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(genuine), *paths], capture_output=True, text=True, cwd=REPO_ROOT, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    records = {r["path"]: r for r in map(json.loads, done.stdout.splitlines()) if "outcome" in r}
    for case, path in zip(KERAS_CASES, paths, strict=True):
        assert records[path]["outcome"] == "ValueError", (case.name, records[path])
        assert records[path]["growth_mib"] < LIMIT_MIB, (case.name, records[path])
