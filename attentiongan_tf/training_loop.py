"""The whole training run in one readable function: setup, resume, loop, checkpoints, summaries."""

from __future__ import annotations

import logging
import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from attentiongan_tf import checkpoints as ckpt
from attentiongan_tf import strategies, summaries
from attentiongan_tf.config import Config
from attentiongan_tf.data import demo as demo_data
from attentiongan_tf.data import grids
from attentiongan_tf.data import unpaired as data
from attentiongan_tf.run_dir import OutputDirError, RunDir, check_steps, read_json
from attentiongan_tf.signals import StopRequest
from attentiongan_tf.trainer import AttentionGANTrainer

__all__ = ["OutputDirError", "TrainingDivergedError", "load_run_config", "train"]

logger = logging.getLogger(__name__)
SAMPLE_COUNT = 4


class TrainingDivergedError(RuntimeError):
    """A loss became NaN or Inf; the message names the loss, the step and the last good checkpoint."""


class MaskCollapseError(RuntimeError):
    """``--on-collapse stop``: the attention collapsed; a checkpoint was saved and the run stopped."""


def load_run_config(path: str | os.PathLike) -> Config:
    """The ``Config`` in a run's ``config.json``; errors name the file."""
    try:
        return Config.from_dict(read_json(path))
    except (TypeError, ValueError) as error:
        message = str(error) if str(path) in str(error) else f"{path}: {error}"
        raise ValueError(message) from None


def _sample_grid(trainer: AttentionGANTrainer, samples: dict) -> np.ndarray:
    directions = (("A", "B"), ("B", "A"))
    rows = [grids.GridRow(f"{d}→{o}", samples[d], trainer.translate(samples[d], f"{d}to{o}")) for d, o in directions]
    return grids.labelled_grid(rows).image


def train(config: Config, resume: bool = False, progress: bool = True, overwrite: bool = False) -> dict:
    """Train AttentionGAN as described by ``config``; returns ``{"trainer", "output_dir", "history", "step"}``.

    Writes ``config.json``, ``checkpoints/``, ``samples/step_XXXXXX.png``, ``logs/`` (TensorBoard) and
    ``metrics.jsonl`` under ``config.train.output_dir`` (chief process only), following the rules of
    :mod:`attentiongan_tf.run_dir`: a new run needs a new or empty folder (or ``overwrite``: the old run is moved
    aside); ``resume`` continues exactly from the newest readable checkpoint. Raises ``TrainingDivergedError``
    when a loss becomes NaN/Inf and ``TrainingInterrupted`` after saving a checkpoint on SIGINT/SIGTERM.
    """
    # ---- Setup: strategy, output dir, data.
    config.validate()
    t = config.train
    if t.deterministic:
        tf.config.experimental.enable_op_determinism()
    strategy = strategies.make_strategy(t.strategy)
    chief = strategies.is_chief(strategy)
    output_dir = Path(t.output_dir)
    run = RunDir(output_dir, chief)
    run.prepare(resume, overwrite)
    if resume and run.config_path.is_file():
        saved = load_run_config(run.config_path)
        if saved.model != config.model:
            raise ValueError(f"cannot resume {output_dir}: model config differs from its config.json ({saved.model})")
    if config.data.dataroot is None:
        demo_root = output_dir / "demo_data"
        demo_data.write_demo_dataset(demo_root, size=config.data.load_size, train=config.data.demo_images)
        config.data.dataroot = str(demo_root)
    folders = data.domain_folders(config.data.dataroot)
    files = {d: data.scan_domain(folder)["files"] for d, folder in folders.items()}
    config.resolve_epochs((len(files["A"]), len(files["B"])))

    # ---- Model, optimizers, pools and checkpoint (restored when resuming).
    trainer = AttentionGANTrainer(config, strategy)
    directory = output_dir / ckpt.CHECKPOINT_DIR if chief else Path(tempfile.mkdtemp(prefix="attentiongan_worker_"))
    checkpoints = ckpt.RunCheckpoints(ckpt.make_checkpoint(trainer), directory, t.keep_checkpoints)
    start = checkpoints.resume(trainer.step) if resume else 0
    check_steps(t.steps, start, checkpoints.latest)
    run.begin(start, config.save)

    dataset = data.train_dataset(
        files["A"], files["B"], config.data.batch_size, config.data.load_size, config.data.crop_size,
        config.data.flip, t.seed, start_example=start * config.data.batch_size,
        preprocess_mode=config.data.preprocess,
    )
    iterator = iter(strategy.experimental_distribute_dataset(dataset))
    samples = {d: data.sample_images(config.data.dataroot, d, SAMPLE_COUNT, config.data.crop_size) for d in "AB"}
    writer = summaries.TrainingSummaries(output_dir / "logs" if chief else None)

    # ---- Loop: one optimizer step per iteration; log, sample and checkpoint on their intervals.
    history = []
    bar = tqdm(range(start, t.steps), initial=start, total=t.steps, disable=not (progress and chief), desc="train")
    tick, tick_step = time.perf_counter(), start
    with StopRequest() as stop, bar:
        for step in bar:
            if stop.signum is not None:
                raise stop.interrupted(step, checkpoints.save(step), output_dir)
            losses = {k: float(v) for k, v in trainer.train_step(next(iterator)).items()}
            bad = [k for k, v in losses.items() if not math.isfinite(v)]
            if bad:
                raise TrainingDivergedError(
                    f"loss {bad[0]} became {losses[bad[0]]} at step {step}; training stopped. The last good "
                    f"checkpoint {checkpoints.latest or '(none yet)'} is kept. Try a lower learning rate or no "
                    "--mixed-precision; see docs/qa.md."
                )
            done = step + 1
            history.append({"step": done, **losses})
            bar.set_postfix(G=f"{losses['generator_total']:.3f}", D=f"{losses['discriminator_total']:.3f}",
                            cyc=f"{losses['cycle_a']:.3f}")
            if done % t.log_every == 0 or done == t.steps:
                now = time.perf_counter()
                losses["images_per_second"] = (done - tick_step) * config.data.batch_size / max(now - tick, 1e-9)
                tick, tick_step = now, done
                bar.set_postfix(G=f"{losses['generator_total']:.3f}", D=f"{losses['discriminator_total']:.3f}",
                                img_s=f"{losses['images_per_second']:.1f}")
                collapses = writer.scalars(losses, done)
                for message in collapses:
                    logger.warning(message)
                    tqdm.write(f"WARNING: {message}")
                run.log({"step": done, **losses})
                if collapses and t.on_collapse == "stop":
                    raise MaskCollapseError(
                        f"stopped at step {done} (--on-collapse stop): {collapses[0]} Checkpoint saved: "
                        f"{checkpoints.save(done)}."
                    )
            if chief and (done % t.sample_every == 0 or done == t.steps):
                grid = _sample_grid(trainer, samples)
                summaries.save_grid(grid, output_dir / "samples" / f"step_{done:06d}.png")
                writer.image("samples/input_output_masks_content", grid, done)
            if done % t.checkpoint_every == 0 or done == t.steps:
                checkpoints.save(done)
    return {"trainer": trainer, "output_dir": output_dir, "history": history, "step": int(trainer.step.numpy())}
