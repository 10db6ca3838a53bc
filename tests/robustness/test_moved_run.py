"""A run folder resumes from any working directory, also after it was moved (paths in config.json are relative)."""

import shutil
from pathlib import Path

import pytest

from attentiongan_tf.cli import train

LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy"


@pytest.mark.parametrize(
    ("run", "dataroot"), [("two_domain_run", "demo_data"), ("multi_domain_run", "demo_data/train")]
)
def test_demo_data_inside_a_moved_run_is_found_on_resume(tmp_path, monkeypatch, run, dataroot):
    moved = tmp_path / "moved" / "somewhere" / "my_run"
    shutil.copytree(LEGACY / run, moved)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = train.build_config(train.parse_args(["--output-dir", str(moved), "--resume", "--steps", "3"]))
    recorded = config.data.dataroot if hasattr(config, "data") else config.dataroot
    assert Path(recorded).resolve() == (moved / dataroot).resolve()


def test_missing_dataset_of_a_resumed_run_names_the_config_file(tmp_path, monkeypatch):
    run = tmp_path / "run"
    shutil.copytree(LEGACY / "two_domain_run", run)
    shutil.rmtree(run / "demo_data")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"config\.json.*two_domain_run/demo_data.*does not exist"):
        train.build_config(train.parse_args(["--output-dir", str(run), "--resume", "--steps", "3"]))
