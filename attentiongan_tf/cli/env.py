"""A quiet start for every CLI: TensorFlow's start-up logs hidden unless ``--verbose``, one line naming the device.

On a machine without a GPU, ``import tensorflow`` prints about ten lines (cuFFT / cuDNN / cuBLAS factories
"already registered", "computation placer already registered", "All log messages before
absl::InitializeLog()", then "failed call to cuInit"), and graph optimizers log absl errors during training.
:func:`quiet_start` (call it before anything imports TensorFlow) sets ``TF_CPP_MIN_LOG_LEVEL=3`` unless the
user set it, hides file descriptor 2 during ``import tensorflow`` only (replaying what was captured if the
import fails), lowers absl's C++ minimum log level to FATAL and TensorFlow's Python loggers to ERROR. GPUs
stay visible: nothing touches ``CUDA_VISIBLE_DEVICES``. ``--verbose`` (or ``TF_CPP_MIN_LOG_LEVEL`` < 3)
keeps every log.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

VERBOSE_FLAG = "--verbose"
# absl::SetMinLogLevel(absl::LogSeverityAtLeast) of the absl copy that TensorFlow 2.19 exports.
ABSL_SET_MIN_LOG_LEVEL = "_ZN4absl12lts_2023080214SetMinLogLevelENS0_18LogSeverityAtLeastE"
ABSL_FATAL = 3
# Optional imports of ``import tensorflow`` that no CLI uses: JAX for TFLite's JAX converter
# (``tf.lite.python.util``), 0.10 GiB of resident memory; pandas (Keras accepting DataFrames in ``fit``) and
# IPython (Keras's notebook display of a file editor), 0.05 GiB and 0.4 s together; matplotlib, where installed
# (Colab), for Keras's image gallery: 0.03 GiB and 0.5 s.
UNUSED_BY_TENSORFLOW_IMPORT = ("jax", "pandas", "IPython", "matplotlib")
PYTHON_LOGGERS = ("tensorflow", "absl", "keras", "h5py", "tf2onnx", "attentiongan_tf.training.strategies",
                  "attentiongan_tf.training.precision")  # fmt: skip


def add_verbose_flag(parser: argparse.ArgumentParser) -> None:
    """Add ``--verbose`` (read early by :func:`quiet_start`; declared here so that ``--help`` lists it)."""
    parser.add_argument(VERBOSE_FLAG, action="store_true", help="show TensorFlow's start-up and C++ logs")


def is_quiet(argv: list[str] | None = None) -> bool:
    """Quiet unless ``--verbose`` is in ``argv`` (default ``sys.argv``) or ``TF_CPP_MIN_LOG_LEVEL`` is below 3."""
    argv = sys.argv[1:] if argv is None else argv
    return VERBOSE_FLAG not in argv and os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3") == "3"


@contextlib.contextmanager
def _modules_hidden(names: tuple[str, ...]) -> Iterator[None]:
    """``import name`` raises ImportError inside the block (for modules not yet imported); normal again after."""
    hidden = [name for name in names if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]


def import_tensorflow() -> None:
    """``import tensorflow`` without the modules it imports but no CLI uses (:data:`UNUSED_BY_TENSORFLOW_IMPORT`);
    they import normally afterwards (``tf.lite``'s JAX converter and Keras's pandas, IPython and matplotlib support
    stay off in this process)."""
    with _modules_hidden(UNUSED_BY_TENSORFLOW_IMPORT):
        import tensorflow  # noqa: F401


def _import_tensorflow_hiding_stderr() -> None:
    """:func:`import_tensorflow` with fd 2 sent to a temp file; the capture is replayed if the import fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            import_tensorflow()
        except BaseException:
            os.dup2(saved, 2)
            capture.seek(0)
            os.write(2, capture.read())
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _raise_absl_min_log_level() -> bool:
    """Hide absl C++ logs below FATAL (graph optimizer errors during training); False if TF lacks the symbol."""
    import tensorflow as tf

    try:
        library = ctypes.CDLL(str(Path(tf.__file__).parent / "libtensorflow_framework.so.2"))
        getattr(library, ABSL_SET_MIN_LOG_LEVEL)(ctypes.c_int(ABSL_FATAL))
    except (OSError, AttributeError):
        return False
    return True


def quiet_start(argv: list[str] | None = None) -> bool:
    """Prepare the process before TensorFlow is imported; returns whether it runs quietly.

    Args:
        argv: the CLI arguments (default ``sys.argv[1:]``); ``--verbose`` there keeps every log.
    """
    quiet = is_quiet(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3" if quiet else "0")
    if not quiet:
        if "tensorflow" not in sys.modules:
            import_tensorflow()
        return False
    if "tensorflow" not in sys.modules:
        _import_tensorflow_hiding_stderr()
        _raise_absl_min_log_level()
    for name in PYTHON_LOGGERS:
        level = logging.WARNING if name.startswith("attentiongan_tf.") else logging.ERROR
        logging.getLogger(name).setLevel(level)
    return True


def device_line(strategy: str | None = None) -> str:
    """One line naming the devices TensorFlow sees and the distribution strategy, e.g.
    ``device: CPU (no GPU visible); strategy: default (one device)``.

    Args:
        strategy: the strategy name in use (``default``, ``mirrored``...), or ``None`` for single-device CLIs.
    """
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    tpus = tf.config.list_logical_devices("TPU")
    if tpus:
        device = f"{len(tpus)} × TPU"
    elif gpus:
        names = sorted({tf.config.experimental.get_device_details(g).get("device_name", "GPU") for g in gpus})
        device = f"{len(gpus)} × GPU ({', '.join(names)})"
    else:
        device = "CPU (no GPU visible)"
    if strategy is None:
        return f"device: {device}"
    detail = {"default": "one device", "mirrored": "all local devices"}.get(strategy, "")
    return f"device: {device}; strategy: {strategy}" + (f" ({detail})" if detail else "")


def strategy_name(name: str) -> str:
    """The strategy ``--strategy name`` picks (``auto`` resolved as :func:`strategies.make_strategy` does)."""
    from attentiongan_tf.training import strategies

    return strategies._auto_name() if name == "auto" else name


def announce(strategy: str | None = None, *details: str) -> None:
    """Print :func:`device_line` on stderr (the CLIs' one start-up line), with ``details`` after it
    (``train.py``: the convolutions it trains with)."""
    print("; ".join((device_line(strategy), *details)), file=sys.stderr, flush=True)
