"""Items 6 and 8 of issue 11: no run is overwritten or appended to; what a run rewrites is written atomically."""

import json

import numpy as np
import pytest
from PIL import Image

from attentiongan_tf.training import checkpoints as ckpt
from attentiongan_tf.training import summaries
from attentiongan_tf.training.loop import OutputDirError, train
from attentiongan_tf.training.tasks.multi_domain_task import train_multidomain

from .runs import multidomain_config, tree_digest, two_domain_config


def metric_steps(run):
    return [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_run_without_checkpoint_is_not_overwritten(tmp_path):
    # A run killed before its first checkpoint: config.json, a sample grid and logged metrics, no checkpoints/.
    run = tmp_path / "run"
    config = two_domain_config(tmp_path, run)
    run.mkdir()
    config.save(run / "config.json")
    summaries.save_grid(np.zeros((4, 4, 3), np.uint8), run / "samples" / "step_000001.png")
    (run / "metrics.jsonl").write_text('{"step": 1, "cycle_a": 1.0}\n')
    before = tree_digest(run)
    with pytest.raises(OutputDirError, match="--resume.*--overwrite"):
        train(config, progress=False)
    assert tree_digest(run) == before


def test_foreign_non_empty_folder_is_refused(tmp_path):
    run = tmp_path / "mine"
    run.mkdir()
    (run / "notes.txt").write_text("my notes")
    with pytest.raises(OutputDirError, match="not empty.*notes.txt.*--overwrite"):
        train(two_domain_config(tmp_path, run), progress=False)
    assert sorted(p.name for p in run.iterdir()) == ["notes.txt"]


def test_overwrite_moves_the_old_run_aside_and_keeps_other_files(tmp_path):
    run = tmp_path / "run"
    train(two_domain_config(tmp_path, run, steps=2), progress=False)
    (run / "notes.txt").write_text("my notes")
    old = tree_digest(run)
    result = train(two_domain_config(tmp_path, run, steps=1), progress=False, overwrite=True)
    assert result.step == 1
    assert metric_steps(run) == [1]  # a fresh log, not appended to the old run's
    assert (run / "notes.txt").read_text() == "my notes"
    (moved,) = tmp_path.glob("run.replaced-*")
    assert tree_digest(moved) == {k: v for k, v in old.items() if k != "notes.txt"}


def test_resume_drops_rows_after_the_checkpoint_and_stale_temp_files(tmp_path):
    # State left by a kill at step 6 during the write of ckpt-6 (after steps 5-6 were logged, the last one torn).
    run = tmp_path / "run"
    train(two_domain_config(tmp_path, run, steps=4), progress=False)
    with (run / "metrics.jsonl").open("a") as f:
        f.write('{"step": 5, "cycle_a": 1.0}\n{"step": 6, "cycle_a": 1.0}\n{"step": 7, "cyc')
    stale = run / "checkpoints" / "ckpt-6_temp"
    stale.mkdir()
    (stale / "part-00000-of-00001.data-00000-of-00001").write_bytes(b"\0" * 64)
    (run / "checkpoints" / "checkpoint.tmp0123456789abcdef").write_text("model_checkpoint_path")
    result = train(two_domain_config(tmp_path, run, steps=6), resume=True, progress=False)
    assert result.history[0]["step"] == 5
    assert metric_steps(run) == [1, 2, 3, 4, 5, 6]
    assert not any("_temp" in p.name or ".tmp" in p.name for p in (run / "checkpoints").iterdir())


def test_multidomain_run_is_guarded_and_resumes_without_duplicate_rows(tmp_path):
    run = tmp_path / "md"
    run.mkdir()
    (run / "notes.txt").write_text("my notes")
    with pytest.raises(OutputDirError, match="--overwrite"):
        train_multidomain(multidomain_config(run), progress=False)
    train_multidomain(multidomain_config(run), progress=False, overwrite=True)
    with (run / "metrics.jsonl").open("a") as f:
        f.write('{"step": 3, "d_total": 1.0}\n')
    (run / "checkpoints" / "ckpt-3_temp").mkdir()
    train_multidomain(multidomain_config(run, steps=3), resume=True, progress=False)
    assert metric_steps(run) == [1, 2, 3]
    assert not (run / "checkpoints" / "ckpt-3_temp").exists()
    assert (run / "notes.txt").read_text() == "my notes"


def test_config_json_is_replaced_atomically(tmp_path, monkeypatch):
    # The disk fills up while config.json is rewritten on --resume: the old file must survive intact.
    run = tmp_path / "run"
    train(two_domain_config(tmp_path, run, steps=2), progress=False)
    before = tree_digest(run)
    original = type(run).write_text

    def half_then_full(self, text, *args, **kwargs):
        original(self, text[: len(text) // 2], *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(run), "write_text", half_then_full)
    with pytest.raises(OSError, match="config.json.*No space left"):
        train(two_domain_config(tmp_path, run, steps=4), resume=True, progress=False)
    monkeypatch.undo()
    assert tree_digest(run) == before
    assert not [p for p in run.iterdir() if p.name.startswith(".")]
    assert ckpt.load_generator(run) is not None


def test_sample_grid_is_replaced_atomically(tmp_path, monkeypatch):
    path = summaries.save_grid(np.full((4, 4, 3), 9, np.uint8), tmp_path / "step_000001.png")
    good = path.read_bytes()

    def torn_save(self, fp, *args, **kwargs):
        with open(fp, "wb") as f:
            f.write(good[:10])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", torn_save)
    with pytest.raises(OSError, match="step_000001.png"):
        summaries.save_grid(np.zeros((4, 4, 3), np.uint8), path)
    assert path.read_bytes() == good and sorted(p.name for p in tmp_path.iterdir()) == ["step_000001.png"]
