"""Multi-domain AttentionGAN (paper Sec. 4.2.2): one label-conditioned generator, a StarGAN discriminator.

Training (``train_multidomain``), checkpoints and export live in submodules so that importing the models
stays light: ``attentiongan_tf.multidomain.training_loop``, ``.checkpoints``, ``.export``, ``.inference``.
"""

from attentiongan_tf.models.conditional import (
    ConditionalAttentionGenerator,
    LabelConditioning,
    MultiDomainDiscriminator,
    build_multidomain_discriminator,
    build_multidomain_generator,
)
from attentiongan_tf.multidomain.config import MultiDomainConfig

__all__ = [
    "ConditionalAttentionGenerator",
    "LabelConditioning",
    "MultiDomainConfig",
    "MultiDomainDiscriminator",
    "build_multidomain_discriminator",
    "build_multidomain_generator",
]
