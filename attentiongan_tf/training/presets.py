"""The named two-domain presets (the multi-domain ones are ``multi_domain_config.MULTI_DOMAIN_PRESETS``; both
kinds by name: ``tasks.registry.preset_config``)."""

from __future__ import annotations

from typing import Any

from attentiongan_tf.training.config import TWO_DOMAIN_PRESETS, Config, DataConfig, LossConfig, ModelConfig, TrainConfig


def two_domain_preset(name: str) -> Config:
    """Named two-domain configurations.

    - ``official``: what the official code trains (``scripts/train_attentiongan.sh``): scheme II, ngf 64,
      9 blocks, 10 masks, LSGAN, λ_cycle 10, identity 0.5, pool 50, 286 → 256, batch 4, Adam 2e-4 β1 0.5,
      60 epochs at a constant learning rate (``--niter 60 --niter_decay 0``).
    - ``robust``: ``official`` with only 0.1 of the cycle and identity losses' gradient reaching the attention
      masks (the content gets all of it), so that copying the input stops being the masks' easy way out. In the
      race of benchmarks/RESULTS.md ("quality_race") it translates (target-domain score 0.78 / 0.72 vs 0.14–0.18
      official) and keeps more background than the CycleGAN ablation (21–23 dB vs 17), but does not localise the
      object (attention IoU 0.17–0.18, the "everything foreground" level).
    - ``cyclegan-options``: the CycleGAN option defaults the official code inherits but does not train with:
      batch 1, 100 epochs constant + 100 epochs of linear decay.
    - ``paper-scheme1``: the paper's scheme I for faces: one mask, attention-guided discriminators (Eq. 6),
      pixel loss (Eq. 8) with curriculum r (Eq. 9) and TV attention loss (Eq. 7), no identity loss.
    - ``demo``: a tiny scheme II model on the procedural demo data, a few minutes on a CPU.
    """
    long_run: dict[str, Any] = dict(checkpoint_every=5000, sample_every=1000)
    if name == "official":
        return Config(
            preset=name,
            data=DataConfig(batch_size=4),
            train=TrainConfig(epochs=60, decay_fraction=0.0, **long_run),
        )
    if name == "robust":
        config = two_domain_preset("official")
        config.preset = name
        config.loss.cycle_attention_gradient = 0.1
        config.loss.identity_attention_gradient = 0.1
        return config
    if name == "cyclegan-options":
        return Config(preset=name, train=TrainConfig(epochs=200, decay_fraction=0.5, **long_run))
    if name == "paper-scheme1":
        return Config(
            preset=name,
            model=ModelConfig(variant="scheme1", attention_discriminator=True),
            loss=LossConfig(
                lambda_identity=0.0,
                lambda_attention_gan=1.0,
                lambda_pixel=1.0,
                lambda_tv=1e-6,
                curriculum_switch_step=10 * 1000,
            ),
            data=DataConfig(load_size=143, crop_size=128),
            train=TrainConfig(steps=200 * 1000, **long_run),
        )
    if name == "demo":
        return Config(
            preset=name,
            model=ModelConfig(ngf=8, n_blocks=2, n_masks=4, ndf=16, n_layers_d=2),
            data=DataConfig(load_size=48, crop_size=48, batch_size=4),
            train=TrainConfig(
                steps=1000, learning_rate=1e-3, decay_fraction=0.3, checkpoint_every=250, sample_every=250
            ),
        )
    raise ValueError(f"unknown preset {name!r}; choose one of {TWO_DOMAIN_PRESETS}")
