"""Issue #15: ``conv_algorithm="auto"``, the default, trains with what this machine is fastest with: Winograd
convolutions on a CPU in float32 (1.3–1.7× the official code; the direct ones 1.0–1.3×), direct ones on GPUs and
TPUs; a run started before the setting existed resumes with the direct convolutions it trained with."""

import json

import pytest
import tensorflow as tf

from attentiongan_tf.cli import train
from attentiongan_tf.training import precision, strategies
from attentiongan_tf.training.config import Config, TrainConfig, preset
from attentiongan_tf.training.config_errors import ConfigError
from attentiongan_tf.training.tasks.multi_domain_config import MultiDomainConfig
from attentiongan_tf.training.tasks.two_domain import AttentionGANTrainer
from tests.unit.training_setup import tiny_config

AMX, AMD = "amx_bf16 avx512_bf16", "AuthenticAMD avx512_bf16"


@pytest.mark.parametrize(
    ("mixed_precision", "accelerator", "flags", "expected"),
    [
        (False, False, "avx2", "winograd"),  # float32 on a CPU
        (False, False, AMX, "winograd"),
        (False, True, "avx2", "direct"),  # GPUs and TPUs: cuDNN / XLA pick their own algorithms
        ("float16", True, "avx2", "direct"),
        (True, False, "avx2", "direct"),  # float16 has no Winograd form
        ("bfloat16", False, AMX, "direct"),  # AMX's direct kernels are faster
        ("bfloat16", False, AMD, "winograd"),  # F(2×2, 3×3) without AMX
        ("bfloat16", True, AMD, "direct"),
    ],
)
def test_auto_conv_algorithm(mixed_precision, accelerator, flags, expected):
    assert precision.auto_conv_algorithm(mixed_precision, accelerator, flags) == expected


@pytest.mark.parametrize("given", ["direct", "winograd"])
def test_a_given_conv_algorithm_is_kept(given):
    assert precision.training_conv_algorithm(given, False, accelerator=True, cpu_flags="avx2") == given


def test_auto_is_the_default_of_both_kinds_and_an_allowed_value():
    assert TrainConfig().conv_algorithm == "auto" and MultiDomainConfig().conv_algorithm == "auto"
    assert train.build_config(train.parse_args([])).train.conv_algorithm == "auto"
    assert train.build_config(train.parse_args(["--conv-algorithm", "auto"])).train.conv_algorithm == "auto"
    config = preset("demo")
    config.train.conv_algorithm = "fast"
    with pytest.raises(ConfigError, match="auto"):
        config.validate()


def test_a_cpu_run_is_not_on_an_accelerator():
    assert not strategies.uses_accelerator(tf.distribute.get_strategy())
    cpus = [d.name for d in tf.config.list_logical_devices("CPU")][:1]
    assert not strategies.uses_accelerator(tf.distribute.MirroredStrategy(cpus))


def test_the_trainer_resolves_auto_for_this_machine(caplog):
    caplog.set_level("INFO", logger="attentiongan_tf.training.precision")  # (train.py quiets it in a CLI)
    trainer = AttentionGANTrainer(tiny_config())  # float32 on this test machine's CPU
    blocks = trainer.generator_ab.encoder.blocks + trainer.generator_ba.encoder.blocks
    assert trainer.conv_algorithm == "winograd" and {block.conv_algorithm for block in blocks} == {"winograd"}
    assert trainer.shared_generator_calls  # 16² batch 2 in float32 Winograd: the three-call step
    assert "conv_algorithm auto: the ResNet blocks' 3×3 convolutions train as winograd here" in caplog.text
    assert AttentionGANTrainer(tiny_config(conv_algorithm="direct")).conv_algorithm == "direct"


def test_the_trainer_resolves_auto_to_direct_on_an_accelerator(monkeypatch):
    from attentiongan_tf.training.tasks import two_domain

    monkeypatch.setattr(two_domain, "uses_accelerator", lambda strategy: True)
    trainer = AttentionGANTrainer(tiny_config())
    assert trainer.conv_algorithm == "direct" and not trainer.shared_generator_calls


def test_a_config_written_before_conv_algorithm_resumes_with_direct_convolutions(tmp_path):
    values = preset("demo").to_dict()
    del values["train"]["conv_algorithm"]
    assert Config.from_dict(values).train.conv_algorithm == "direct"
    new = preset("demo").to_dict()
    assert Config.from_dict(json.loads(json.dumps(new))).train.conv_algorithm == "auto"
    multi = MultiDomainConfig().to_dict()
    del multi["conv_algorithm"]
    assert MultiDomainConfig.from_dict(multi).conv_algorithm == "direct"
    assert MultiDomainConfig.from_dict(MultiDomainConfig().to_dict()).conv_algorithm == "auto"
