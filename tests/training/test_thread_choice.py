"""Issue #15: the thread settings ``--mixed-precision auto`` takes from the benchmarks (one thread per op for
bfloat16 where it measured faster; float32 and accelerators keep TensorFlow's own), and when they can be set."""

import subprocess
import sys
from pathlib import Path

import pytest

from attentiongan_tf.cli import train
from attentiongan_tf.training import precision
from attentiongan_tf.training.config import preset
from tests.training.auto_setup import auto_bfloat16, on_a_tpu_vm_if_asked

AMX, NO_AMX = "fpu avx512_bf16 amx_bf16 amx_tile", "fpu avx512_bf16"
SMALL, LARGE = 128 * 128, 256 * 256  # pixels per step: 128² batch 1, 256² batch 1 (and 128² batch 4)


@pytest.mark.parametrize(
    ("flags", "cores", "environ", "conv_algorithm", "pixels", "expected"),
    [
        (AMX, 2, {}, "direct", SMALL, True),  # 128² batch 1: faster on a quiet Xeon, 3 of 3 rounds
        (AMX, 2, {}, "direct", LARGE - 1, True),
        (AMX, 2, {}, "direct", LARGE, False),  # from 256² pixels: both cores per op met 3× in every set of rounds
        (AMX, 2, {}, "direct", 4 * LARGE, False),
        (AMX, 2, {}, "winograd", SMALL, False),  # Winograd with AMX: not kept
        (AMX, 8, {}, "direct", SMALL, False),  # not measured beyond 2 cores
        (NO_AMX, 2, {}, "direct", SMALL, False),  # AVX512-BF16 without AMX: within the drift, not kept
        (NO_AMX, 2, {}, "winograd", SMALL, True),  # with Winograd: as fast or faster at every size
        (NO_AMX, 1, {}, "winograd", 4 * LARGE, True),
        (NO_AMX, 8, {}, "winograd", SMALL, False),
        (NO_AMX, 2, {"TF_NUM_INTEROP_THREADS": "1"}, "winograd", SMALL, False),  # the user's own setting wins
        (AMX, 2, {"TF_NUM_INTRAOP_THREADS": "2"}, "direct", SMALL, False),
        ("fpu avx2", 2, {}, "winograd", SMALL, False),  # no bfloat16 instructions: not asked for
    ],
)
def test_auto_one_thread_per_op(flags, cores, environ, conv_algorithm, pixels, expected):
    assert precision.auto_one_thread_per_op(flags, cores, environ, conv_algorithm, pixels) is expected


@pytest.mark.parametrize(
    ("extra", "conv_algorithm", "pixels"),
    [
        ([], "direct", 48 * 48 * 4),  # the demo preset's
        (["--image-size", "256", "--batch-size", "1", "--conv-algorithm", "winograd"], "winograd", 256 * 256),
        (["--image-size", "128", "--batch-size", "2"], "direct", 128 * 128 * 2),
        (["--preset", "multidomain_demo", "--image-size", "32"], "direct", None),  # the other kind's fields
    ],
)
def test_auto_asks_about_threads_with_the_runs_convolutions_and_pixels_per_step(monkeypatch, extra, conv_algorithm,
                                                                               pixels):  # fmt: skip
    asked = auto_bfloat16(monkeypatch, winograd=False)
    config = train.build_config(train.parse_args(["--mixed-precision", "auto", *extra]))
    if pixels is None:
        pixels = 32 * 32 * config.batch_size
    assert asked == [{"conv_algorithm": conv_algorithm, "pixels_per_step": pixels}]


def test_auto_bfloat16_with_one_thread_per_op_says_so(monkeypatch, caplog):
    calls = []
    monkeypatch.setattr(precision, "auto_mixed_precision", lambda **_: "bfloat16")
    monkeypatch.setattr(precision, "auto_bfloat16_winograd", lambda *_: False)  # an AMX CPU
    monkeypatch.setattr(precision, "auto_one_thread_per_op", lambda **_: True)
    monkeypatch.setattr(precision, "use_one_thread_per_op", lambda: calls.append(1) or True)
    config = train.build_config(train.parse_args(["--mixed-precision", "auto"]))
    assert config.train.mixed_precision == "bfloat16" and calls == [1]
    assert "--mixed-precision auto: bfloat16, --conv-algorithm direct, one thread per op" in caplog.text


