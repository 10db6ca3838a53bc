"""Range checks for real-valued settings, shared by the configs' ``validate()`` and the command-line flags.

``float("nan")`` compares false with everything, so ``value < 0`` lets NaN through; these checks require a
finite number first.

Example:
    >>> POSITIVE.check("train.learning_rate", 2e-4)
    >>> POSITIVE.describe()
    'a finite number > 0'
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

from attentiongan_tf.training.config_errors import ConfigError


@dataclass(frozen=True)
class FloatRange:
    """An interval of finite floats; ``None`` bounds are open-ended.

    Args:
        low: lower bound (or ``None``).
        high: upper bound (or ``None``).
        low_open: exclude ``low`` itself.
        high_open: exclude ``high`` itself.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def contains(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return self.high is None or not (value > self.high or (self.high_open and value == self.high))

    def describe(self) -> str:
        if self.low is not None and self.high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"a finite number in {left}{self.low:g}, {self.high:g}{right}"
        if self.low is not None:
            return f"a finite number {'>' if self.low_open else '>='} {self.low:g}"
        if self.high is not None:
            return f"a finite number {'<' if self.high_open else '<='} {self.high:g}"
        return "a finite number"

    def check(self, name: str, value: float) -> None:
        """Raise ``ConfigError("<name> must be <range>, got <value>")`` unless ``value`` is in range.

        Args:
            name: the dotted config field (``loss.lambda_tv``); the CLI names its flag.
            value: the number to check.
        """
        try:
            ok = self.contains(float(value))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ConfigError(name, f"must be {self.describe()}, got {value!r}")

    def __call__(self, text: str) -> float:
        """argparse ``type=``: parse ``text`` and check it (argparse names the flag in its error)."""
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {self.describe()}, got {text!r}") from None
        if not self.contains(value):
            raise argparse.ArgumentTypeError(f"must be {self.describe()}, got {text!r}")
        return value


POSITIVE = FloatRange(low=0.0, low_open=True)
NON_NEGATIVE = FloatRange(low=0.0)
FRACTION = FloatRange(low=0.0, high=1.0)
#: Adam betas: 1 would never forget the first gradients.
BETA = FloatRange(low=0.0, high=1.0, high_open=True)
