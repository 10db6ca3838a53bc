"""A whole multi-domain run: data, resume, loop, checkpoints, per-domain sample grids and metrics."""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from attentiongan_tf import summaries
from attentiongan_tf.checkpoints import CHECKPOINT_DIR, CONFIG_NAME, RunCheckpoints
from attentiongan_tf.data import grids
from attentiongan_tf.data import labelled as data
from attentiongan_tf.data.labelled_demo import write_multidomain_demo
from attentiongan_tf.multidomain.checkpoints import make_checkpoint, read_multidomain_run
from attentiongan_tf.multidomain.config import MultiDomainConfig
from attentiongan_tf.multidomain.trainer import MultiDomainTrainer
from attentiongan_tf.run_dir import OutputDirError, RunDir, check_steps
from attentiongan_tf.signals import StopRequest
from attentiongan_tf.training_loop import TrainingDivergedError

__all__ = ["OutputDirError", "sample_grid", "train_multidomain"]

#: Settings that define the networks; a resume must not change them.
MODEL_KEYS = ("image_size", "ngf", "n_blocks", "n_masks", "ndf", "n_layers_d")


def sample_grid(trainer: MultiDomainTrainer, samples: dict, domains: list[str] | None = None) -> np.ndarray:
    """One labelled block of rows per target domain (``grids.labelled_grid``), named after ``domains``."""
    rows = []
    for column in range(trainer.n_domains):
        if trainer.classification == "single_label":
            target = np.tile(np.eye(trainer.n_domains, dtype=np.float32)[column], (len(samples["label"]), 1))
        else:
            target = samples["label"].copy()
            target[:, column] = 1.0 - target[:, column]
        outputs = {k: np.asarray(v) for k, v in trainer.translate(samples["image"], target).items()}
        name = domains[column] if domains else f"domain {column}"
        rows.append(grids.GridRow(f"→{name}", samples["image"], outputs))
    return grids.labelled_grid(rows).image


def _prepare_data(config: MultiDomainConfig, output_dir: Path) -> dict:
    if config.dataroot is None:
        demo = write_multidomain_demo(output_dir / "demo_data", size=config.image_size, train=config.demo_images)
        config.dataroot, config.layout, config.labels_csv = str(demo["train_dir"]), "folders", None
    return data.load_labelled_images(config.dataroot, config.layout, config.labels_csv, config.attributes)


def train_multidomain(
    config: MultiDomainConfig | None = None,
    resume: bool = False,
    progress: bool = True,
    overwrite: bool = False,
    **overrides,
) -> dict:
    """Train the multi-domain AttentionGAN; returns ``{"trainer", "output_dir", "history", "step", "domains",
    "classification"}``.

    Args:
        config: the run's settings (default ``MultiDomainConfig()``); keyword ``overrides`` replace fields.
        resume: continue the run in ``output_dir`` from its newest readable checkpoint (exactly: same data stream).
        progress: show a progress bar.
        overwrite: start a new run in a folder that holds one (its files are moved aside).

    Writes ``config.json`` (settings, domain names, classification mode), ``checkpoints/``,
    ``samples/step_XXXXXX.png`` (one row block per target domain), ``metrics.jsonl`` and, when ``dataroot`` is
    ``None``, the procedural demo under ``demo_data/``, with the rules of :mod:`attentiongan_tf.run_dir`.
    Raises ``TrainingDivergedError`` when a loss becomes NaN/Inf and ``TrainingInterrupted`` after saving a
    checkpoint on SIGINT/SIGTERM.
    """
    config = dataclasses.replace(config or MultiDomainConfig(), **overrides)
    config.validate()
    output_dir = Path(config.output_dir)
    run = RunDir(output_dir)
    run.prepare(resume, overwrite)
    if resume:
        saved = read_multidomain_run(output_dir)["config"]
        changed = [k for k in MODEL_KEYS if getattr(saved, k) != getattr(config, k)]
        if changed:
            raise ValueError(f"cannot resume {output_dir}: {changed} differ from its {CONFIG_NAME}")
        if config.dataroot is None:
            config.dataroot, config.layout, config.labels_csv = saved.dataroot, saved.layout, saved.labels_csv
    dataset = _prepare_data(config, output_dir)
    classification = data.resolve_classification(dataset["labels"], config.classification)

    trainer = MultiDomainTrainer(config, len(dataset["domains"]), classification)
    checkpoints = RunCheckpoints(make_checkpoint(trainer), output_dir / CHECKPOINT_DIR, config.keep_checkpoints)
    start = checkpoints.resume(trainer.step) if resume else 0
    check_steps(config.steps, start, checkpoints.latest)
    run.begin(start, lambda path: config.save(path, domains=dataset["domains"], classification=classification))
    stream = data.train_dataset(
        dataset["files"],
        dataset["labels"],
        config.batch_size,
        config.image_size,
        config.flip,
        config.seed,
        start_example=start * config.batch_size,
    )
    iterator = iter(trainer.strategy.experimental_distribute_dataset(stream))
    samples = data.sample_batch(dataset["files"], dataset["labels"], config.image_size)

    history, last = [], {}
    tick, tick_step = time.perf_counter(), start
    bar = tqdm(range(start, config.steps), initial=start, total=config.steps, disable=not progress, desc="train")
    with StopRequest() as stop, bar:
        for step in bar:
            if stop.signum is not None:
                raise stop.interrupted(step, checkpoints.save(step), output_dir)
            losses = trainer.train_step(next(iterator))
            bad = [k for k, v in losses.items() if not math.isfinite(v)]
            if bad:
                raise TrainingDivergedError(
                    f"loss {bad[0]} became {losses[bad[0]]} at step {step}; the last good "
                    f"checkpoint {checkpoints.latest or '(none yet)'} is kept"
                )
            last.update(losses)
            done = step + 1
            history.append({"step": done, **losses})
            if done % config.log_every == 0 or done == config.steps:
                now = time.perf_counter()
                images_per_second = (done - tick_step) * config.batch_size / max(now - tick, 1e-9)
                tick, tick_step = now, done
                bar.set_postfix(D=f"{last['d_total']:.3f}", G=f"{last.get('g_total', float('nan')):.3f}")
                run.log({"step": done, **last, "images_per_second": images_per_second})
            if done % config.sample_every == 0 or done == config.steps:
                grid = sample_grid(trainer, samples, dataset["domains"])
                summaries.save_grid(grid, output_dir / "samples" / f"step_{done:06d}.png")
            if done % config.checkpoint_every == 0 or done == config.steps:
                checkpoints.save(done)
    return {
        "trainer": trainer,
        "output_dir": output_dir,
        "history": history,
        "step": int(trainer.step.numpy()),
        "domains": dataset["domains"],
        "classification": classification,
    }