def test_auto_on_a_tpu_leaves_the_host_cpus_threads_alone(monkeypatch, caplog):
    """The one-thread-per-op rule was measured for bfloat16 arithmetic on the CPU; on a TPU the host CPU only
    feeds it."""
    calls = []
    monkeypatch.setattr(precision, "_cpu_flags", lambda _: "fpu avx512_bf16 amx_bf16 amx_tile")  # its rule: yes
    monkeypatch.setattr(precision, "use_one_thread_per_op", lambda *_: calls.append(1) or True)
    strategy = on_a_tpu_vm_if_asked(monkeypatch, ["on a TPU VM"])
    config = train.build_config(train.parse_args(["--mixed-precision", "auto", "--image-size", "64", *strategy]))
    assert config.train.mixed_precision == "bfloat16" and calls == []
    assert "--mixed-precision auto: bfloat16, --conv-algorithm direct on this machine" in caplog.text


def test_auto_float32_leaves_the_threads_as_tensorflow_sets_them(monkeypatch, caplog):
    """With the pages of the libraries given back, Winograd with TensorFlow's default threads is under the
    official code's peak RSS at every size and 0–15% faster than one op at a time (RESULTS.md
    "train_speed_rounds", 2026-12-06 14:20), so ``auto`` no longer changes them."""
    calls = []
    monkeypatch.setattr(precision, "auto_mixed_precision", lambda **_: "off")
    monkeypatch.setattr(precision, "use_one_op_at_a_time", lambda: calls.append(1) or True)
    monkeypatch.setattr(precision, "use_one_thread_per_op", lambda *_: calls.append(2) or True)
    config = train.build_config(train.parse_args(["--mixed-precision", "auto"]))
    assert config.train.conv_algorithm == "auto" and calls == []
    assert "--mixed-precision auto: float32, --conv-algorithm winograd on this machine" in caplog.text


def test_one_op_at_a_time_is_set_before_tensorflow_starts_and_refused_after():
    before_start = (
        "import tensorflow as tf\n"
        "from attentiongan_tf.training.precision import use_one_op_at_a_time\n"
        "intra = tf.config.threading.get_intra_op_parallelism_threads()\n"
        "assert use_one_op_at_a_time()\n"
        "tf.constant(1.0) + 1.0\n"
        "assert tf.config.threading.get_inter_op_parallelism_threads() == 1\n"
        "assert tf.config.threading.get_intra_op_parallelism_threads() == intra\n"
    )
    after_start = (
        "import tensorflow as tf\n"
        "from attentiongan_tf.training.precision import use_one_op_at_a_time\n"
        "tf.config.threading.set_inter_op_parallelism_threads(2)\n"
        "tf.constant(1.0) + 1.0\n"
        "assert not use_one_op_at_a_time()\n"
        "assert tf.config.threading.get_inter_op_parallelism_threads() == 2\n"
    )
    root = Path(__file__).resolve().parents[2]
    for code in (before_start, after_start):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=root)
        assert done.returncode == 0, done.stderr[-2000:]


def test_one_thread_per_op_is_set_before_tensorflow_starts_and_refused_after():
    code = (
        "import tensorflow as tf\n"
        "from attentiongan_tf.training.precision import use_one_thread_per_op\n"
        "assert use_one_thread_per_op(2)\n"
        "assert tf.config.threading.get_intra_op_parallelism_threads() == 1\n"
        "assert tf.config.threading.get_inter_op_parallelism_threads() == 2\n"
        "tf.constant(1.0) + 1.0\n"
        "assert not use_one_thread_per_op(3)\n"
        "assert tf.config.threading.get_inter_op_parallelism_threads() == 2\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=root)
    assert done.returncode == 0, done.stderr[-2000:]


def test_auto_on_resume_asks_with_the_resumed_runs_pixels_per_step_and_convolutions(monkeypatch, tmp_path):
    config = preset("demo")
    config.data.load_size, config.data.crop_size, config.data.batch_size = 256, 256, 4
    config.train.mixed_precision = "bfloat16"  # what auto picked when the run started
    config.train.conv_algorithm = "winograd"  # given when the run started
    config.save(tmp_path / "config.json")
    asked = auto_bfloat16(monkeypatch, winograd=False)
    train.build_config(train.parse_args(["--output-dir", str(tmp_path), "--resume", "--mixed-precision", "auto"]))
    assert asked == [{"conv_algorithm": "winograd", "pixels_per_step": 256 * 256 * 4}]
