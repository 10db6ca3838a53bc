"""Running a TF.js graph model in Node (``@tensorflow/tfjs`` + the wasm backend) with the packaged runner script.

The script (``tfjs_node_run.mjs``) is package data; the TF.js packages come from a ``node_modules`` folder found
by :func:`find_node_modules` (an argument, ``$ATTENTIONGAN_NODE_MODULES``, or the current folder and its
parents), never from where the package is installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from attentiongan_tf.export.serving import LABELS_INPUT, OUTPUT_KEYS
from attentiongan_tf.inference.artifacts import pad_to_fixed_size
from attentiongan_tf.inference.pixels import to_model_input
from attentiongan_tf.inference.runners import Runner, Target
from attentiongan_tf.inference.translation import Translation

TFJS_NODE_SCRIPT = Path(__file__).with_name("tfjs_node_run.mjs")
NODE_MODULES_ENV = "ATTENTIONGAN_NODE_MODULES"
TFJS_PACKAGES = ("@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm")
INSTALL_HINT = "npm install @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0"
MAX_WASM_THREADS = 8  # tfjs-backend-wasm pre-starts 8 pthread workers (MAX_WASM_THREADS in tfjs_wasm.mjs)


def default_wasm_threads() -> int:
    """The CPUs this process may run on (its affinity), at most :data:`MAX_WASM_THREADS`."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(MAX_WASM_THREADS, available))


def _has_tfjs(folder: Path) -> bool:
    return all((folder / package / "package.json").is_file() for package in TFJS_PACKAGES)


def find_node_modules(node_modules: str | os.PathLike | None = None, start: str | os.PathLike | None = None) -> Path:
    """The ``node_modules`` folder holding ``@tensorflow/tfjs`` and ``@tensorflow/tfjs-backend-wasm``.

    Args:
        node_modules: an explicit folder (wins over everything else).
        start: where the upward search begins (default: the current folder).

    Looked up in this order: ``node_modules``, ``$ATTENTIONGAN_NODE_MODULES``, then ``node_modules/`` in
    ``start`` and each of its parents (``npm ci`` at the repository root provides one).

    Raises:
        RuntimeError: one line naming the folder that lacks the packages, or saying how to provide them.
    """
    for given, origin in ((node_modules, "node_modules"), (os.environ.get(NODE_MODULES_ENV), NODE_MODULES_ENV)):
        if given:
            folder = Path(given).expanduser().resolve()
            if not _has_tfjs(folder):
                raise RuntimeError(f"{origin}={folder} does not hold {' and '.join(TFJS_PACKAGES)} ({INSTALL_HINT})")
            return folder
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if _has_tfjs(folder / "node_modules"):
            return folder / "node_modules"
    raise RuntimeError(
        f"running a TF.js model needs {' and '.join(TFJS_PACKAGES)}: run `{INSTALL_HINT}` in {here} or a parent "
        f"folder, or set {NODE_MODULES_ENV} to a node_modules folder holding them"
    )


def _input_dims(model_json: Path, name: str) -> list[int] | None:
    """The dims of signature input ``name`` of a TF.js ``model.json`` (-1 where unknown), or None without it."""
    inputs = json.loads(model_json.read_text()).get("signature", {}).get("inputs", {})
    spec = next((spec for key, spec in inputs.items() if key.split(":")[0] == name), None)
    return None if spec is None else [int(d.get("size", -1)) for d in spec.get("tensorShape", {}).get("dim", [])]


def tfjs_label_size(model_json: Path) -> int | None:
    """The label size of a multi-domain TF.js model (its signature has a ``labels`` input), else ``None``."""
    dims = _input_dims(model_json, LABELS_INPUT)
    if dims is None:
        return None
    if len(dims) != 2 or dims[1] < 1:
        raise ValueError(f"{model_json}: the {LABELS_INPUT} input has shape {dims}, not (B, n_domains)")
    return dims[1]


def tfjs_fixed_size(model_json: Path) -> tuple[int, int] | None:
    """(N, N) for a fixed-size TF.js model (``export.py --tfjs-fixed-size N``), ``None`` for an any-size one."""
    dims = _input_dims(model_json, "images")
    if dims is None or len(dims) != 4:
        raise ValueError(f"{model_json}: no (B, H, W, 3) images input in the signature (was it written by export.py?)")
    return (dims[1], dims[2]) if min(dims[1:3]) > 0 else None


