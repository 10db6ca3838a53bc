"""SavedModels run their graph ops: our exports carry a marker, a foreign SavedModel is run only with a warning,
and one whose signatures do not fit is refused with a clear error."""

import logging

import numpy as np
import pytest

from attentiongan_tf import __version__, build_generator
from attentiongan_tf.export import export_savedmodel, read_metadata
from attentiongan_tf.inference import SavedModelRunner, open_runner
from tests.inputs.crafted import write_foreign_savedmodel


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    root = tmp_path_factory.mktemp("provenance")
    ours = export_savedmodel(build_generator(ngf=4, n_blocks=1, n_masks=2), root / "ours")["path"]
    foreign = write_foreign_savedmodel(root / "foreign")
    unrelated = write_foreign_savedmodel(root / "unrelated", kind="unrelated")
    labels = write_foreign_savedmodel(root / "labels", kind="labels")
    return {"ours": ours, "foreign": foreign, "unrelated": unrelated, "labels": labels}


def _warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_our_export_has_a_marker_and_runs_without_warning(exports, caplog):
    marker = read_metadata(exports["ours"])["producer"]
    assert marker["package"] == "attentiongan_tf" and marker["version"] == __version__
    assert marker["kind"] == "two_domain" and "translate_float" in marker["signatures"]
    with caplog.at_level(logging.WARNING):
        runner = open_runner(exports["ours"])
        result = runner.run([np.zeros((5, 6, 3), np.uint8)])[0]
    assert result["image"].shape == (5, 6, 3) and runner.provenance_warning is None
    assert not _warnings(caplog)


def test_foreign_savedmodel_is_run_with_one_warning(exports, caplog):
    with caplog.at_level(logging.WARNING):
        runner = SavedModelRunner(exports["foreign"])
    (warning,) = _warnings(caplog)
    assert str(exports["foreign"]) in warning and "not written by attentiongan_tf" in warning and "trust" in warning
    assert "\n" not in warning and runner.provenance_warning == warning
    image = np.full((4, 4, 3), 200, np.uint8)
    np.testing.assert_array_equal(runner.run([image])[0]["image"], image)


def test_savedmodel_with_other_signatures_is_a_clear_error(exports, tmp_path):
    with pytest.raises(ValueError, match=r"unrelated.*no 'translate_float' signature.*serving_default"):
        SavedModelRunner(exports["unrelated"])
    with pytest.raises(ValueError, match=r"labels.*multi-domain SavedModel.*--target-domain"):
        SavedModelRunner(exports["labels"])
    (tmp_path / "saved_model.pb").write_bytes(b"\x00garbage\xff" * 10)
    with pytest.raises(ValueError, match="saved_model.pb is not a readable SavedModel"):
        SavedModelRunner(tmp_path)


def test_multidomain_exports_are_marked_as_such():
    from attentiongan_tf.export.savedmodel import export_marker
    from attentiongan_tf.export.serving import make_endpoints
    from attentiongan_tf.multidomain import build_multidomain_generator

    generator = build_multidomain_generator(3, ngf=4, n_blocks=1, n_masks=3)
    marker = export_marker(make_endpoints(generator))
    assert marker["kind"] == "multidomain" and marker["signatures"][0] == "serving_default"


def test_translate_help_says_to_trust_savedmodels(capsys):
    from attentiongan_tf.cli import translate

    with pytest.raises(SystemExit):
        translate.parse_args(["--help"])
    assert "trust" in capsys.readouterr().out
