"""Validation errors speak config terms in the library; the CLI renders them with the flag that sets the field."""

import pytest

from attentiongan_tf.cli import train
from attentiongan_tf.cli.train_flags import flag_message, flag_of
from attentiongan_tf.training.config import preset
from attentiongan_tf.training.config_errors import ConfigError
from attentiongan_tf.training.tasks.multi_domain_config import MultiDomainConfig


def build(*argv):
    return train.build_config(train.parse_args(list(argv)))


def test_library_errors_name_the_config_field():
    config = preset("demo")
    config.model.ngf = 0
    with pytest.raises(ConfigError) as error:
        config.validate()
    assert str(error.value) == "model.ngf must be > 0, got 0" and error.value.fields == ("model.ngf",)
    with pytest.raises(ConfigError) as error:
        MultiDomainConfig(ngf=0).validate()
    assert str(error.value) == "ngf must be a positive integer, got 0" and error.value.fields == ("ngf",)


def test_the_conv_algorithm_is_checked_in_both_kinds():
    config = preset("demo")
    config.train.conv_algorithm = "fft"
    with pytest.raises(ConfigError, match=r"^train.conv_algorithm must be one of \('auto', 'direct', 'winograd'\)"):
        config.validate()
    with pytest.raises(ConfigError) as error:
        MultiDomainConfig(conv_algorithm="winograd", mixed_precision="float16").validate()
    assert error.value.fields == ("conv_algorithm", "mixed_precision")
    MultiDomainConfig(conv_algorithm="winograd", mixed_precision="bfloat16").validate()  # F(2×2, 3×3)


def test_a_problem_relating_fields_names_each():
    config = preset("demo")
    config.data.load_size = 16
    with pytest.raises(ConfigError) as error:
        config.validate()
    assert error.value.fields == ("data.load_size", "data.crop_size")
    assert str(error.value) == f"data.load_size 16 must be >= data.crop_size {config.data.crop_size}"


def test_values_with_braces_are_kept_literally():
    assert str(ConfigError("data.preprocess", "must be one of {a}, got '{0}'")) == (
        "data.preprocess must be one of {a}, got '{0}'")  # fmt: skip


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--ngf", "0"], "--ngf must be > 0, got 0"),
        (["--image-size", "64", "--load-size", "32"], "--load-size 32 must be >= --image-size 64"),
        (["--preset", "multidomain_demo", "--ngf", "0"], "--ngf must be a positive integer, got 0"),
        (["--preset", "multidomain_demo", "--image-size", "36"],
         "--image-size 36 must be divisible by 4 and by 2 ** --n-layers-d (3) = 8"),
        (["--preset", "multidomain_demo", "--layout", "csv"], "--layout csv needs --labels-csv"),
        (["--conv-algorithm", "winograd", "--mixed-precision", "float16"],
         "--conv-algorithm winograd computes in float32 or bfloat16; it cannot be combined with --mixed-precision "
         "float16"),
        (["--preset", "multidomain_demo", "--conv-algorithm", "winograd", "--mixed-precision"],
         "--conv-algorithm winograd computes in float32 or bfloat16; it cannot be combined with --mixed-precision "
         "float16"),
    ],
)  # fmt: skip
def test_the_cli_renders_them_with_the_flag(argv, message, tmp_path, capsys):
    with pytest.raises(ValueError) as error:
        build(*argv)
    assert str(error.value) == message
    assert train.main([*argv, "--output-dir", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {message}"
    assert not (tmp_path / "run").exists()


def test_fields_no_flag_sets_keep_their_config_name():
    assert flag_of("loss.lambda_cycle_b") == "--lambda-cycle"  # set together with lambda_cycle_a
    assert flag_of("g_learning_rate") == "--g-learning-rate"  # not --learning-rate, which sets both rates
    assert flag_of("train.beta_1") is None and flag_of("beta_2") is None
    assert flag_message(ConfigError("train.beta_1", "must be < 1, got 1.0")) == "train.beta_1 must be < 1, got 1.0"
    assert flag_message(ValueError("other")) == "other"


@pytest.mark.parametrize("field", ["train.steps", "steps"])  # two-domain and multi-domain configs
def test_resuming_past_the_schedule_is_phrased_in_config_terms(field):
    from attentiongan_tf.training.run_dir import check_steps

    check_steps(2, 2, "ckpt-2", field)  # equal: nothing left to do, not an error
    with pytest.raises(ConfigError) as error:
        check_steps(1, 2, "ckpt-2", field)
    assert str(error.value).startswith(f"{field} 1 is below step 2 of the checkpoint ckpt-2")
    assert flag_message(error.value).startswith("--steps 1 is below step 2") and "set it to 2 or more" in str(
        error.value
    )


def test_an_unknown_preprocess_mode_is_refused_by_the_config_and_by_the_data_function():
    import tensorflow as tf

    from attentiongan_tf.data.unpaired import resize_for_crop

    config = preset("demo")
    config.data.preprocess = "stretch"
    with pytest.raises(ConfigError, match="^data.preprocess must be one of") as error:
        config.validate()
    assert flag_message(error.value).startswith("--preprocess must be one of")
    # A direct caller of the data function gets its argument named (no config is involved there).
    with pytest.raises(ValueError, match="^resize_for_crop: mode must be one of resize_and_crop"):
        resize_for_crop(tf.zeros((8, 8, 3)), "stretch", 8, 8)
