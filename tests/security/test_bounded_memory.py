"""Reading any crafted .pth never crashes the process nor grows its peak memory by more than 200 MiB.

One child process (numpy and the reader only, no TensorFlow) reads every case of pth_cases.py in turn;
before each it resets the kernel's peak-RSS counter (/proc/self/clear_refs) and after it reports VmHWM
growth. A genuine 64 MiB checkpoint is the positive control: its growth must show up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import DATA_DIR, REPO_ROOT
from tests.security.crafting import OrderedDictOf, storage, tensor, write_zip
from tests.security.pth_cases import ALL_CASES, Case

LIMIT_MIB = 200
CONTROL_MIB = 64

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc")

CHILD = r"""
import json, resource, sys, types
resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))  # a safety net only: the parent checks the peak
package = types.ModuleType("attentiongan_tf")  # the reader without the package __init__ (TensorFlow)
package.__path__ = [sys.argv[1]]
sys.modules["attentiongan_tf"] = package
from attentiongan_tf.official.torch_pickle import read_torch_state_dict

def status_kib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])

for path in sys.argv[2:]:
    print(json.dumps({"path": path, "started": True}), flush=True)
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before = status_kib("VmRSS:")
    try:
        read_torch_state_dict(path)
        outcome = "read"
    except Exception as error:
        outcome = type(error).__name__
    growth = (status_kib("VmHWM:") - before) / 1024
    print(json.dumps({"path": path, "outcome": outcome, "growth_mib": growth}), flush=True)
"""


@pytest.fixture(scope="module")
def readings(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("hostile")
    paths = {}
    for case in ALL_CASES:
        folder = root / case.name
        folder.mkdir()
        paths[case.name] = case.build(folder)
    numel = CONTROL_MIB << 18
    control = OrderedDictOf({"w": tensor(storage("0", numel), 0, (numel,), (1,))})
    paths["control"] = write_zip(root / "control.pth", control, {"0": bytes(4 * numel)})
    paths["real_zip"], paths["real_legacy"] = DATA_DIR / "torch_zip_format.pth", DATA_DIR / "torch_legacy_format.pth"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "ATTENTIONGAN_MAX_CHECKPOINT_BYTES": ""}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(REPO_ROOT / "attentiongan_tf"), *map(str, paths.values())],
        capture_output=True, text=True, env=env, timeout=600,
    )
    records = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    finished = {r["path"]: r for r in records if "outcome" in r}
    last_started = records[-1]["path"] if records else None
    return {"paths": paths, "finished": finished, "returncode": done.returncode, "stderr": done.stderr[-2000:],
            "last_started": last_started, "root": root}


def _reading(readings: dict, name: str) -> dict:
    path = str(readings["paths"][name])
    if path not in readings["finished"]:
        crashed = readings["last_started"] == path
        pytest.fail(f"child exited {readings['returncode']} {'while reading' if crashed else 'before'} {name}: "
                    f"{readings['stderr']}")
    return readings["finished"][path]


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.name)
def test_bounded_and_no_crash(case: Case, readings):
    record = _reading(readings, case.name)
    assert record["outcome"] == case.error
    assert record["growth_mib"] < LIMIT_MIB, record
    assert not (readings["root"] / case.name / "pwned").exists()


def test_child_exited_normally_and_measures_growth(readings):
    assert readings["returncode"] == 0, readings["stderr"]
    for name in ("real_zip", "real_legacy"):
        assert _reading(readings, name)["outcome"] == "read"
    control = _reading(readings, "control")
    assert control["outcome"] == "read"
    assert CONTROL_MIB <= control["growth_mib"] < 4 * CONTROL_MIB, control
