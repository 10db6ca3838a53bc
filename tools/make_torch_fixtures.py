"""Write the tiny real ``torch.save`` files used by tests/unit/test_torch_pickle.py.

Run once with PyTorch installed (``pip install torch==2.13.0``); the outputs are
committed so the tests need no torch. Covers both serialisation formats, a
non-contiguous tensor, a storage shared by two views, float16 and int64.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).resolve().parents[1] / "tests" / "data"


def reference_state() -> OrderedDict:
    base = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) / 7
    shared = torch.arange(10, dtype=torch.float32)
    return OrderedDict(
        [
            ("conv.weight", base),
            ("conv.bias", torch.tensor([0.5, -1.25], dtype=torch.float32)),
            ("transposed", base.permute(2, 0, 1)),
            ("view_a", shared[2:6]),
            ("view_b", shared[5:]),
            ("half", torch.tensor([1.5, -2.0], dtype=torch.float16)),
            ("count", torch.tensor(7, dtype=torch.int64)),
        ]
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    state = reference_state()
    torch.save(state, OUT / "torch_zip_format.pth")
    torch.save(state, OUT / "torch_legacy_format.pth", _use_new_zipfile_serialization=False)
    np.savez(OUT / "torch_fixture_expected.npz", **{k: v.numpy() for k, v in state.items()})


if __name__ == "__main__":
    main()
