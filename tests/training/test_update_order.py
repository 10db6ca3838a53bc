"""Every read of a variable in a training step runs before that step's update of the variable, in the graph
TensorFlow actually runs (after Grappler's rewrites), for each trainer and arithmetic.

A recomputed run (``nn.recompute``) reads its convolution's kernel again in the backward pass, for the input
gradient only; that read is not needed by the kernel's own gradient, so only the graph's control edges keep the
kernel's Adam update after it. Grappler's dependency optimizer once dropped those edges as redundant (they ran
through the IdentityN that ``ReplicaContext.all_reduce`` wraps the gradients in, which it then removed): under
load the update sometimes ran first and the layers below got gradients computed with the new kernel.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.training.graph_order import unordered_reads

REPO_ROOT = Path(__file__).resolve().parents[2]
CASES = ["demo:float32:default", "demo:float32_winograd:default", "demo:bfloat16:default", "demo:float32:mirrored",
         "robust:float32:default", "official:float32:default", "multi_domain"]  # fmt: skip


@pytest.fixture(scope="module")
def dumped_graphs(tmp_path_factory) -> list[Path]:
    dump = tmp_path_factory.mktemp("graphs")
    env = {**os.environ, "TF_DUMP_GRAPH_PREFIX": str(dump), "TF_DUMP_GRAPH_NAME_FILTER": "*",
           "TF_DUMP_GRAPH_GROUPS": "main", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(REPO_ROOT)}  # fmt: skip
    worker = Path(__file__).with_name("update_order_worker.py")
    done = subprocess.run([sys.executable, str(worker), *CASES], env=env, capture_output=True, text=True,
                          timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    # The graph each function runs with: after Grappler and the other rewrites, before it is split by device.
    graphs = sorted(dump.glob("*.main.before_partition.pbtxt"))
    assert graphs, f"TensorFlow dumped no graph into {dump}"
    return graphs


def test_training_steps_were_dumped(dumped_graphs):
    steps = [g for g in dumped_graphs if "_train_step_" in g.name]
    multi_domain = [g for g in dumped_graphs if "__inference_run_" in g.name]
    assert len(steps) == 6, [g.name for g in dumped_graphs]
    assert len(multi_domain) == 2, [g.name for g in dumped_graphs]


def test_no_variable_is_updated_before_every_read_of_it(dumped_graphs):
    found = {g.name: unordered_reads(g) for g in dumped_graphs}
    assert not {name: reads for name, reads in found.items() if reads}
