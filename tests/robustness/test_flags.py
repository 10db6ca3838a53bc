"""Item 11 of issue 11: flags and numbers that do not lie, checked before anything is written."""

import dataclasses
import json

import pytest

from attentiongan_tf.cli import train
from attentiongan_tf.training.config import preset
from attentiongan_tf.training.config_errors import ConfigError
from attentiongan_tf.training.loop import train as train_two_domain
from attentiongan_tf.training.tasks.multi_domain_config import MULTI_DOMAIN_PRESETS, MultiDomainConfig
from attentiongan_tf.training.tasks.multi_domain_task import train_multidomain

from .runs import TINY_FLAGS, multidomain_config, tree_digest, two_domain_config

FLOAT_FLAGS = [
    ("--learning-rate", ()),
    ("--g-learning-rate", ("--preset", "multidomain_demo")),
    ("--d-learning-rate", ("--preset", "multidomain_demo")),
    *[(f"--lambda-{n}", ("--preset", "multidomain_demo")) for n in ("cls", "rec", "gp", "tv", "attention-l1")],
]


@pytest.mark.parametrize("flag, extra", FLOAT_FLAGS)
@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_float_flags_must_be_finite_and_in_range(flag, extra, value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train.parse_args([*extra, f"{flag}={value}"])
    assert exit_info.value.code == 2 and flag in capsys.readouterr().err


def test_nan_learning_rate_writes_nothing(tmp_path, capsys):
    with pytest.raises(SystemExit):
        train.main([*TINY_FLAGS, "--steps", "1", "--learning-rate", "nan", "--output-dir", str(tmp_path / "run")])
    assert not (tmp_path / "run").exists()
    assert "--learning-rate" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--checkpoint-every", "--sample-every", "--log-every"])
@pytest.mark.parametrize("extra", [(), ("--preset", "multidomain_demo")])
def test_interval_errors_name_the_flag(flag, extra, tmp_path, capsys):
    code = train.main([*extra, *TINY_FLAGS, flag, "0", "--output-dir", str(tmp_path / "run")])
    assert code == 2 and f"{flag} must be" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_config_validation_rejects_non_finite_numbers():
    config = preset("demo")
    config.train.learning_rate = float("nan")
    with pytest.raises(ValueError, match=r"^train\.learning_rate must be a finite number > 0, got nan$"):
        config.validate()
    config = preset("demo")
    config.loss.lambda_cycle_a = float("inf")
    with pytest.raises(ValueError, match="lambda_cycle_a"):
        config.validate()
    for name in ("g_learning_rate", "lambda_gp", "beta_1"):
        with pytest.raises(ValueError, match=f"^{name} must be a finite number"):
            dataclasses.replace(MULTI_DOMAIN_PRESETS["multidomain_demo"], **{name: float("nan")}).validate()
    with pytest.raises(ValueError, match="^d_learning_rate must be a finite number > 0"):
        MultiDomainConfig(d_learning_rate=0.0).validate()


@pytest.mark.parametrize("extra", [(), ("--preset", "multidomain_demo")])
def test_resume_without_a_run_is_an_error(extra, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    for folder in ("empty", "missing"):
        code = train.main([*extra, *TINY_FLAGS, "--steps", "1", "--resume", "--output-dir", str(tmp_path / folder)])
        assert code == 2 and "no training run" in capsys.readouterr().err
    assert list((tmp_path / "empty").iterdir()) == [] and not (tmp_path / "missing").exists()


def test_resume_and_overwrite_exclude_each_other(tmp_path, capsys):
    assert train.main(["--resume", "--overwrite", "--output-dir", str(tmp_path)]) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_resume_below_the_restored_step_is_an_error(tmp_path, capsys):
    run = tmp_path / "run"
    train_two_domain(two_domain_config(tmp_path, run, steps=2), progress=False)
    before = tree_digest(run)
    code = train.main(["--output-dir", str(run), "--resume", "--steps", "1"])
    error = capsys.readouterr().err
    assert code == 1 and "--steps 1" in error and "step 2" in error
    assert tree_digest(run) == before
    assert json.loads((run / "config.json").read_text())["train"]["steps"] == 2


def test_multidomain_resume_below_the_restored_step_is_an_error(tmp_path):
    run = tmp_path / "md"
    train_multidomain(multidomain_config(run, steps=2), progress=False)
    before = tree_digest(run)
    # The library names the multi-domain config's field; the CLI renders it as --steps (test_config_errors).
    with pytest.raises(ConfigError, match="^steps 1 is below step 2 .*set it to 2 or more"):
        train_multidomain(multidomain_config(run, steps=1, decay_fraction=0.0), resume=True, progress=False)
    assert tree_digest(run) == before
