"""AttentionGAN in TensorFlow / Keras 3 (Tang et al., arXiv 1911.11897)."""

from attentiongan_tf.discriminators import (
    AttentionGuidedDiscriminator,
    PatchGANDiscriminator,
    build_discriminator,
)
from attentiongan_tf.generators import AttentionGANGenerator, CycleGANGenerator, SchemeIGenerator, build_generator

__version__ = "0.1.0"

__all__ = [
    "AttentionGANGenerator",
    "AttentionGuidedDiscriminator",
    "CycleGANGenerator",
    "PatchGANDiscriminator",
    "SchemeIGenerator",
    "build_discriminator",
    "build_generator",
]
