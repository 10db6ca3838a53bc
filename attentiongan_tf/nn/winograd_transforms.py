"""The transform matrices of Winograd's minimal filtering F(m×m, 3×3) (Lavin & Gray, "Fast Algorithms for
Convolutional Neural Networks", 2016), for the training convolution (:mod:`attentiongan_tf.nn.winograd`) and the
deploy form (:mod:`attentiongan_tf.nn.winograd_deploy`).

Two sizes of output tile, one per precision:

- :data:`F4X4` (m = 4, 6×6 input tiles, 36 multiplications per 16 outputs: 4× fewer than direct): float32. Its
  transforms (interpolation points 0, ±1, ±2) amplify rounding about ten times, which float32 absorbs.
- :data:`F2X2` (m = 2, 4×4 input tiles, 16 multiplications per 4 outputs: 2.25× fewer): bfloat16. Its transforms
  hold only 0, ±1 and ±1/2, exact in bfloat16, and amplify rounding about 2.7×; F(4×4)'s would turn bfloat16's
  8-bit mantissa into errors of several percent (docs/performance_log.md has the measurement).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

__all__ = ["F2X2", "F4X4", "WinogradTransforms"]


@dataclasses.dataclass(frozen=True, eq=False)
class WinogradTransforms:
    """One F(m×m, 3×3): ``Y = A^T [(G g G^T) ⊙ (B^T d B)] A`` for an (m + 2)² input tile ``d`` and a 3×3 filter
    ``g``.

    Args:
        tile: m, the output tile's edge; input tiles are ``tile + 2`` on a side and overlap by 2.
        input_t: ``B^T``, ``[tile + 2, tile + 2]``.
        filter: ``G``, ``[tile + 2, 3]``.
        output_t: ``A^T``, ``[tile, tile + 2]``.

    Example:
        >>> F2X2.alpha, F2X2.input_t2.shape
        (4, (16, 16))
    """

    tile: int
    input_t: np.ndarray
    filter: np.ndarray
    output_t: np.ndarray

    @property
    def alpha(self) -> int:
        """The input tile's edge, ``tile + 2``."""
        return self.tile + 2

    # A 2-D tile transform X -> T X T^T, applied to tiles flattened row-major, is one matrix: kron(T, T).
    @functools.cached_property
    def input_t2(self) -> np.ndarray:
        return np.kron(self.input_t, self.input_t)

    @functools.cached_property
    def filter2(self) -> np.ndarray:
        return np.kron(self.filter, self.filter)

    @functools.cached_property
    def output_t2(self) -> np.ndarray:
        return np.kron(self.output_t, self.output_t)

    @functools.cached_property
    def input_t2_adjoint_by_part(self) -> np.ndarray:
        """The rows of the input transform's adjoint, grouped by the part of a tile each lands in (in the order
        of :attr:`part_shapes`): its own ``tile × tile`` block, the next block's first 2 columns (``right``), the
        next rows' (``below``), and that block's 2×2 corner. Needs ``tile ≥ 2`` (a tile reaches no further than
        the next block)."""
        return self.input_t2.T[[self.alpha * a + b for rows, cols in self._parts.values() for a in rows for b in cols]]

    @functools.cached_property
    def part_shapes(self) -> dict[str, tuple[int, int]]:
        """The (rows, columns) of each part of a tile, in the order of :attr:`input_t2_adjoint_by_part`."""
        return {name: (len(rows), len(cols)) for name, (rows, cols) in self._parts.items()}

    @property
    def _parts(self) -> dict[str, tuple[range, range]]:
        head, tail = range(self.tile), range(self.tile, self.alpha)
        return {"block": (head, head), "right": (head, tail), "below": (tail, head), "corner": (tail, tail)}


#: F(4×4, 3×3): interpolation points 0, ±1, ±2 and ∞.
F4X4 = WinogradTransforms(
    tile=4,
    input_t=np.array([
        [4, 0, -5, 0, 1, 0],
        [0, -4, -4, 1, 1, 0],
        [0, 4, -4, -1, 1, 0],
        [0, -2, -1, 2, 1, 0],
        [0, 2, -1, -2, 1, 0],
        [0, 4, 0, -5, 0, 1],
    ], np.float64),
    filter=np.array([
        [1 / 4, 0, 0],
        [-1 / 6, -1 / 6, -1 / 6],
        [-1 / 6, 1 / 6, -1 / 6],
        [1 / 24, 1 / 12, 1 / 6],
        [1 / 24, -1 / 12, 1 / 6],
        [0, 0, 1],
    ], np.float64),
    output_t=np.array([
        [1, 1, 1, 1, 1, 0],
        [0, 1, -1, 2, -2, 0],
        [0, 1, 1, 4, 4, 0],
        [0, 1, -1, 8, -8, 1],
    ], np.float64),
)  # fmt: skip

#: F(2×2, 3×3): interpolation points 0, ±1 and ∞.
F2X2 = WinogradTransforms(
    tile=2,
    input_t=np.array([
        [1, 0, -1, 0],
        [0, 1, 1, 0],
        [0, -1, 1, 0],
        [0, 1, 0, -1],
    ], np.float64),
    filter=np.array([
        [1, 0, 0],
        [1 / 2, 1 / 2, 1 / 2],
        [1 / 2, -1 / 2, 1 / 2],
        [0, 0, 1],
    ], np.float64),
    output_t=np.array([
        [1, 1, 1, 0],
        [0, 1, -1, -1],
    ], np.float64),
)  # fmt: skip
