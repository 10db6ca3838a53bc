"""The training modules moved under ``attentiongan_tf.training``; the old public paths still work and warn."""

import importlib

import pytest

OLD_TO_NEW = {
    "attentiongan_tf.config": ("attentiongan_tf.training.config", "Config"),
    "attentiongan_tf.optimizers": ("attentiongan_tf.training.optimizers", "TorchAdam"),
    "attentiongan_tf.schedules": ("attentiongan_tf.training.schedules", "EpochLinearDecay"),
    "attentiongan_tf.checkpoints": ("attentiongan_tf.training.checkpoints", "load_generator"),
    "attentiongan_tf.training_loop": ("attentiongan_tf.training.loop", "train"),
    "attentiongan_tf.trainer": ("attentiongan_tf.training.tasks.two_domain", "AttentionGANTrainer"),
    "attentiongan_tf.run_dir": ("attentiongan_tf.training.run_dir", "RunDir"),
    "attentiongan_tf.signals": ("attentiongan_tf.training.signals", "TrainingInterrupted"),
    "attentiongan_tf.losses": ("attentiongan_tf.training.losses", "cycle_loss"),
    "attentiongan_tf.summaries": ("attentiongan_tf.training.summaries", "to_uint8"),
    "attentiongan_tf.multidomain.config": ("attentiongan_tf.training.tasks.multi_domain_config", "MultiDomainConfig"),
    "attentiongan_tf.multidomain.training_loop": ("attentiongan_tf.training.tasks.multi_domain_task",
                                                  "train_multidomain"),
    "attentiongan_tf.multidomain.checkpoints": ("attentiongan_tf.training.tasks.multi_domain_task",
                                                "load_multidomain_generator"),
    "attentiongan_tf.multidomain.trainer": ("attentiongan_tf.training.tasks.multi_domain", "MultiDomainTrainer"),
    "attentiongan_tf.multidomain.losses": ("attentiongan_tf.training.tasks.multi_domain_losses", "gradient_penalty"),
}


@pytest.mark.parametrize("old", sorted(OLD_TO_NEW))
def test_old_training_path_forwards_with_a_warning(old):
    new, name = OLD_TO_NEW[old]
    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=new.replace(".", r"\.")):
        value = getattr(module, name)
    assert value is getattr(importlib.import_module(new), name)
