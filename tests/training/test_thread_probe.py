"""Issue #15: ``--mixed-precision auto`` measures which bfloat16 thread setting is faster for the run, before it
starts (training.thread_probe), instead of a rule that picked the slower setting in some benchmark runs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from attentiongan_tf.cli import train
from attentiongan_tf.training import precision, thread_probe
from attentiongan_tf.training.config import preset

AMX, ZEN4, NO_BF16 = "fpu avx512_bf16 amx_bf16 amx_tile", "fpu avx512f avx512_bf16", "fpu avx2 avx512f"


@pytest.mark.parametrize(
    ("flags", "cores", "environ", "pixels", "expected"),
    [
        (AMX, 2, {}, 128 * 128, True),
        (AMX, 1, {}, 256 * 256 * 4, True),
        (ZEN4, 2, {}, 128 * 128 * 4, True),
        (AMX, 2, {}, 48 * 48 * 4, False),  # the demo's size: the rule (the probe would be much of the run)
        (AMX, 8, {}, 128 * 128, False),  # not measured beyond 2 cores: TensorFlow's defaults
        (NO_BF16, 2, {}, 128 * 128, False),  # no bfloat16: auto trains in float32
        (AMX, 2, {"TF_NUM_INTRAOP_THREADS": "2"}, 128 * 128, False),  # the user's own threads
        (AMX, 2, {"TF_NUM_INTEROP_THREADS": "1"}, 128 * 128, False),
    ],
)
def test_auto_measures_threads(flags, cores, environ, pixels, expected):
    assert precision.auto_measures_threads(flags, cores, environ, pixels) is expected


def _tiny_bfloat16_config():
    config = preset("demo")
    config.model.ngf, config.model.ndf, config.model.n_blocks = 4, 4, 1
    config.data.load_size = config.data.crop_size = 16
    config.data.batch_size = 1
    config.train.mixed_precision = "bfloat16"
    return config


@pytest.mark.slow
def test_the_probe_times_both_settings_of_the_runs_own_models():
    probe = thread_probe.measure(_tiny_bfloat16_config(), steps=1, warmup=1)
    assert probe.error == ""
    assert probe.one_thread_per_op_s > 0 and probe.all_cores_per_op_s > 0
    assert probe.one_thread_per_op_is_faster is (probe.one_thread_per_op_s < probe.all_cores_per_op_s)
    assert "with one thread per op" in probe.summary() and "with each op on every core" in probe.summary()


@pytest.mark.slow
def test_the_probes_child_runs_one_thread_per_op_when_asked(tmp_path):
    config_path = tmp_path / "config.json"
    _tiny_bfloat16_config().save(config_path)
    command = [sys.executable, "-m", thread_probe.__name__, str(config_path), "1", "1", thread_probe.ONE_THREAD_PER_OP]
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=root)
    assert done.returncode == 0, done.stderr[-2000:]
    child = json.loads(done.stdout.strip().splitlines()[-1])
    assert child["intra_op_threads"] == 1 and child["inter_op_threads"] >= 1 and child["step_s"] > 0


def test_a_failed_or_slow_child_is_reported_not_raised(monkeypatch):
    config = _tiny_bfloat16_config()
    slow = thread_probe.measure(config, timeout_s=0.01)
    assert not slow.one_thread_per_op_is_faster and "took over" in slow.error
    monkeypatch.setattr(sys, "executable", "/bin/false")
    failed = thread_probe.measure(config)
    assert "child process failed (exit code 1)" in failed.error
    assert failed.summary().startswith("the probe failed: ")
    monkeypatch.setattr(sys, "executable", "/bin/echo")  # exits 0, but prints no time
    assert "answered '-m attentiongan_tf.training.thread_probe" in thread_probe.measure(config).error
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    assert "did not start" in thread_probe.measure(config).error


def _auto_bfloat16_measured(monkeypatch, probe):
    """Make ``auto`` pick bfloat16 and measure the threads with ``probe`` as the result; returns the configs
    measured and the calls of ``use_one_thread_per_op``."""
    measured, set_threads = [], []
    monkeypatch.setattr(precision, "auto_mixed_precision", lambda: "bfloat16")
    monkeypatch.setattr(precision, "auto_bfloat16_winograd", lambda: False)  # an AMX CPU
    monkeypatch.setattr(precision, "auto_measures_threads", lambda **_: True)
    monkeypatch.setattr(precision, "auto_one_thread_per_op", lambda **_: True)  # the rule, where it decides
    monkeypatch.setattr(precision, "use_one_thread_per_op", lambda: set_threads.append(1) or True)
    monkeypatch.setattr(thread_probe, "measure", lambda config: measured.append(config) or probe)
    return measured, set_threads


@pytest.mark.parametrize(
    ("probe", "one_thread", "said"),
    [
        (
            thread_probe.ThreadProbe(0.8, 1.0),
            True,
            "bfloat16, one thread per op (TF_NUM_INTRAOP_THREADS=1) "
            "(measured: fastest step 0.80 s with one thread per op, 1.00 s with each op on every core)",
        ),
        (
            thread_probe.ThreadProbe(1.2, 1.0),
            False,
            "bfloat16, each op on every core "
            "(measured: fastest step 1.20 s with one thread per op, 1.00 s with each op on every core)",
        ),
        (
            thread_probe.ThreadProbe(error="a setting took over 900 s"),
            True,
            "one thread per op "
            "(TF_NUM_INTRAOP_THREADS=1) (the probe failed: a setting took over 900 s; the rule from the benchmarks "
            "decides)",
        ),
    ],
)
def test_auto_takes_the_measured_faster_thread_setting(monkeypatch, caplog, probe, one_thread, said):
    measured, set_threads = _auto_bfloat16_measured(monkeypatch, probe)
    args = ["--mixed-precision", "auto", "--image-size", "128", "--batch-size", "4"]
    config = train.build_config(train.parse_args(args))
    assert [(c.data.crop_size, c.data.batch_size, c.train.mixed_precision) for c in measured] == [(128, 4, "bfloat16")]
    assert config.train.mixed_precision == "bfloat16" and set_threads == ([1] if one_thread else [])
    assert said in caplog.text


def test_auto_takes_the_rule_for_the_multi_domain_family(monkeypatch, caplog):
    measured, set_threads = _auto_bfloat16_measured(monkeypatch, thread_probe.ThreadProbe(9.0, 1.0))
    train.build_config(train.parse_args(["--preset", "multidomain_demo", "--mixed-precision", "auto"]))
    assert measured == [] and set_threads == [1]
    assert "measured" not in caplog.text


def test_ctrl_c_during_the_probe_stops_with_one_line_and_writes_nothing(monkeypatch, capsys, tmp_path):
    def interrupted(config):
        raise KeyboardInterrupt

    _auto_bfloat16_measured(monkeypatch, None)
    monkeypatch.setattr(thread_probe, "measure", interrupted)
    output_dir = tmp_path / "run"
    code = train.main(["--mixed-precision", "auto", "--image-size", "128", "--output-dir", str(output_dir)])
    assert code == 130 and not output_dir.exists()
    err = capsys.readouterr().err
    assert "stopped by SIGINT before training started; nothing was written" in err and "Traceback" not in err


@pytest.mark.slow
def test_train_py_with_auto_measures_the_threads_before_its_first_step(tmp_path):
    """The real CLI: its probe's children start while the parent's TensorFlow has not, and the pick is applied."""
    if precision.auto_mixed_precision() != "bfloat16" or not precision.auto_measures_threads(pixels_per_step=128**2):
        pytest.skip("auto measures threads only on a CPU with bfloat16 instructions and at most 2 cores")
    root = Path(__file__).resolve().parents[2]
    flags = ["--mixed-precision", "auto", "--image-size", "128", "--batch-size", "1", "--ngf", "4", "--ndf", "4",
             "--n-blocks", "1", "--steps", "1", "--output-dir", str(tmp_path / "run")]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")}
    done = subprocess.run([sys.executable, str(root / "train.py"), *flags], capture_output=True, text=True,
                          timeout=600, cwd=root, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [line for line in done.stderr.splitlines() if "on this machine" in line]
    assert "measured: fastest step" in line and ("one thread per op (TF_NUM_INTRAOP_THREADS=1)" in line or
                                                  "each op on every core (" in line)  # fmt: skip
    assert (tmp_path / "run" / "checkpoints" / "checkpoint").is_file()
