"""Follow our trainer and the official code over a longer run: where do the trajectories separate?

Not a test. Write a long official run, then compare::

    /tmp/torchenv/bin/python tests/parity/make_train_step_reference.py --official-git-dir <git dir> \\
        --steps 200 --out /tmp/long
    python tests/parity/compare_trajectory.py /tmp/long

Prints, for growing prefixes of the run, the max relative difference over the 9 losses of ours vs the official
float32 run, next to the official float32 run vs the same run in float64 (the official code's own sensitivity
to round-off).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.parity.test_train_step_parity import LOSS_NAMES, train_on_the_reference  # noqa: E402


def max_relative(a: list[dict], b: list[dict], names: dict) -> list[float]:
    """Running max over steps of max_k |a[k] − b[k]| / |b[k]|; ``names`` maps b's keys to a's."""
    running, out = 0.0, []
    for x, y in zip(a, b, strict=True):
        running = max(running, max(abs(x[ours] - y[official]) / abs(y[official]) for official, ours in names.items()))
        out.append(running)
    return out


def main() -> None:
    data = Path(sys.argv[1])
    run = train_on_the_reference(data)
    official, official64 = run["meta"]["losses"], run["meta"]["losses_float64"]
    ours = max_relative(run["losses"], official, LOSS_NAMES)
    own = max_relative(official64, official, {k: k for k in LOSS_NAMES})
    print("steps  ours-official  official64-official")
    for n in (1, 3, 5, 10, 15, 20, 30, 50, 100, 200, 500):
        if n <= len(official):
            print(f"{n:5d}  {ours[n - 1]:13.1e}  {own[n - 1]:19.1e}")


if __name__ == "__main__":
    main()
