"""TF.js graph-model export (SavedModel -> the tensorflowjs converter, run by this interpreter): float32, float16
and uint8 weights.

The ``translate_float`` signature is converted (float32 [-1, 1] input, any
size; outputs ``image``, ``attention``, ``content``): TF.js has no uint8
tensors, and the page / Node runner normalise pixels themselves. Weights are
sharded (``--weight_shard_size_bytes``) so browsers fetch them in parallel and
cache each shard. A fixed-size model (:func:`export_tfjs_model` with
``fixed_size`` N, ``export.py --tfjs-fixed-size N``) takes exactly [1, N, N, 3]
and computes its instance norms with average pools: the fastest graph for the
wasm backend (docs/performance_log.md).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from attentiongan_tf.export.savedmodel import check_variants, export_savedmodel, read_metadata
from attentiongan_tf.export.serving import FLOAT_SIGNATURE
from attentiongan_tf.export.staging import staged_path

if TYPE_CHECKING:
    import keras

TFJS_VARIANTS = ("float32", "float16", "uint8")
QUANTIZE_FLAGS = {"float32": [], "float16": ["--quantize_float16=*"], "uint8": ["--quantize_uint8=*"]}
DEFAULT_SHARD_BYTES = 4 * 1024 * 1024
#: Output names of the ``translate_float`` signature, in the order the frozen graph returns them (sorted keys).
FLOAT_OUTPUTS = ("attention", "content", "image")


def repair_signature(model_json: Path) -> None:
    """Give every output of ``model.json`` its signature name.

    ``tensorflowjs_converter`` 4.22 names outputs by matching dtype and shape,
    so outputs of equal shape (``image`` and ``attention`` when n_masks = 3)
    lose their names. The frozen graph returns ``Identity``, ``Identity_1``...
    in the order of the sorted signature keys, which restores them.
    """
    spec = json.loads(model_json.read_text())
    outputs = spec["signature"]["outputs"]

    def index(info):
        match = re.fullmatch(r"Identity(?:_(\d+))?:0", info["name"])
        if match is None:
            raise RuntimeError(f"{model_json}: unexpected output tensor {info['name']!r}")
        return int(match.group(1) or 0)

    ordered = sorted(outputs.values(), key=index)
    if len(ordered) != len(FLOAT_OUTPUTS):
        raise RuntimeError(f"{model_json}: expected outputs {FLOAT_OUTPUTS}, got {sorted(outputs)}")
    repaired = dict(zip(FLOAT_OUTPUTS, ordered, strict=True))
    for key, info in outputs.items():
        if key in repaired and repaired[key]["name"] != info["name"]:
            raise RuntimeError(f"{model_json}: output {key!r} is {info['name']}, expected {repaired[key]['name']}")
    spec["signature"]["outputs"] = repaired
    model_json.write_text(json.dumps(spec))


#: Runs ``tensorflowjs.converters.converter.convert`` in the CURRENT interpreter (no console script on PATH
#: needed) with the arguments as a list, so that paths may contain spaces.
CONVERTER_CODE = "import sys; from tensorflowjs.converters.converter import convert; convert(sys.argv[1:])"


def converter_command() -> list[str]:
    """The converter as ``[python, -c, ...]`` with this process's interpreter (works without the venv on PATH)."""
    if importlib.util.find_spec("tensorflowjs") is None:
        raise RuntimeError(f"tensorflowjs is not installed for {sys.executable}; pip install tensorflowjs==4.22.0")
    return [sys.executable, "-c", CONVERTER_CODE]


def convert_variant(
    savedmodel_dir: str | os.PathLike, folder: Path, variant: str, shard_bytes: int = DEFAULT_SHARD_BYTES
) -> None:
    """Run the TF.js converter for one weight variant into ``folder`` (an existing, empty folder)."""
    check_variants([variant], TFJS_VARIANTS, "TF.js")
    command = [
        *converter_command(),
        "--input_format=tf_saved_model",
        "--output_format=tfjs_graph_model",
        f"--signature_name={FLOAT_SIGNATURE}",
        "--saved_model_tags=serve",
        f"--weight_shard_size_bytes={shard_bytes}",
        *QUANTIZE_FLAGS[variant],
        os.fspath(savedmodel_dir),
        os.fspath(folder),
    ]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if result.returncode != 0 or not (folder / "model.json").is_file():
        tail = result.stderr.strip().splitlines()[-1:] or ["no model.json written"]
        raise RuntimeError(f"the TF.js converter failed for {variant} ({savedmodel_dir}): {tail[0]}")
    repair_signature(folder / "model.json")


