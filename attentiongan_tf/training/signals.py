"""Clean stops on Ctrl-C (SIGINT) and SIGTERM (what Colab, Slurm and Kubernetes send), for both training loops.

The first signal lets the current step finish; the loop then saves a checkpoint and raises
:class:`TrainingInterrupted`. A second signal stops at once (:class:`StopNow`, a ``KeyboardInterrupt``): the last
complete checkpoint is kept, and the temporary files of an interrupted checkpoint write are removed on the next
start.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class TrainingInterrupted(Exception):
    """Training stopped on a signal after saving a checkpoint.

    Args:
        signum: the signal received.
        step: the step the checkpoint holds.
        checkpoint: its path prefix.
        output_dir: the run folder.
    """

    def __init__(self, signum: int, step: int, checkpoint: str, output_dir: str | os.PathLike) -> None:
        self.signum, self.step, self.checkpoint, self.output_dir = signum, step, checkpoint, Path(output_dir)
        super().__init__(f"{signal.Signals(signum).name} received: stopped at step {step}, saved {checkpoint}")

    @property
    def exit_code(self) -> int:
        """The shell's convention for a process ended by a signal: 128 + signal number (130, 143)."""
        return 128 + self.signum


class StopNow(KeyboardInterrupt):
    """A second signal (or SIGTERM before training started): stop at once, without saving."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _raise_stop_now(signum: int, frame) -> None:
    raise StopNow(signum)


def stop_on_sigterm() -> None:
    """Make SIGTERM raise :class:`StopNow` like Ctrl-C raises ``KeyboardInterrupt`` (main thread only), so that
    a command-line tool stopped during its setup exits with a message instead of being killed silently."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_stop_now)


class StopRequest:
    """Context manager catching SIGINT and SIGTERM during a training loop (main thread only; elsewhere a no-op).

    Example:
        >>> with StopRequest() as stop:
        ...     for step in range(3):
        ...         if stop.signum is not None:
        ...             break  # save a checkpoint and raise stop.interrupted(...)
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        self._previous.clear()

    def _handle(self, signum: int, frame) -> None:
        if self.signum is not None:
            raise StopNow(signum)
        self.signum = signum
        logger.warning("%s received: finishing the current step, then saving a checkpoint (send it again to stop "
                       "at once without saving)", signal.Signals(signum).name)

    def interrupted(self, step: int, checkpoint: str, output_dir: str | os.PathLike) -> TrainingInterrupted:
        """The exception to raise once the checkpoint of ``step`` is saved."""
        assert self.signum is not None, "interrupted() is only called once a signal arrived"
        return TrainingInterrupted(self.signum, step, checkpoint, output_dir)
