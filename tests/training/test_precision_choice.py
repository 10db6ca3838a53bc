"""Issue #15: ``--mixed-precision auto`` picks the mode the benchmarks favour; ``--xla`` on a CPU warns."""

import subprocess
import sys
from pathlib import Path

import pytest

from attentiongan_tf.cli import train
from attentiongan_tf.training import loop, precision
from attentiongan_tf.training.config import preset


@pytest.mark.parametrize(
    ("flags", "gpus", "expected"),
    [
        ("vendor_id : AuthenticAMD flags : fpu avx512f avx512_bf16 avx512_vnni", 0, "bfloat16"),  # AMD Zen 4
        # Intel without AMX (Cooper Lake, or a Xeon whose AMX the VM or kernel hides): bfloat16 slower than float32
        ("vendor_id : GenuineIntel flags : fpu avx512f avx512_bf16 avx512_vnni", 0, "off"),
        ("fpu sse avx512f avx512_bf16 avx512_vnni", 0, "off"),  # a vendor not measured
        ("fpu avx512f amx_bf16 amx_tile", 0, "bfloat16"),  # Intel Sapphire Rapids
        ("fpu sse avx2 avx512f", 0, "off"),  # no bfloat16 matrix instructions: bfloat16 would be emulated
        ("", 0, "off"),
        ("fpu avx2", 1, "float16"),
    ],
)
def test_auto_mixed_precision(flags, gpus, expected):
    assert precision.auto_mixed_precision(flags, gpus) == expected


def test_auto_mixed_precision_on_a_tpu_is_bfloat16_whatever_its_host_cpu():
    assert precision.auto_mixed_precision("fpu avx2", 0, tpu=True) == "bfloat16"


@pytest.mark.parametrize(
    ("strategy", "stored", "said"),
    [
        ([], False, "float32, --conv-algorithm winograd"),
        (["--strategy", "tpu"], "bfloat16", "bfloat16, --conv-algorithm direct"),
        (["on a TPU VM"], "bfloat16", "bfloat16, --conv-algorithm direct"),  # --strategy auto picks tpu there
    ],
)
def test_auto_flag_on_a_tpu_picks_bfloat16_its_native_type(monkeypatch, caplog, strategy, stored, said):
    monkeypatch.setattr(precision, "_cpu_flags", lambda _: "vendor_id : GenuineIntel flags : fpu avx2")
    strategy = _on_a_tpu_vm_if_asked(monkeypatch, strategy)
    config = train.build_config(train.parse_args(["--mixed-precision", "auto", *strategy]))
    assert config.train.mixed_precision == stored
    assert f"--mixed-precision auto: {said} on this machine" in caplog.text


@pytest.mark.parametrize(
    ("picked", "extra", "stored", "said"),
    [
        ("bfloat16", [], ("bfloat16", "auto"), "bfloat16, --conv-algorithm direct"),  # AMX: its direct kernels
        ("float16", [], ("float16", "auto"), "float16, --conv-algorithm direct"),  # a GPU
        ("off", [], (False, "auto"), "float32, --conv-algorithm winograd"),  # the faster float32 on a CPU
        ("off", ["--conv-algorithm", "direct"], (False, "direct"), "float32, --conv-algorithm direct"),  # given
    ],
)
def test_auto_flag_stores_the_picked_precision_and_says_which_convolutions(monkeypatch, caplog, picked, extra,
                                                                          stored, said):  # fmt: skip
    """The convolutions stay ``auto`` in config.json (resolved where the run trains, as without the flag)."""
    monkeypatch.setattr(precision, "auto_mixed_precision", lambda **_: picked)
    monkeypatch.setattr(precision, "auto_bfloat16_winograd", lambda *_: False)
    monkeypatch.setattr(precision, "auto_one_thread_per_op", lambda **_: False)
    config = train.build_config(train.parse_args(["--mixed-precision", "auto", *extra]))
    assert (config.train.mixed_precision, config.train.conv_algorithm) == stored
    assert f"--mixed-precision auto: {said} on this machine" in caplog.text


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ("fpu avx512f avx512_bf16 avx512_vnni", True),  # AMD Zen 4: measured faster (docs/performance_log.md)
        ("fpu avx512_bf16 amx_bf16 amx_tile", False),  # AMX: not measured, the direct kernels stay
        ("fpu avx2", False),
    ],
)
def test_auto_bfloat16_winograd(flags, expected):
    assert precision.auto_bfloat16_winograd(flags) is expected


def _auto_bfloat16(monkeypatch, winograd: bool) -> list[dict]:
    """Make ``auto`` pick bfloat16 (with Winograd convolutions or not); returns the calls of
    ``auto_one_thread_per_op`` (its keyword arguments), which answers no."""
    asked: list[dict] = []
    monkeypatch.setattr(precision, "auto_mixed_precision", lambda **_: "bfloat16")
    monkeypatch.setattr(precision, "auto_bfloat16_winograd", lambda *_: winograd)
    monkeypatch.setattr(precision, "auto_one_thread_per_op", lambda **kwargs: asked.append(kwargs) and False)
    return asked