class TFJSNodeRunner(Runner):
    """Runs a TF.js graph model in Node (``@tensorflow/tfjs`` + wasm backend) via the packaged runner script.

    One Node process handles every image of a ``run`` call. Needs ``node`` on PATH and the TF.js packages
    (see :func:`find_node_modules`). A fixed-size model (``export.py --tfjs-fixed-size N``; ``fixed_size`` is
    then ``(N, N)``) gets smaller images reflect-padded to N × N and its outputs cropped back; a larger image
    is refused with a ``ValueError``, as in :class:`~attentiongan_tf.inference.TFLiteRunner`. After a run,
    ``last_timings_ms`` holds each image's milliseconds from ``execute`` until every output is read back, and
    ``last_threads`` the thread count the wasm backend reported.

    TF.js itself uses one wasm thread in Node, and in a browser half the logical CPUs; the runner starts its
    multi-threaded build with ``num_threads`` threads (``tfjs_wasm.mjs`` says how).

    Args:
        path: the TF.js model folder (holding ``model.json``) or the ``model.json`` file.
        target: multi-domain models only (required there): the target domain (``domain_i`` names or a vector).
        node_modules: the ``node_modules`` folder with the TF.js packages (default: :func:`find_node_modules`).
        num_threads: wasm threads, 1 to 8 (default: :func:`default_wasm_threads`); 1 runs the single-threaded
            SIMD build.

    Raises:
        ValueError: ``num_threads`` is out of range, or the model is not an AttentionGAN TF.js export.
    """

    kind = "tfjs"

    def __init__(
        self,
        path: str | os.PathLike,
        target: Target | None = None,
        node_modules: str | os.PathLike | None = None,
        num_threads: int | None = None,
    ):
        if num_threads is not None and not 1 <= num_threads <= MAX_WASM_THREADS:
            raise ValueError(f"TF.js wasm runs 1 to {MAX_WASM_THREADS} threads, got {num_threads}")
        self.num_threads = default_wasm_threads() if num_threads is None else num_threads
        path = Path(path)
        self.path = path.parent if path.name == "model.json" else path
        if not (self.path / "model.json").is_file():
            raise FileNotFoundError(f"no model.json in {self.path}")
        self.choose_target(target, tfjs_label_size(self.path / "model.json"), None, str(self.path), "TF.js model")
        self.fixed_size = tfjs_fixed_size(self.path / "model.json")
        if shutil.which("node") is None:
            raise RuntimeError("running a TF.js model needs Node.js (`node` not found on PATH)")
        self.node_modules = find_node_modules(node_modules)
        self.last_timings_ms: list[float] = []
        self.last_threads: int | None = None

    def run_raw(self, images: list[np.ndarray]) -> list[Translation]:
        labels = self.label_batch()
        with tempfile.TemporaryDirectory(prefix="tfjs_run_") as tmp:
            items = []
            sizes = [image.shape[:2] for image in images]
            if self.fixed_size is not None:
                images = [pad_to_fixed_size(image, self.fixed_size, self.path) for image in images]
            for index, image in enumerate(images):
                batch = to_model_input(image)
                batch.tofile(f"{tmp}/in{index}.f32")
                item = {"input": f"{tmp}/in{index}.f32", "shape": list(batch.shape)}
                item["output_prefix"] = f"{tmp}/out{index}"
                if labels is not None:
                    labels.tofile(f"{tmp}/labels.f32")
                    item.update(labels=f"{tmp}/labels.f32", labels_shape=list(labels.shape))
                items.append(item)
            manifest = {
                "model_dir": str(self.path.resolve()),
                "node_modules": str(self.node_modules),
                "threads": self.num_threads,
                "items": items,
            }
            Path(tmp, "manifest.json").write_text(json.dumps(manifest))
            command = ["node", str(TFJS_NODE_SCRIPT), f"{tmp}/manifest.json"]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"TF.js runner failed on {self.path}:\n{done.stderr[-3000:]}")
            report = json.loads(done.stdout.strip().splitlines()[-1])
            self.last_timings_ms = [entry["ms"] for entry in report["outputs"]]
            self.last_threads = report["threads"]
            return [
                Translation(**{
                    key: np.fromfile(f"{tmp}/out{index}.{key}.f32", np.float32).reshape(entry["shapes"][key][1:])[
                        : sizes[index][0], : sizes[index][1]
                    ]
                    for key in OUTPUT_KEYS
                })
                for index, entry in enumerate(report["outputs"])
            ]  # fmt: skip
