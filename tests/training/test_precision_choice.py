"""Issue #15: ``--mixed-precision auto`` picks the mode the benchmarks favour; ``--xla`` on a CPU warns."""


import pytest

from attentiongan_tf.cli import train
from attentiongan_tf.training import loop, precision
from tests.training.auto_setup import auto_bfloat16, on_a_tpu_vm_if_asked


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
    strategy = on_a_tpu_vm_if_asked(monkeypatch, strategy)
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
    asked = auto_bfloat16(monkeypatch, winograd=True)
    on_a_tpu = "tpu" in extra or "on a TPU VM" in extra
    extra = on_a_tpu_vm_if_asked(monkeypatch, extra)
    config = train.build_config(train.parse_args(["--mixed-precision", "auto", *extra]))
    assert (config.train.mixed_precision, config.train.conv_algorithm) == ("bfloat16", stored)
    assert f"--mixed-precision auto: bfloat16, --conv-algorithm {trains} on this machine" in caplog.text
    # whether one thread per op pays depends on them (not asked on a TPU: the rule is for the CPU's arithmetic)
    assert [a["conv_algorithm"] for a in asked] == ([] if on_a_tpu else [trains])


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
    strategy = on_a_tpu_vm_if_asked(monkeypatch, strategy)

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
