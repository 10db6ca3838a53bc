"""Running a TF.js graph model in Node (``@tensorflow/tfjs`` + the wasm backend)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from attentiongan_tf.inference.pixels import to_model_input
from attentiongan_tf.inference.runners import Runner
from attentiongan_tf.inference.savedmodel_checks import OUTPUT_KEYS

REPO_ROOT = Path(__file__).resolve().parents[2]
TFJS_NODE_SCRIPT = REPO_ROOT / "tools" / "tfjs_node_run.mjs"


class TFJSNodeRunner(Runner):
    """Runs a TF.js graph model in Node (``@tensorflow/tfjs`` + wasm backend) via ``tools/tfjs_node_run.mjs``.

    One Node process handles every image of a ``run`` call. Needs ``node`` and ``npm ci`` at the repo root.

    Args:
        path: the TF.js model folder (holding ``model.json``) or the ``model.json`` file.
    """

    kind = "tfjs"

    def __init__(self, path: str | os.PathLike):
        path = Path(path)
        self.path = path.parent if path.name == "model.json" else path
        if not (self.path / "model.json").is_file():
            raise FileNotFoundError(f"no model.json in {self.path}")
        if shutil.which("node") is None:
            raise RuntimeError("running a TF.js model needs Node.js (`node` not found on PATH)")
        if not (REPO_ROOT / "node_modules" / "@tensorflow" / "tfjs-backend-wasm").is_dir():
            raise RuntimeError(f"TF.js packages missing; run `npm ci` in {REPO_ROOT}")
        self.last_timings_ms: list[float] = []

    def run_raw(self, images: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
        with tempfile.TemporaryDirectory(prefix="tfjs_run_") as tmp:
            items = []
            for index, image in enumerate(images):
                batch = to_model_input(image)
                batch.tofile(f"{tmp}/in{index}.f32")
                items.append(
                    {"input": f"{tmp}/in{index}.f32", "shape": list(batch.shape), "output_prefix": f"{tmp}/out{index}"}
                )
            Path(tmp, "manifest.json").write_text(json.dumps({"model_dir": str(self.path.resolve()), "items": items}))
            done = subprocess.run(
                ["node", str(TFJS_NODE_SCRIPT), f"{tmp}/manifest.json"], capture_output=True, text=True, cwd=REPO_ROOT
            )
            if done.returncode != 0:
                raise RuntimeError(f"TF.js runner failed on {self.path}:\n{done.stderr[-3000:]}")
            report = json.loads(done.stdout.strip().splitlines()[-1])
            self.last_timings_ms = [entry["ms"] for entry in report["outputs"]]
            results = []
            for index, entry in enumerate(report["outputs"]):
                results.append(
                    {
                        key: np.fromfile(f"{tmp}/out{index}.{key}.f32", np.float32).reshape(entry["shapes"][key][1:])
                        for key in OUTPUT_KEYS
                    }
                )
            return results
