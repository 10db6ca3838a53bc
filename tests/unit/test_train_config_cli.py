"""One config system: presets of both kinds, one resume policy, flags that do not apply are errors naming them."""

import json

import pytest

from attentiongan_tf.cli import train as cli
from attentiongan_tf.training.config import preset
from attentiongan_tf.training.tasks import registry
from attentiongan_tf.training.tasks.multi_domain_config import MULTI_DOMAIN_PRESETS, MultiDomainConfig
from attentiongan_tf.training.tasks.registry import PRESET_KINDS, preset_config


def build(*argv):
    return cli.build_config(cli.parse_args(list(argv)))


def test_multidomain_preset_with_few_steps_decays_a_fraction():
    # Before: "need n_blocks >= 0 and 0 <= decay_steps <= steps, got 6, 100000, 3" (a fixed decay length).
    config = build("--preset", "multidomain", "--steps", "3")
    assert config.kind == "multidomain" and config.steps == 3
    assert config.decay_fraction == 0.5 and config.lr_decay_steps == 2
    assert MULTI_DOMAIN_PRESETS["multidomain"].lr_decay_steps == 100_000  # StarGAN: the last 100k of 200k steps


def test_decay_fraction_errors_name_the_flag(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.parse_args(["--preset", "multidomain", "--decay-fraction", "1.5"])
    assert exit_info.value.code == 2 and "--decay-fraction" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"^decay_fraction must be a finite number in \[0, 1\], got -0.1$"):
        MultiDomainConfig(decay_fraction=-0.1).validate()
    assert build("--preset", "official", "--decay-fraction", "0.25").train.decay_fraction == 0.25


def test_flags_of_the_other_kind_are_errors_naming_them():
    with pytest.raises(ValueError, match="--pool-size.*multidomain"):
        build("--preset", "multidomain_demo", "--pool-size", "5")
    with pytest.raises(ValueError, match="--n-critic.*multi-domain presets"):
        build("--preset", "official", "--n-critic", "2")
    assert build("--preset", "official", "--lambda-tv", "1").loss.lambda_tv == 1.0


def test_learning_rate_sets_both_multidomain_rates_unless_one_is_given():
    config = build("--preset", "multidomain", "--ngf", "16", "--learning-rate", "3e-4", "--d-learning-rate", "1e-4")
    assert (config.ngf, config.g_learning_rate, config.d_learning_rate) == (16, 3e-4, 1e-4)
    assert build("--preset", "multidomain", "--learning-rate", "3e-4").d_learning_rate == 3e-4
    assert build("--preset", "multidomain", "--g-learning-rate", "2e-4", "--learning-rate", "3e-4").g_learning_rate == (
        2e-4)  # fmt: skip


def test_one_flag_table_per_kind_covers_every_flag():
    from attentiongan_tf.cli.train_flags import FLAGS_BY_KIND, config_field

    control = {"help", "preset", "resume", "overwrite", "verbose"}
    destinations = {action.dest for action in cli.build_parser()._actions} - control
    assert destinations == set().union(*FLAGS_BY_KIND.values())  # every flag sets fields of at least one kind
    for kind, table in FLAGS_BY_KIND.items():
        config = preset_config(next(name for name, k in PRESET_KINDS.items() if k == kind))
        for fields in table.values():
            for field in fields:
                config_field(config, field)  # an AttributeError names a field the kind does not have


def test_multidomain_gains_the_runtime_flags():
    config = build("--preset", "multidomain_demo", "--strategy", "mirrored", "--xla", "--mixed-precision", "bfloat16",
                   "--on-collapse", "stop", "--deterministic")  # fmt: skip
    assert (config.strategy, config.xla, config.mixed_precision, config.on_collapse, config.deterministic) == (
        "mirrored", True, "bfloat16", "stop", True)  # fmt: skip


@pytest.mark.parametrize("kind_flags", [[], ["--preset", "multidomain_demo"]])
def test_conv_algorithm_flag_sets_the_field_of_either_kind_and_may_change_on_resume(kind_flags, tmp_path):
    from attentiongan_tf.cli.train_flags import flag_setting

    assert flag_setting(build(*kind_flags), "conv_algorithm") == "auto"
    config = build(*kind_flags, "--conv-algorithm", "winograd", "--output-dir", str(tmp_path))
    assert flag_setting(config, "conv_algorithm") == "winograd"
    if kind_flags:
        config.save(tmp_path / "config.json", domains=["a", "b"], classification="single_label")
    else:
        config.save(tmp_path / "config.json")
    resumed = build("--output-dir", str(tmp_path), "--resume", "--conv-algorithm", "direct")
    assert flag_setting(resumed, "conv_algorithm") == "direct"  # a way of computing, not part of the model


def test_one_resume_policy_for_both_kinds(tmp_path):
    md_dir, two_dir = tmp_path / "md", tmp_path / "two"
    md_dir.mkdir(), two_dir.mkdir()
    MultiDomainConfig(output_dir=str(md_dir), steps=10).save(md_dir / "config.json", domains=["a", "b"],
                                                              classification="single_label")  # fmt: skip
    preset("demo").save(two_dir / "config.json")
    for run in (md_dir, two_dir):
        resumed = build("--output-dir", str(run), "--resume", "--steps", "20", "--xla", "--log-every", "3")
        assert resumed.kind == registry.kind_of_run(run)
        with pytest.raises(ValueError, match=r"cannot change --ngf when resuming"):
            build("--output-dir", str(run), "--resume", "--ngf", "3")
    with pytest.raises(ValueError, match=r"cannot change --lambda-rec when resuming"):
        build("--output-dir", str(md_dir), "--resume", "--lambda-rec", "5")


def test_kind_is_saved_and_inferred_for_configs_written_before_it(tmp_path):
    preset("demo").save(tmp_path / "two.json")
    assert json.loads((tmp_path / "two.json").read_text())["kind"] == "two_domain"
    legacy_two = json.loads((tmp_path / "two.json").read_text())
    del legacy_two["kind"]
    assert registry.kind_of_values(legacy_two) == "two_domain"
    # A multi-domain config.json as commit 0202b8d wrote it: no kind, "preset" as the tag, decay_steps.
    legacy = {"preset": "multidomain", "config": {"steps": 400, "decay_steps": 100, "ngf": 8}, "domains": ["a"],
              "classification": "single_label"}  # fmt: skip
    assert registry.kind_of_values(legacy) == "multidomain"
    config = MultiDomainConfig.from_dict(legacy["config"])
    assert (config.decay_fraction, config.lr_decay_steps, config.preset) == (0.25, 100, "multidomain")
    with pytest.raises(ValueError, match="kind"):
        registry.kind_of_values({"kind": "three-domain"})


def test_preset_names_and_kinds():
    assert PRESET_KINDS["official"] == "two_domain" and PRESET_KINDS["multidomain_demo"] == "multidomain"
    first, second = preset_config("multidomain_demo"), preset_config("multidomain_demo")
    first.ngf = 99
    assert second.ngf == MULTI_DOMAIN_PRESETS["multidomain_demo"].ngf  # fresh copies
    with pytest.raises(ValueError, match="^preset must be one of demo, official"):
        preset_config("nope")
