"""A whole multi-domain run: data, resume, loop, checkpoints, per-domain sample grids and metrics."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from attentiongan_tf import grids, summaries
from attentiongan_tf.checkpoints import CHECKPOINT_DIR, CONFIG_NAME, make_manager
from attentiongan_tf.multidomain import data
from attentiongan_tf.multidomain.checkpoints import make_checkpoint, read_multidomain_run
from attentiongan_tf.multidomain.config import MultiDomainConfig
from attentiongan_tf.multidomain.demo import write_multidomain_demo
from attentiongan_tf.multidomain.trainer import MultiDomainTrainer
from attentiongan_tf.training_loop import OutputDirError, TrainingDivergedError

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
    config: MultiDomainConfig | None = None, resume: bool = False, progress: bool = True, **overrides
) -> dict:
    """Train the multi-domain AttentionGAN; returns ``{"trainer", "output_dir", "history", "step", "domains",
    "classification"}``.

    Args:
        config: the run's settings (default ``MultiDomainConfig()``); keyword ``overrides`` replace fields.
        resume: continue the run in ``output_dir`` from its latest checkpoint (exactly: same data stream).
        progress: show a progress bar.

    Writes ``config.json`` (settings, domain names, classification mode), ``checkpoints/``,
    ``samples/step_XXXXXX.png`` (one row block per target domain), ``metrics.jsonl`` and, when ``dataroot`` is
    ``None``, the procedural demo under ``demo_data/``. Refuses to overwrite a run without ``resume``;
    raises ``TrainingDivergedError`` when a loss becomes NaN/Inf.
    """
    config = dataclasses.replace(config or MultiDomainConfig(), **overrides)
    config.validate()
    output_dir = Path(config.output_dir)
    has_run = (output_dir / CHECKPOINT_DIR).is_dir() and any((output_dir / CHECKPOINT_DIR).iterdir())
    if has_run and not resume:
        raise OutputDirError(
            f"--output-dir {output_dir} already holds a training run; pass --resume to continue "
            "it or choose another --output-dir"
        )
    if resume and (output_dir / CONFIG_NAME).is_file():
        saved = read_multidomain_run(output_dir)["config"]
        changed = [k for k in MODEL_KEYS if getattr(saved, k) != getattr(config, k)]
        if changed:
            raise ValueError(f"cannot resume {output_dir}: {changed} differ from its {CONFIG_NAME}")
        if config.dataroot is None:
            config.dataroot, config.layout, config.labels_csv = saved.dataroot, saved.layout, saved.labels_csv
    output_dir.mkdir(parents=True, exist_ok=True)
    dataset = _prepare_data(config, output_dir)
    classification = data.resolve_classification(dataset["labels"], config.classification)
    config.save(output_dir / CONFIG_NAME, domains=dataset["domains"], classification=classification)

    trainer = MultiDomainTrainer(config, len(dataset["domains"]), classification)
    checkpoint = make_checkpoint(trainer)
    manager = make_manager(checkpoint, output_dir / CHECKPOINT_DIR, config.keep_checkpoints)
    if resume and manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    start = int(trainer.step.numpy())
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
    for step in bar:
        losses = trainer.train_step(next(iterator))
        bad = [k for k, v in losses.items() if not math.isfinite(v)]
        if bad:
            raise TrainingDivergedError(
                f"loss {bad[0]} became {losses[bad[0]]} at step {step}; the last good "
                f"checkpoint {manager.latest_checkpoint or '(none yet)'} is kept"
            )
        last.update(losses)
        done = step + 1
        history.append({"step": done, **losses})
        if done % config.log_every == 0 or done == config.steps:
            now = time.perf_counter()
            record = {
                "step": done,
                **last,
                "images_per_second": (done - tick_step) * config.batch_size / max(now - tick, 1e-9),
            }
            tick, tick_step = now, done
            bar.set_postfix(D=f"{last['d_total']:.3f}", G=f"{last.get('g_total', float('nan')):.3f}")
            with (output_dir / "metrics.jsonl").open("a") as f:
                f.write(json.dumps(record) + "\n")
        if done % config.sample_every == 0 or done == config.steps:
            grid = sample_grid(trainer, samples, dataset["domains"])
            summaries.save_grid(grid, output_dir / "samples" / f"step_{done:06d}.png")
        if done % config.checkpoint_every == 0 or done == config.steps:
            manager.save(checkpoint_number=done)
    bar.close()
    return {
        "trainer": trainer,
        "output_dir": output_dir,
        "history": history,
        "step": int(trainer.step.numpy()),
        "domains": dataset["domains"],
        "classification": classification,
    }
