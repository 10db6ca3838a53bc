"""Target domains of a multi-domain generator: the label vector of a ``--target-domain`` and a translator."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from attentiongan_tf.data.labelled import parse_target
from attentiongan_tf.export.serving import UINT8_SIGNATURE, make_endpoints
from attentiongan_tf.inference.translation import Translation


def label_vector(target: str | Sequence[float], size: int, domains: Sequence[str] | None = None) -> np.ndarray:
    """The (size,) float32 label for ``target``: a name / ``A+B`` names / ``"0,1,0"`` or a sequence of numbers.

    Args:
        target: the target domain(s).
        size: label entries (number of domains) of the model.
        domains: names of the label columns (default ``domain_0 ...``).

    Raises:
        ValueError: an unknown domain name or a vector of the wrong length.
    """
    if isinstance(target, str):
        return parse_target(target, list(domains or []) or [f"domain_{i}" for i in range(size)])
    vector = np.asarray(target, np.float32)
    if vector.shape != (size,):
        raise ValueError(f"target label must have {size} values, got shape {vector.shape}")
    return vector


def target_vector(
    model: keras.Model, target: str | Sequence[float], domains: Sequence[str] | None = None
) -> np.ndarray:
    """:func:`label_vector` for ``model``; ``domains`` defaults to ``model.domain_names`` (set when loaded)."""
    return label_vector(target, model.n_domains, domains or getattr(model, "domain_names", None))


class DomainTranslator:
    """Any-size uint8 translation to a target domain, with the exported graphs' pad/crop (compiled once).

    Args:
        model: a :class:`ConditionalAttentionGenerator`.
        domains: names of the label columns (default ``model.domain_names``).

    Example:
        >>> translator = DomainTranslator(load_generator_any("runs/md"))  # doctest: +SKIP
        >>> translator(image_uint8, "blue").image.shape  # doctest: +SKIP
        (H, W, 3)
    """

    def __init__(self, model: keras.Model, domains: Sequence[str] | None = None):
        self.model = model
        self.domains = list(domains or getattr(model, "domain_names", None) or [])
        endpoint = make_endpoints(model)[UINT8_SIGNATURE]
        self._translate = tf.function(endpoint.fn, input_signature=endpoint.input_signature)

    def __call__(self, image: np.ndarray, target: str | Sequence[float]) -> Translation:
        """``image`` uint8 (H, W, 3) -> a :class:`Translation`: ``image`` uint8 (H, W, 3), ``attention`` float32
        (H, W, n), no ``content``."""
        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(f"expected a uint8 (H, W, 3) image, got {image.dtype} {image.shape}")
        label = target_vector(self.model, target, self.domains)
        outputs = self._translate(tf.constant(image[np.newaxis]), tf.constant(label[np.newaxis]))
        return Translation(outputs["image"][0].numpy(), outputs["attention"][0].numpy())
