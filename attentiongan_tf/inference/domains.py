"""Translating images to a chosen target domain with a multi-domain generator (used by translate.py)."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from attentiongan_tf.data.labelled import parse_target
from attentiongan_tf.export.serving import UINT8_SIGNATURE
from attentiongan_tf.multidomain.export import make_multidomain_endpoints


def target_vector(
    model: keras.Model, target: str | Sequence[float], domains: Sequence[str] | None = None
) -> np.ndarray:
    """The (n_domains,) float32 label for ``target``: a name / ``A+B`` names / ``"0,1,0"`` or a sequence of numbers.

    ``domains`` defaults to ``model.domain_names`` (set by ``load_multidomain_generator``).
    """
    domains = list(domains or getattr(model, "domain_names", None) or [])
    if isinstance(target, str):
        if not domains:
            domains = [f"domain_{i}" for i in range(model.n_domains)]
        return parse_target(target, domains)
    vector = np.asarray(target, np.float32)
    if vector.shape != (model.n_domains,):
        raise ValueError(f"target label must have {model.n_domains} values, got shape {vector.shape}")
    return vector


class DomainTranslator:
    """Any-size uint8 translation to a target domain, with the exported graphs' pad/crop (compiled once).

    Args:
        model: a :class:`ConditionalAttentionGenerator`.
        domains: names of the label columns (default ``model.domain_names``).

    Example:
        >>> translator = DomainTranslator(load_multidomain_generator("runs/md"))  # doctest: +SKIP
        >>> translator(image_uint8, "blue")["image"].shape  # doctest: +SKIP
        (H, W, 3)
    """

    def __init__(self, model: keras.Model, domains: Sequence[str] | None = None):
        self.model = model
        self.domains = list(domains or getattr(model, "domain_names", None) or [])
        spec = make_multidomain_endpoints(model)[UINT8_SIGNATURE]
        self._translate = tf.function(spec["fn"], input_signature=spec["input_signature"])

    def __call__(self, image: np.ndarray, target: str | Sequence[float]) -> dict[str, np.ndarray]:
        """``image`` uint8 (H, W, 3) -> ``{"image": uint8 (H, W, 3), "attention": float32 (H, W, n)}``."""
        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(f"expected a uint8 (H, W, 3) image, got {image.dtype} {image.shape}")
        label = target_vector(self.model, target, self.domains)
        outputs = self._translate(tf.constant(image[np.newaxis]), tf.constant(label[np.newaxis]))
        return {"image": outputs["image"][0].numpy(), "attention": outputs["attention"][0].numpy()}


class DomainRunner:
    """The ``translate.py`` runner interface (``kind``, ``run(images)``) for one target domain.

    Args:
        model: a :class:`ConditionalAttentionGenerator`.
        target: the target domain: a name, ``"A+B"`` or a label vector ``"0,1,0"`` (see :func:`target_vector`).
    """

    kind = "multidomain"

    def __init__(self, model: keras.Model, target: str | Sequence[float]):
        self.translator = DomainTranslator(model)
        self.target = target
        target_vector(model, target, self.translator.domains)  # fail early on an unknown domain

    def run(self, images: Sequence[np.ndarray]) -> list[dict[str, np.ndarray]]:
        """uint8 (H, W, 3) images -> ``{"image", "attention", "content"}`` (no content images are returned)."""
        results = []
        for image in images:
            result = self.translator(image, self.target)
            height, width = result["image"].shape[:2]
            results.append({**result, "content": np.zeros((height, width, 0, 3), np.float32)})
        return results
