import json

import pytest

from attentiongan_tf.training.config import TWO_DOMAIN_PRESETS, Config, preset


@pytest.mark.parametrize("name", TWO_DOMAIN_PRESETS)
def test_presets_round_trip_json(name, tmp_path):
    config = preset(name)
    config.save(tmp_path / "config.json")
    assert Config.load(tmp_path / "config.json") == config


def test_official_preset_matches_official_code():
    c = preset("official")
    assert (c.model.variant, c.model.ngf, c.model.n_blocks, c.model.n_masks) == ("scheme2", 64, 9, 10)
    lo = c.loss
    assert (lo.gan_mode, lo.lambda_cycle_a, lo.lambda_cycle_b, lo.lambda_identity) == ("lsgan", 10, 10, 0.5)
    assert (c.train.learning_rate, c.train.beta_1, c.train.beta_2, c.train.pool_size) == (2e-4, 0.5, 0.999, 50)
    # scripts/train_attentiongan.sh: --batch_size 4 --niter 60 --niter_decay 0 --load_size 286 --crop_size 256
    assert (c.data.load_size, c.data.crop_size, c.data.batch_size) == (286, 256, 4)
    assert (c.train.epochs, c.train.decay_fraction) == (60, 0.0)
    c.resolve_epochs((1067, 1334))  # horse2zebra: an epoch is max(|trainA|, |trainB|) images
    assert c.train.steps == 60 * 1334 // 4 and c.lr_decay_steps == 0


def test_cyclegan_options_preset_is_the_inherited_defaults():
    c = preset("cyclegan-options")
    assert (c.data.batch_size, c.train.epochs, c.train.decay_fraction) == (1, 200, 0.5)
    c.resolve_epochs((10, 7))
    assert c.train.steps == 2000 and c.lr_constant_steps == c.lr_decay_steps == 1000


def test_epochs_round_up_to_whole_steps():
    c = preset("demo")
    c.train.epochs, c.data.batch_size = 1.5, 4
    c.resolve_epochs((9, 3))
    assert c.train.steps == 4  # ceil(1.5 * 9 / 4)
    c.train.epochs = 0
    with pytest.raises(ValueError, match=r"^train\.epochs must be > 0, got 0$"):
        c.validate()


def test_robust_preset_is_official_plus_the_remedy():
    official, robust = preset("official"), preset("robust")
    assert robust.model == official.model and robust.data == official.data and robust.train == official.train
    assert (robust.loss.cycle_attention_gradient, robust.loss.identity_attention_gradient) == (0.1, 0.1)
    assert (official.loss.cycle_attention_gradient, official.loss.identity_attention_gradient) == (1.0, 1.0)


def test_paper_scheme1_preset():
    c = preset("paper-scheme1")
    assert c.model.variant == "scheme1" and c.model.attention_discriminator and c.n_masks == 2
    assert c.loss.lambda_pixel > 0 and c.loss.lambda_tv > 0 and c.loss.lambda_attention_gan > 0
    assert (c.loss.curriculum_early, c.loss.curriculum_late) == (0.01, 0.5)


def test_unknown_keys_are_rejected():
    values = preset("demo").to_dict()
    values["model"]["width"] = 3
    with pytest.raises(ValueError, match="width"):
        Config.from_dict(values)
    with pytest.raises(ValueError, match="extra"):
        Config.from_dict({"extra": {}})


@pytest.mark.parametrize(
    "section, key, value, message",
    [
        ("data", "crop_size", 30, "^data.crop_size must be a positive multiple of 4"),
        ("data", "load_size", 16, "^data.load_size 16 must be >= data.crop_size"),
        ("train", "steps", 0, "^train.steps must be > 0"),
        ("train", "strategy", "gpu", "^train.strategy must be one of"),
        ("model", "variant", "scheme3", "^model.variant must be one of"),
        ("loss", "gan_mode", "hinge", "^loss.gan_mode must be one of"),
    ],
)
def test_invalid_values_name_the_field(section, key, value, message):
    values = json.loads(preset("demo").to_json())
    values[section][key] = value
    with pytest.raises(ValueError, match=message):
        Config.from_dict(values)


def test_unknown_preset():
    with pytest.raises(ValueError, match="unknown preset"):
        preset("fast")


def test_cli_flags_map_onto_the_preset():
    from attentiongan_tf.cli import train

    config = train.build_config(train.parse_args(["--preset", "official", "--image-size", "128", "--steps", "7"]))
    assert (config.data.crop_size, config.data.load_size, config.train.steps) == (128, 143, 7)
    assert train.build_config(train.parse_args([])).preset == "demo"


def test_cli_resume_keeps_the_saved_architecture(tmp_path):
    from attentiongan_tf.cli import train

    preset("demo").save(tmp_path / "config.json")
    args = ["--output-dir", str(tmp_path), "--resume"]
    assert train.build_config(train.parse_args([*args, "--steps", "5"])).train.steps == 5
    with pytest.raises(ValueError, match="--ngf"):
        train.build_config(train.parse_args([*args, "--ngf", "16"]))
    with pytest.raises(ValueError, match="dataroot"):
        train.build_config(train.parse_args(["--dataroot", str(tmp_path / "none")]))


def test_auto_strategy_detects_a_local_tpu_vm(monkeypatch):
    from attentiongan_tf.training import strategies

    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.setenv("TPU_ACCELERATOR_TYPE", "v2-8")
    assert strategies._local_tpu() == "local"
    assert strategies._auto_name() == "tpu"
    monkeypatch.delenv("TPU_ACCELERATOR_TYPE")
    monkeypatch.delenv("TPU_NAME", raising=False)
    monkeypatch.delenv("COLAB_TPU_ADDR", raising=False)
    if not list(__import__("pathlib").Path("/dev").glob("accel*")):
        assert strategies._auto_name() in ("default", "mirrored")
