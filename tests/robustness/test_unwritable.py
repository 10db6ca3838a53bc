"""Item 10 of issue 11: read-only or full output dirs and a truncated config.json: one error line naming the
file, checkpoints intact."""

import os
import shutil
import stat

import pytest
import tensorflow as tf

from attentiongan_tf.cli import train
from attentiongan_tf.training import checkpoints as ckpt
from attentiongan_tf.training.loop import train as train_two_domain
from attentiongan_tf.training.tasks.multi_domain_task import train_multidomain

from .runs import multidomain_config, train_cli, tree_digest, two_domain_config


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("unwritable")
    train_two_domain(two_domain_config(tmp, tmp / "run", steps=2), progress=False)
    return tmp / "run"


def without_file_capabilities() -> tuple[str, ...]:
    """A command prefix under which this process's user cannot write into read-only folders (root ignores modes)."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a folder read-only for the child")
    return ("setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--")


@pytest.mark.slow
def test_read_only_run_dir_is_one_error_naming_the_file(finished_run, tmp_path):
    run = shutil.copytree(finished_run, tmp_path / "run")
    before = tree_digest(run)
    folders = [run, *[p for p in run.rglob("*") if p.is_dir()]]
    for folder in folders:
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    try:
        result = train_cli("--output-dir", str(run), "--resume", "--steps", "4", prefix=without_file_capabilities())
    finally:
        for folder in folders:
            folder.chmod(0o755)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert str(run) in line and "ermission denied" in line
    assert tree_digest(run) == before


@pytest.mark.parametrize("kind", ["two_domain", "multidomain"])
def test_truncated_config_json_on_resume_names_the_file(kind, finished_run, tmp_path, capsys):
    if kind == "two_domain":
        run = shutil.copytree(finished_run, tmp_path / "run")
    else:
        run = tmp_path / "md"
        train_multidomain(multidomain_config(run), progress=False)
    text = (run / "config.json").read_text()
    (run / "config.json").write_text(text[: len(text) // 2])
    before = tree_digest(run)
    assert train.main(["--output-dir", str(run), "--resume"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error:") and error.count("\n") == 1 and str(run / "config.json") in error
    assert tree_digest(run) == before


def test_full_disk_during_a_checkpoint_keeps_the_previous_one(finished_run, tmp_path, capsys, monkeypatch):
    run = shutil.copytree(finished_run, tmp_path / "run")

    def no_space(self, *args, **kwargs):
        raise tf.errors.ResourceExhaustedError(None, None, f"{self.directory}/ckpt-4_temp; No space left on device")

    monkeypatch.setattr(tf.train.CheckpointManager, "save", no_space)
    assert train.main(["--output-dir", str(run), "--resume", "--steps", "4"]) == 1
    (error,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert error.startswith("error: cannot write checkpoint") and "No space left" in error and "ckpt-2" in error
    monkeypatch.undo()
    assert ckpt.latest_checkpoint(run).endswith("ckpt-2") and ckpt.load_generator(run) is not None
