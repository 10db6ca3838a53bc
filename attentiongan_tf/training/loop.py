"""The one training loop of both model families: setup, resume, loop, checkpoints, summaries.

What differs between the families (networks, step, checkpoint content, data, sample grid) is a task object
chosen by the config's ``kind`` (:mod:`attentiongan_tf.training.tasks.registry`).
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from attentiongan_tf.training import checkpoints as ckpt
from attentiongan_tf.training import determinism, strategies, summaries
from attentiongan_tf.training.library_pages import release_while_starting
from attentiongan_tf.training.run_dir import OutputDirError, RunDir, check_steps
from attentiongan_tf.training.signals import StopRequest
from attentiongan_tf.training.tasks import registry
from attentiongan_tf.training.tasks.two_domain_task import load_run_config

__all__ = ["MaskCollapseError", "OutputDirError", "TrainResult", "TrainingDivergedError", "load_run_config", "train"]

logger = logging.getLogger(__name__)


class TrainingDivergedError(RuntimeError):
    """A loss became NaN or Inf; the message names the loss, the step and the last good checkpoint."""


class MaskCollapseError(RuntimeError):
    """``--on-collapse stop``: the attention collapsed; a checkpoint was saved and the run stopped."""


@dataclass
class TrainResult:
    """A finished run.

    Args:
        trainer: the family's trainer (models, optimizers).
        output_dir: the run folder.
        history: one row per step of this process (``{"step", losses..., metrics...}``).
        step: the step reached.
        data: the task's record of the training set (e.g. ``domains`` of a multi-domain run).
    """

    trainer: Any
    output_dir: Path
    history: list[dict[str, float]]
    step: int
    data: Any


def _diverged(values: dict[str, float], step: int, checkpoint: str | None) -> TrainingDivergedError | None:
    bad = [k for k, v in values.items() if not math.isfinite(v)]
    if not bad:
        return None
    return TrainingDivergedError(
        f"loss {bad[0]} became {values[bad[0]]} at step {step}; training stopped. The last good checkpoint "
        f"{checkpoint or '(none yet)'} is kept. Try a lower learning rate or no --mixed-precision; see docs/qa.md."
    )


def train(config: Any, resume: bool = False, progress: bool = True, overwrite: bool = False) -> TrainResult:
    """Train the model family of ``config`` (its ``kind``) as it describes.

    Writes ``config.json``, ``checkpoints/``, ``samples/step_XXXXXX.png``, ``logs/`` (TensorBoard) and
    ``metrics.jsonl`` under the run's output dir (chief process only), following the rules of
    :mod:`attentiongan_tf.training.run_dir`: a new run needs a new or empty folder (or ``overwrite``: the old run
    is moved aside); ``resume`` continues exactly from the newest readable checkpoint. Raises
    ``TrainingDivergedError`` when a loss becomes NaN/Inf, ``MaskCollapseError`` (``on_collapse="stop"``) and
    ``TrainingInterrupted`` after saving a checkpoint on SIGINT/SIGTERM.

    Args:
        config: a two-domain ``Config`` or a ``MultiDomainConfig``.
        resume: continue the run in its output dir.
        progress: show a progress bar.
        overwrite: start a new run in a folder that holds one (its files are moved aside).
    """
    # ---- Setup: strategy, output dir, data.
    config.validate()
    task = registry.task_for(config)
    s = task.settings(config)
    if s.deterministic:
        determinism.make_deterministic()  # logs how ops run, or how to make them exact
    strategy = strategies.make_strategy(s.strategy)
    chief = strategies.is_chief(strategy)
    output_dir = s.output_dir
    run = RunDir(output_dir, chief)
    run.prepare(resume, overwrite)
    if resume and run.config_path.is_file():
        task.check_resume(config, output_dir)
    data = task.prepare_data(config, output_dir)
    s = task.settings(config)  # the data may resolve the schedule (--epochs)

    # ---- Model, optimizers and checkpoint (restored when resuming).
    trainer = task.build_trainer(config, data, strategy)
    directory = output_dir / ckpt.CHECKPOINT_DIR if chief else Path(tempfile.mkdtemp(prefix="attentiongan_worker_"))
    checkpoints = ckpt.RunCheckpoints(task.checkpoint(trainer), directory, s.keep_checkpoints)
    start = checkpoints.resume(trainer.step) if resume else 0
    check_steps(s.steps, start, checkpoints.latest, s.steps_field)
    run.begin(start, task.config_writer(config, data))

    iterator = iter(strategy.experimental_distribute_dataset(task.dataset(config, data, start * s.batch_size)))
    samples = task.samples(config, data)
    writer = summaries.TrainingSummaries(output_dir / "logs" if chief else None)

    # ---- Loop: one step per iteration; log, sample and checkpoint on their intervals.
    history, last = [], {}
    bar = tqdm(range(start, s.steps), initial=start, total=s.steps, disable=not (progress and chief), desc="train")
    tick, tick_step = time.perf_counter(), start
    with StopRequest() as stop, bar:
        for step in bar:
            if stop.signum is not None:
                raise stop.interrupted(step, checkpoints.save(step), output_dir)
            release_while_starting(step - start)
            values = trainer.train_step(next(iterator)).values
            diverged = _diverged(values, step, checkpoints.latest)
            if diverged:
                raise diverged
            last.update(values)  # a multi-domain generator step runs every n_critic steps: keep its last values
            done = step + 1
            history.append({"step": done, **values})
            bar.set_postfix(task.postfix(last))
            if done % s.log_every == 0 or done == s.steps:
                now = time.perf_counter()
                row = {**last, "images_per_second": (done - tick_step) * s.batch_size / max(now - tick, 1e-9)}
                tick, tick_step = now, done
                bar.set_postfix({**task.postfix(last), "img_s": f"{row['images_per_second']:.1f}"})
                collapses = writer.scalars(row, done)
                for message in collapses:
                    logger.warning(message)
                    tqdm.write(f"WARNING: {message}")
                run.log({"step": done, **row})
                if collapses and s.on_collapse == "stop":
                    raise MaskCollapseError(
                        f"stopped at step {done} (--on-collapse stop): {collapses[0]} Checkpoint saved: "
                        f"{checkpoints.save(done)}."
                    )
            if chief and (done % s.sample_every == 0 or done == s.steps):
                grid = task.sample_grid(trainer, samples, data)
                summaries.save_grid(grid, output_dir / "samples" / f"step_{done:06d}.png")
                writer.image("samples/input_output_masks_content", grid, done)
            if done % s.checkpoint_every == 0 or done == s.steps:
                checkpoints.save(done)
    return TrainResult(trainer, output_dir, history, int(trainer.step.numpy()), data)
