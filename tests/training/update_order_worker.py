"""Run by test_update_order.py in a fresh process whose TensorFlow dumps every graph it runs
(``TF_DUMP_GRAPH_PREFIX``): one step of each case named on the command line, on 2 logical CPUs.

Two-domain cases are ``preset:arithmetic:strategy``: a 16-px, width-4 model of the preset (``official``: 32 px with
its full width and 9 blocks), in the arithmetic of ``ARITHMETIC``; ``multi_domain`` is a tiny multi-domain trainer."""

import sys

import tensorflow as tf

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2
)

import numpy as np  # noqa: E402

from attentiongan_tf.training.config import preset as preset_config  # noqa: E402
from attentiongan_tf.training.strategies import make_strategy  # noqa: E402
from attentiongan_tf.training.tasks.multi_domain import MultiDomainTrainer  # noqa: E402
from attentiongan_tf.training.tasks.multi_domain_config import MultiDomainConfig  # noqa: E402
from attentiongan_tf.training.tasks.two_domain import AttentionGANTrainer  # noqa: E402
from tests.unit.training_setup import tiny_config  # noqa: E402

ARITHMETIC = {
    "float32": {"conv_algorithm": "direct"},
    "float32_winograd": {"conv_algorithm": "winograd"},
    "bfloat16": {"mixed_precision": "bfloat16", "conv_algorithm": "direct"},
}


def two_domain_step(preset: str, arithmetic: str, strategy_name: str) -> None:
    strategy = make_strategy(strategy_name)
    config = tiny_config(preset, **ARITHMETIC[arithmetic])
    if preset == "official":  # the preset's own model, at the smallest size its discriminator takes
        config.model = preset_config("official").model
        config.data.load_size = config.data.crop_size = 32
    trainer = AttentionGANTrainer(config, strategy)
    size = config.data.crop_size
    images = np.random.default_rng(0).uniform(-1, 1, (2, size, size, 3)).astype("float32")
    dataset = tf.data.Dataset.from_tensors({"A": images, "B": images[::-1]})
    trainer.train_step(next(iter(strategy.experimental_distribute_dataset(dataset))))


def multi_domain_steps() -> None:
    config = MultiDomainConfig(image_size=16, batch_size=2, ngf=4, n_blocks=1, n_masks=3, ndf=4, n_layers_d=2,
                               n_critic=2, steps=10)  # fmt: skip
    trainer = MultiDomainTrainer(config, 3, "single_label", make_strategy("default"))
    rng = np.random.default_rng(0)
    eye = np.eye(3, dtype="float32")
    batch = {"image": tf.constant(rng.uniform(-1, 1, (2, 16, 16, 3)).astype("float32")),
             "label": tf.constant(eye[[0, 1]]), "target": tf.constant(eye[[2, 0]])}  # fmt: skip
    for _ in range(2):  # the critic step, then the critic and the generator steps
        trainer.train_step(batch)


if __name__ == "__main__":
    for case in sys.argv[1:]:
        if case == "multi_domain":
            multi_domain_steps()
        else:
            two_domain_step(*case.split(":"))
