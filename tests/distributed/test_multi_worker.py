import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from attentiongan_tf.data.demo import write_demo_dataset

ROOT = Path(__file__).resolve().parents[2]


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_two_local_workers_train_and_agree(tmp_path):
    dataroot = write_demo_dataset(tmp_path / "data", size=16, train=8, test=2)
    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    processes = []
    for index in range(2):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        env = {**os.environ, "TF_CONFIG": json.dumps(tf_config), "TF_CPP_MIN_LOG_LEVEL": "2",
               "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": ""}
        args = [sys.executable, str(Path(__file__).with_name("multi_worker_worker.py")), str(dataroot),
                str(tmp_path / "run"), str(tmp_path / f"weights{index}.npz")]
        log = open(tmp_path / f"worker{index}.log", "w")
        processes.append((subprocess.Popen(args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT), log))
    try:
        for process, _ in processes:
            process.wait(timeout=300)
    finally:
        for process, log in processes:
            if process.poll() is None:
                process.kill()
            log.close()
    for index, (process, _) in enumerate(processes):
        assert process.returncode == 0, (tmp_path / f"worker{index}.log").read_text()[-3000:]
    first, second = (np.load(tmp_path / f"weights{i}.npz") for i in range(2))
    assert int(first["replicas"]) == 2 and int(first["step"]) == 3
    assert set(first.files) == set(second.files)
    for name in first.files:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)
    # Only the chief (worker 0) writes the run folder.
    assert (tmp_path / "run" / "checkpoints" / "checkpoint").is_file()
    assert (tmp_path / "run" / "samples" / "step_000003.png").is_file()
