"""export.py argument validation: clear errors before any work for bad formats, checkpoints and flags."""

import importlib.util

import pytest

from tests.e2e.export_helpers import REPO_ROOT, run_cli

pytestmark = pytest.mark.slow


def export_main():
    spec = importlib.util.spec_from_file_location("export_cli", REPO_ROOT / "export.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "savedmodel,coreml"], "unknown value(s) ['coreml']"),
        (["--format", "tflite", "--tflite-variants", "int4"], "--tflite-variants: unknown value(s) ['int4']"),
        (["--format", "tflite", "--tflite-variants", "int8"], "needs --representative-data"),
        (["--version", "0"], "--version must be a positive integer"),
        (["--representative-data", "/nonexistent/photos"], "/nonexistent/photos is not a folder"),
        (["--format", "savedmodel,tfjs", "--tflite-fixed-size", "256"], "--tflite-fixed-size applies to TFLite only"),
        (["--format", "tflite", "--tflite-fixed-size", "30"], "--tflite-fixed-size must be a multiple of 4 and >= 8"),
        (["--format", "tflite", "--tflite-fixed-size", "4"], "--tflite-fixed-size must be a multiple of 4 and >= 8"),
        (["--format", "tflite", "--tflite-fixed-size", "-256"], "--tflite-fixed-size must be a multiple of 4"),
        (["--format", "savedmodel,tflite", "--tfjs-fixed-size", "256"], "--tfjs-fixed-size applies to TF.js only"),
        (["--format", "tfjs", "--tfjs-fixed-size", "30"], "--tfjs-fixed-size must be a multiple of 4 and >= 8"),
    ],
)
def test_bad_flags_fail_clearly(tmp_path, capsys, args, message):
    (tmp_path / "g.keras").write_bytes(b"")
    with pytest.raises(SystemExit) as raised:
        export_main()(["--checkpoint", str(tmp_path / "g.keras"), "--output", str(tmp_path / "o"), *args])
    assert message in str(raised.value) + capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_invalid_checkpoint_fails_clearly(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SystemExit, match="unsupported checkpoint"):
        export_main()(["--checkpoint", str(tmp_path / "notes.txt"), "--output", str(tmp_path / "o")])
    assert not (tmp_path / "o").exists()


def test_missing_checkpoint_exit_code_from_the_real_cli(tmp_path):
    done = run_cli("export.py", "--checkpoint", str(tmp_path / "missing.pth"), "--output", str(tmp_path / "o"))
    assert done.returncode != 0 and "missing.pth does not exist" in done.stderr
