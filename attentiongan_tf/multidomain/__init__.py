"""Multi-domain AttentionGAN (paper Sec. 4.2.2): one label-conditioned generator, a StarGAN discriminator.

Training goes through the one loop (``attentiongan_tf.training.loop.train`` with a ``MultiDomainConfig``; the
family's task is ``attentiongan_tf.training.tasks.multi_domain_task``); export and inference live in
``.export`` and ``.inference``, so that importing the models stays light.
"""

from attentiongan_tf.models.conditional import (
    ConditionalAttentionGenerator,
    LabelConditioning,
    MultiDomainDiscriminator,
    build_multidomain_discriminator,
    build_multidomain_generator,
)
from attentiongan_tf.training.tasks.multi_domain_config import MultiDomainConfig

__all__ = [
    "ConditionalAttentionGenerator",
    "LabelConditioning",
    "MultiDomainConfig",
    "MultiDomainDiscriminator",
    "build_multidomain_discriminator",
    "build_multidomain_generator",
]
