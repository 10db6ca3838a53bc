"""Choosing a ``tf.distribute`` strategy from the ``--strategy`` flag."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import tensorflow as tf

logger = logging.getLogger(__name__)


def make_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """Return the strategy for ``name``.

    - ``default``: no distribution (one device).
    - ``mirrored``: all local GPUs (without GPUs: all logical CPU devices) with synchronous all-reduce.
    - ``multi_worker``: ``MultiWorkerMirroredStrategy``; the cluster comes from the ``TF_CONFIG`` variable.
    - ``tpu``: ``TPUStrategy`` on the TPU found by ``TPUClusterResolver`` (Colab / Cloud TPU VM).
    - ``auto``: ``multi_worker`` when ``TF_CONFIG`` names a cluster, ``tpu`` when a TPU is configured
      (``TPU_NAME``, ``COLAB_TPU_ADDR``, or a TPU VM's local chips: ``tpu="local"``), ``mirrored`` with more
      than one GPU, else ``default``.
    """
    if name == "auto":
        name = _auto_name()
        logger.info("--strategy auto selected %r", name)
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        if not tf.config.list_logical_devices("GPU"):
            # No GPU: mirror over the logical CPU devices (tf.config.set_logical_device_configuration).
            return tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")])
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        if not os.environ.get("TF_CONFIG"):
            raise ValueError("--strategy multi_worker needs the TF_CONFIG environment variable (cluster and task)")
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        # TPU VMs (Colab's current TPU runtimes, Cloud TPU VMs) attach the chips locally: tpu="local".
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=os.environ.get("TPU_NAME") or _local_tpu())
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"--strategy must be auto, default, mirrored, multi_worker or tpu, got {name!r}")


def _local_tpu() -> str:
    """``"local"`` on a TPU VM (chips at /dev/accel*, or ``TPU_ACCELERATOR_TYPE`` set), else ``""``."""
    found = any(Path("/dev").glob("accel*")) or os.environ.get("TPU_ACCELERATOR_TYPE")
    return "local" if found else ""


def _auto_name() -> str:
    cluster = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster", {})
    if sum(len(v) for v in cluster.values()) > 1:
        return "multi_worker"
    if os.environ.get("TPU_NAME") or os.environ.get("COLAB_TPU_ADDR") or _local_tpu():
        return "tpu"
    if len(tf.config.list_physical_devices("GPU")) > 1:
        return "mirrored"
    return "default"


def uses_accelerator(strategy: tf.distribute.Strategy) -> bool:
    """Whether ``strategy`` trains on GPUs or TPUs (not on CPUs)."""
    if isinstance(strategy, tf.distribute.TPUStrategy):
        return True
    try:
        devices = strategy.extended.worker_devices
    except RuntimeError:  # the default strategy, which places ops where TensorFlow does: on a GPU if there is one
        return bool(tf.config.list_logical_devices("GPU"))
    return any("GPU" in device.upper() for device in devices)


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes outputs (always true except on non-chief multi-worker processes)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return task_type == "chief" or (task_type == "worker" and task_id == 0 and not has_chief)


def worker_id(strategy: tf.distribute.Strategy) -> int:
    """The task id of this process (0 without a cluster)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    return int(getattr(resolver, "task_id", 0) or 0) if resolver is not None else 0
