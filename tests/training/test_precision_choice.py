"""Issue #15: ``--mixed-precision auto`` picks the mode the benchmarks favour; ``--xla`` on a CPU warns."""

import pytest

from attentiongan_tf.cli import train
from attentiongan_tf.training import loop, precision


@pytest.mark.parametrize(
    ("flags", "gpus", "expected"),
    [
        ("fpu sse avx512f avx512_bf16 avx512_vnni", 0, "bfloat16"),  # AMD Zen 4, Intel Cooper Lake
        ("fpu avx512f amx_bf16 amx_tile", 0, "bfloat16"),  # Intel Sapphire Rapids
        ("fpu sse avx2 avx512f", 0, "off"),  # no bfloat16 matrix instructions: bfloat16 would be emulated
        ("", 0, "off"),
        ("fpu avx2", 1, "float16"),
    ],
)
def test_auto_mixed_precision(flags, gpus, expected):
    assert precision.auto_mixed_precision(flags, gpus) == expected


@pytest.mark.parametrize(
    ("picked", "extra", "stored"),
    [
        ("bfloat16", [], ("bfloat16", "direct")),
        ("float16", [], ("float16", "direct")),
        ("off", [], (False, "winograd")),  # float32 on a CPU: the Winograd convolutions are the faster float32
        ("off", ["--conv-algorithm", "direct"], (False, "direct")),  # an explicit choice is kept
    ],
)
def test_auto_flag_stores_the_picked_mode(monkeypatch, caplog, picked, extra, stored):
    monkeypatch.setattr(precision, "auto_mixed_precision", lambda: picked)
    config = train.build_config(train.parse_args(["--mixed-precision", "auto", *extra]))
    assert (config.train.mixed_precision, config.train.conv_algorithm) == stored
    assert f"--mixed-precision auto: {picked}" in caplog.text
    assert ("--conv-algorithm winograd" in caplog.text) == (stored[1] == "winograd")


def test_xla_on_a_cpu_warns_with_the_measured_slowdown(monkeypatch, capsys, tmp_path):
    def stop(*args, **kwargs):
        raise ValueError("stopped before training")

    monkeypatch.setattr(loop, "train", stop)
    assert train.main(["--xla", "--output-dir", str(tmp_path / "run")]) != 0
    err = capsys.readouterr().err
    assert "--xla makes training slower on CPUs" in err and "stopped before training" in err
