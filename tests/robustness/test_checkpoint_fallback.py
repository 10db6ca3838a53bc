"""Item 7 of issue 11: a corrupt newest checkpoint falls back to the newest readable one, saying which."""

import logging

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.training import checkpoints as ckpt
from attentiongan_tf.training.loop import train
from attentiongan_tf.training.tasks.multi_domain_task import load_multidomain_generator, train_multidomain

from .runs import multidomain_config, two_domain_config


def truncate_data(run, number):
    (data,) = (run / "checkpoints").glob(f"ckpt-{number}.data-*")
    with data.open("r+b") as f:
        f.truncate(data.stat().st_size // 2)


def flip_byte(run, number):
    (data,) = (run / "checkpoints").glob(f"ckpt-{number}.data-*")
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    data.write_bytes(bytes(raw))


@pytest.fixture(scope="module")
def two_domain_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fallback")
    train(two_domain_config(tmp, tmp / "run", steps=4), progress=False)  # ckpt-2 and ckpt-4
    return tmp


def test_load_generator_falls_back_and_says_which(two_domain_run, tmp_path, caplog):
    import shutil

    run = shutil.copytree(two_domain_run / "run", tmp_path / "run")
    truncate_data(run, 4)
    with caplog.at_level(logging.WARNING):
        generator = ckpt.load_generator(run, "AtoB")
    assert "ckpt-4" in caplog.text and "ckpt-2" in caplog.text
    reader = tf.train.load_checkpoint(str(run / "checkpoints" / "ckpt-2"))
    for name, variable in ckpt.model_variables(generator).items():
        key = f"generator_ab/{name.replace('.', '..')}/.ATTRIBUTES/VARIABLE_VALUE"  # TF escapes "." as ".."
        expected = reader.get_tensor(key)
        np.testing.assert_array_equal(variable.numpy(), expected)


def test_resume_falls_back_to_an_older_checkpoint(two_domain_run, tmp_path, caplog):
    import shutil

    run = shutil.copytree(two_domain_run / "run", tmp_path / "run")
    flip_byte(run, 4)  # a bit flip is caught by the checksums, not only a truncation
    config = two_domain_config(two_domain_run, run, steps=4)
    with caplog.at_level(logging.WARNING):
        result = train(config, resume=True, progress=False)
    assert "ckpt-4" in caplog.text and "ckpt-2" in caplog.text
    assert [h["step"] for h in result.history] == [3, 4]
    assert ckpt.latest_checkpoint(run).endswith("ckpt-4")
    assert ckpt.load_generator(run) is not None  # the rewritten ckpt-4 is readable


def test_no_readable_checkpoint_is_one_clear_error(two_domain_run, tmp_path):
    import shutil

    run = shutil.copytree(two_domain_run / "run", tmp_path / "run")
    truncate_data(run, 4)
    truncate_data(run, 2)
    with pytest.raises(ValueError, match=r"no readable checkpoint in .*checkpoints.*ckpt-4.*ckpt-2"):
        ckpt.load_generator(run)
    with pytest.raises(ValueError, match="no readable checkpoint"):
        train(two_domain_config(two_domain_run, run, steps=6), resume=True, progress=False)


def test_translate_cli_reports_one_error_line(two_domain_run, tmp_path, capsys):
    import shutil

    from attentiongan_tf.cli import translate

    run = shutil.copytree(two_domain_run / "run", tmp_path / "run")
    truncate_data(run, 4)
    truncate_data(run, 2)
    with pytest.raises(SystemExit) as exit_info:
        translate.main(["--model", str(run), "--input", str(two_domain_run / "data" / "testA"),
                        "--output", str(tmp_path / "out")])
    assert "no readable checkpoint" in str(exit_info.value.code) and "ckpt-2" in str(exit_info.value.code)


def test_multidomain_loader_and_resume_fall_back(tmp_path, caplog):
    run = tmp_path / "md"
    train_multidomain(multidomain_config(run, steps=2), progress=False)  # ckpt-1 and ckpt-2
    truncate_data(run, 2)
    with caplog.at_level(logging.WARNING):
        generator = load_multidomain_generator(run)
    assert generator.domain_names and "ckpt-2" in caplog.text and "ckpt-1" in caplog.text
    result = train_multidomain(multidomain_config(run, steps=2), resume=True, progress=False)
    assert [h["step"] for h in result.history] == [2]
