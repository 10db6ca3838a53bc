"""Execute the Colab notebooks headlessly (nbclient) with tiny parameters and check what they produce."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO_ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

COLAB = REPO_ROOT / "colab"
NOTEBOOKS = sorted(COLAB.glob("*.ipynb"))


def _execute(name: str, parameters: dict, timeout: int = 600):
    """Run a notebook papermill-style: a cell with the overrides goes right after the "parameters" cell."""
    notebook = nbformat.read(COLAB / name, as_version=4)
    index = next(i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", []))
    overrides = "\n".join(f"{key} = {value!r}" for key, value in parameters.items())
    notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(overrides, metadata={"tags": ["injected-parameters"]}))
    client = nbclient.NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(COLAB)}}
    )
    client.execute()
    return notebook


def _printed(notebook) -> str:
    return "".join(
        output.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    )


def test_committed_notebooks_have_no_outputs_and_a_parameters_cell():
    assert {p.name for p in NOTEBOOKS} == {"train.ipynb", "translate_and_export.ipynb"}
    for path in NOTEBOOKS:
        notebook = json.loads(path.read_text())
        code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        assert all(not c["outputs"] and c["execution_count"] is None for c in code), f"{path.name} has outputs"
        assert any("parameters" in c["metadata"].get("tags", []) for c in code), path.name


@pytest.mark.slow
def test_train_then_translate_and_export_notebooks(tmp_path):
    run_dir = tmp_path / "run"
    common = {"USE_DRIVE": False}
    train = _execute(
        "train.ipynb",
        {**common, "OUTPUT_DIR": str(run_dir), "PRESET": "demo", "IMAGE_SIZE": 32, "STEPS": 4,
         "EXTRA_FLAGS": ["--ngf", "4", "--n-blocks", "1", "--checkpoint-every", "2", "--sample-every", "2"]},
    )
    assert (run_dir / "config.json").is_file()
    assert (run_dir / "checkpoints" / "checkpoint").is_file()
    assert sorted((run_dir / "samples").glob("*.png"))
    assert any(o.get("output_type") == "display_data" for c in train.cells for o in c.get("outputs", []))
    assert "strategy: default" in _printed(train)  # the hardware cell: what --strategy auto picks here
    assert "--mixed-precision auto:" in _printed(train)  # train.py's line naming its pick for this machine

    # Running the notebook again resumes from the Drive-style output folder instead of starting over.
    again = _execute("train.ipynb", {**common, "OUTPUT_DIR": str(run_dir), "STEPS": 6})
    assert "-> resuming" in _printed(again)
    assert json.loads((run_dir / "config.json").read_text())["model"]["ngf"] == 4

    export_dir = tmp_path / "exports" / "demo"
    exported = _execute(
        "translate_and_export.ipynb",
        {**common, "CHECKPOINT": str(run_dir), "EXPORT_DIR": str(export_dir), "FORMATS": "savedmodel,tflite"},
    )
    assert list((export_dir / "savedmodel").rglob("saved_model.pb"))
    assert list((export_dir / "tflite").rglob("*.tflite"))
    assert list((tmp_path / "exports" / "demo_translations").rglob("*grid*.png"))
    assert "attention masks" in _printed(exported)


def test_notebooks_and_readme_name_no_fixed_repository():
    """Colab links and the clone cell work from whichever repository the notebooks are opened from."""
    for path in [*COLAB.glob("*.ipynb"), REPO_ROOT / "README.md"]:
        assert "attentiongan-tf/attentiongan_tf" not in path.read_text(), path
    for path in COLAB.glob("*.ipynb"):
        assert 'REPO_URL = os.environ.get(\\"ATTENTIONGAN_REPO_URL\\"' in path.read_text(), path