@pytest.mark.parametrize(
    ("extra", "stored", "trains"),
    [
        ([], "auto", "winograd"),
        (["--conv-algorithm", "direct"], "direct", "direct"),  # an explicit choice
        (["--strategy", "tpu"], "auto", "direct"),  # XLA chooses a TPU's convolutions
        (["--strategy", "auto", "on a TPU VM"], "auto", "direct"),  # what --strategy auto picks there
    ],
)
def test_auto_bfloat16_on_a_cpu_without_amx_takes_winograd_convolutions(monkeypatch, caplog, extra, stored, trains):
    asked = _auto_bfloat16(monkeypatch, winograd=True)
    on_a_tpu = "tpu" in extra or "on a TPU VM" in extra
    extra = _on_a_tpu_vm_if_asked(monkeypatch, extra)
    config = train.build_config(train.parse_args(["--mixed-precision", "auto", *extra]))
    assert (config.train.mixed_precision, config.train.conv_algorithm) == ("bfloat16", stored)
    assert f"--mixed-precision auto: bfloat16, --conv-algorithm {trains} on this machine" in caplog.text
    # whether one thread per op pays depends on them (not asked on a TPU: the rule is for the CPU's arithmetic)
    assert [a["conv_algorithm"] for a in asked] == ([] if on_a_tpu else [trains])


def _on_a_tpu_vm_if_asked(monkeypatch, flags: list[str]) -> list[str]:
    """``flags`` without the marker ``"on a TPU VM"``; where it was there, this process looks like a TPU VM to
    ``--strategy auto`` (which then picks ``tpu``)."""
    if "on a TPU VM" not in flags:
        return flags
    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.setenv("TPU_ACCELERATOR_TYPE", "v5litepod-8")
    return [flag for flag in flags if flag != "on a TPU VM"]


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
    asked = _auto_bfloat16(monkeypatch, winograd=False)
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
    strategy = _on_a_tpu_vm_if_asked(monkeypatch, ["on a TPU VM"])
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


def test_xla_on_a_cpu_warns_with_the_measured_slowdown(monkeypatch, capsys, tmp_path):
    def stop(*args, **kwargs):
        raise ValueError("stopped before training")

    monkeypatch.setattr(loop, "train", stop)
    assert train.main(["--xla", "--output-dir", str(tmp_path / "run")]) != 0
    err = capsys.readouterr().err
    assert "--xla makes training slower on CPUs" in err and "stopped before training" in err


@pytest.mark.parametrize(
    ("auto_would_pick", "strategy", "warns"),
    [
        ("off", [], True),
        ("bfloat16", [], False),
        ("off", ["--strategy", "tpu"], False),
        ("off", ["--strategy", "auto", "on a TPU VM"], False),
    ],
)
def test_bfloat16_on_a_cpu_where_float32_trains_faster_warns(
    monkeypatch, capsys, tmp_path, auto_would_pick, strategy, warns
):
    """An Intel CPU with AVX512-BF16 and no AMX, or one without bfloat16 instructions: bfloat16 given by hand
    trains slower than float32 there, so train.py says so (not on TPUs, where bfloat16 is the native type)."""
    strategy = _on_a_tpu_vm_if_asked(monkeypatch, strategy)

    def stop(*args, **kwargs):
        raise ValueError("stopped before training")

    monkeypatch.setattr(loop, "train", stop)
    monkeypatch.setattr(train, "_has_gpu", lambda: False)
    monkeypatch.setattr(precision, "auto_mixed_precision", lambda *_, **__: auto_would_pick)
    args = ["--mixed-precision", "bfloat16", *strategy, "--output-dir", str(tmp_path / "run")]
    assert train.main(args) != 0
    err = capsys.readouterr().err
    assert "stopped before training" in err
    assert ("--mixed-precision bfloat16 trains slower than float32 on this CPU" in err) is warns


def test_auto_on_resume_asks_with_the_resumed_runs_pixels_per_step_and_convolutions(monkeypatch, tmp_path):
    config = preset("demo")
    config.data.load_size, config.data.crop_size, config.data.batch_size = 256, 256, 4
    config.train.mixed_precision = "bfloat16"  # what auto picked when the run started
    config.train.conv_algorithm = "winograd"  # given when the run started
    config.save(tmp_path / "config.json")
    asked = _auto_bfloat16(monkeypatch, winograd=False)
    train.build_config(train.parse_args(["--output-dir", str(tmp_path), "--resume", "--mixed-precision", "auto"]))
    assert asked == [{"conv_algorithm": "winograd", "pixels_per_step": 256 * 256 * 4}]


@pytest.mark.slow
def test_train_py_auto_trains_with_this_machines_pick_and_records_it(tmp_path):
    """The real CLI on this machine: the log line names the pick, the run trains with it and config.json keeps it
    (a resume trains with the same arithmetic), and the threads are the ones the rule gives this CPU."""
    import json

    from tests.robustness.runs import train_cli

    picked = precision.auto_mixed_precision()
    winograd = picked == "off" or (picked == "bfloat16" and precision.auto_bfloat16_winograd())
    trains = "winograd" if winograd else "direct"
    done = train_cli("--mixed-precision", "auto", "--steps", "2", "--output-dir", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr[-2000:]
    said = next(line for line in done.stderr.splitlines() if "--mixed-precision auto:" in line)
    assert f"--conv-algorithm {trains}" in said, said
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())["train"]
    assert recorded["mixed_precision"] == (False if picked == "off" else picked)
    assert recorded["conv_algorithm"] == "auto"
    pixels = 16 * 16 * 2  # the tiny run's image size² × batch
    one_thread = picked == "bfloat16" and precision.auto_one_thread_per_op(conv_algorithm=trains,
                                                                           pixels_per_step=pixels)  # fmt: skip
    assert ("one thread per op" in said) is one_thread, said
