"""Tiny training configs shared by the trainer and checkpoint tests."""

from attentiongan_tf.training.config import Config, preset


def tiny_config(name: str = "demo", **train) -> Config:
    """A 16-px, width-4 config of preset ``name``: fast enough for per-step unit tests."""
    config = preset(name)
    config.model.ngf, config.model.n_blocks, config.model.ndf, config.model.n_layers_d = 4, 1, 4, 2
    config.model.n_masks = min(config.model.n_masks, 3)
    config.data.load_size = config.data.crop_size = 16
    config.data.batch_size = 2
    config.train.pool_size = 3
    config.train.steps = 10
    for key, value in train.items():
        setattr(config.train, key, value)
    return config