def tfjs_folder_name(variant: str, fixed_size: int | None = None) -> str:
    """``<variant>`` for an any-size model, ``<variant>_fixed<N>`` for a fixed-size one."""
    return variant if fixed_size is None else f"{variant}_fixed{fixed_size}"


def export_tfjs(
    savedmodel_dir: str | os.PathLike,
    output: str | os.PathLike,
    variants: Iterable[str] = TFJS_VARIANTS,
    shard_bytes: int = DEFAULT_SHARD_BYTES,
    overwrite: bool = False,
) -> dict[str, dict]:
    """Write ``output/tfjs/<variant>/`` (``model.json`` + weight shards) for each variant.

    Args:
        savedmodel_dir: a SavedModel written by :func:`attentiongan_tf.export.export_savedmodel`; one written
            with ``fixed_size`` N goes to ``output/tfjs/<variant>_fixed<N>/``.
        output: export root.
        variants: any of ``float32``, ``float16``, ``uint8`` (weight storage; compute is float32).
        shard_bytes: maximum size of one weight shard.
        overwrite: replace existing folders.

    Returns:
        dict mapping each variant to ``{"path": str, "size_bytes": int, "shards": int, "fixed_size": N or None}``.

    Example:
        >>> export_tfjs("/tmp/out/savedmodel/attentiongan/1", "/tmp/out", ["float16"])  # doctest: +SKIP
    """
    variants = check_variants(variants, TFJS_VARIANTS, "TF.js")
    if shard_bytes < 1024:
        raise ValueError(f"shard_bytes must be at least 1024, got {shard_bytes}")
    fixed_size = (read_metadata(savedmodel_dir) or {}).get("fixed_size")
    folders = {v: Path(output) / "tfjs" / tfjs_folder_name(v, fixed_size) for v in variants}
    for folder in folders.values():
        if folder.exists() and not overwrite:
            raise FileExistsError(f"{folder} already exists; pass --overwrite (overwrite=True) to replace it")
    results = {}
    for variant, folder in folders.items():
        with staged_path(folder) as staging:
            convert_variant(savedmodel_dir, staging, variant, shard_bytes)
        files = [f for f in folder.iterdir() if f.is_file()]
        results[variant] = {
            "path": str(folder),
            "size_bytes": sum(f.stat().st_size for f in files),
            "shards": sum(f.suffix == ".bin" for f in files),
            "fixed_size": fixed_size,
        }
    return results


def export_tfjs_model(
    model: keras.Model,
    output: str | os.PathLike,
    variants: Iterable[str] = TFJS_VARIANTS,
    shard_bytes: int = DEFAULT_SHARD_BYTES,
    overwrite: bool = False,
    fixed_size: int | None = None,
) -> dict[str, dict]:
    """Convert a generator to TF.js the way ``export.py`` does, from a SavedModel of its own in a temporary folder.

    Its instance norms take their means as matrix products with a column of 1/(H·W) (within float32 rounding;
    TF.js wasm transposes the tensor for every ``Mean`` over H and W: 0.64 against 0.09 s at 256²). With
    ``fixed_size`` N that SavedModel takes exactly [1, N, N, 3], its means are average pools over the whole image
    (the same numbers), and the models go to ``output/tfjs/<variant>_fixed<N>/``. Callers pad smaller images to N
    and refuse larger ones (as :class:`attentiongan_tf.inference.TFJSNodeRunner` does).

    Args:
        model: the generator (either family).
        output, variants, shard_bytes, overwrite: as in :func:`export_tfjs`.
        fixed_size: N (a multiple of 4, at least 8), or None for any size.

    Returns:
        as :func:`export_tfjs`.

    Example:
        >>> export_tfjs_model(generator, "/tmp/out", ["float32"], fixed_size=256)  # doctest: +SKIP
    """
    normalization = "matmul" if fixed_size is None else "pool"
    with tempfile.TemporaryDirectory(prefix="attentiongan_tfjs_") as scratch:
        source = export_savedmodel(model, scratch, fixed_size=fixed_size, normalization=normalization)["path"]
        return export_tfjs(source, output, variants, shard_bytes, overwrite)
