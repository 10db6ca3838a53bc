"""What a runner returns per image: a small frozen dataclass instead of a string-keyed dict."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

#: The outputs of a translation, in the order of :class:`Translation`'s fields.
FIELDS = ("image", "attention", "content")


@dataclass(frozen=True, eq=False)
class Translation(Mapping[str, np.ndarray]):
    """One image's translation (by any runner of either model family).

    It also reads like the dict the runners returned before (``result["image"]``, ``dict(result)``,
    ``"content" in result``), so code written for those keeps working; :meth:`to_dict` gives that dict.

    Attributes:
        image: (H, W, 3): uint8 from ``Runner.run``, float32 in [-1, 1] from ``Runner.run_raw``.
        attention: (H, W, n) float32 in [0, 1], the masks; the last one is the background.
        content: (H, W, k, 3) float32 in [-1, 1], the content images; ``None`` where the artifact does not
            return them (the uint8 ONNX model, ``DomainTranslator``).

    Example:
        >>> t = Translation(np.zeros((2, 3, 3), np.uint8), np.full((2, 3, 2), 0.5, np.float32))
        >>> t.foreground.shape, sorted(t.to_dict()), "content" in t
        ((2, 3), ['attention', 'image'], False)
    """

    image: np.ndarray
    attention: np.ndarray
    content: np.ndarray | None = None

    @classmethod
    def from_batch(cls, outputs: Mapping[str, object]) -> Translation:
        """The first item of a runtime's batched ``(1, ...)`` outputs by name (``content`` optional), as float32."""
        values = {key: np.asarray(outputs[key], np.float32)[0] for key in FIELDS if key in outputs}
        return cls(**values)

    @property
    def foreground(self) -> np.ndarray:
        """(H, W) float32: the share of each pixel the translation changes, ``1 - background mask``."""
        return 1.0 - self.attention[..., -1]

    def with_image(self, image: np.ndarray) -> Translation:
        """A copy with ``image`` replaced (e.g. by its uint8 version)."""
        return dataclasses.replace(self, image=image)

    def to_dict(self) -> dict[str, np.ndarray]:
        """``{"image": ..., "attention": ..., "content": ...}``, without ``content`` where there is none."""
        return {key: value for key in FIELDS if (value := getattr(self, key)) is not None}

    def __getitem__(self, key: str) -> np.ndarray:
        value = getattr(self, key) if key in FIELDS else None
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())
