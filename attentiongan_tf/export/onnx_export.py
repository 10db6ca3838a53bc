"""ONNX export (SavedModel -> ``tf2onnx``): the ``serving_default`` (uint8) and ``translate_float`` signatures.

Both come from the SavedModel that export.py writes, i.e. the same pad -> generator -> crop serving function
as every other artifact, with dynamic batch, height and width (named ``batch``, ``height``, ``width`` in the
ONNX graphs). Files: ``OUT/onnx/<name>_uint8.onnx`` (``images`` uint8 (B, H, W, 3) -> ``image`` uint8,
``attention`` float32) and ``OUT/onnx/<name>_float.onnx`` (``images`` float32 [-1, 1] -> ``image``,
``attention``, ``content``). tf2onnx runs in a child process of this interpreter (its logs stay there).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from attentiongan_tf.export.savedmodel import check_variants
from attentiongan_tf.export.serving import FLOAT_SIGNATURE, UINT8_SIGNATURE
from attentiongan_tf.export.staging import staged_path

#: ONNX variant -> the SavedModel signature it is converted from.
ONNX_VARIANTS = {"uint8": UINT8_SIGNATURE, "float": FLOAT_SIGNATURE}
DEFAULT_OPSET = 17
# Converts each (signature, output) pair of argv[3:] from the SavedModel argv[1] with opset argv[2].
CONVERTER_CODE = """
import sys
from tf2onnx import convert
path, opset, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
for signature, output in zip(pairs[::2], pairs[1::2]):
    sys.argv = ["tf2onnx", "--saved-model", path, "--signature_def", signature, "--tag", "serve",
                "--opset", opset, "--output", output]
    convert.main()
"""
DIM_NAMES = ("batch", "height", "width")


def name_dynamic_dims(path: str | os.PathLike) -> None:
    """Name the dynamic B, H, W axes of every graph input and output ``batch``, ``height``, ``width``."""
    import onnx

    model = onnx.load(os.fspath(path))
    for value in [*model.graph.input, *model.graph.output]:
        for dim, name in zip(value.type.tensor_type.shape.dim, DIM_NAMES, strict=False):
            if not dim.HasField("dim_value"):
                dim.dim_param = name
    onnx.save(model, os.fspath(path))


def convert(savedmodel_dir: str | os.PathLike, targets: dict[str, Path], opset: int = DEFAULT_OPSET) -> None:
    """Convert ``{signature: output .onnx path}`` from the SavedModel with tf2onnx in one child process."""
    if importlib.util.find_spec("tf2onnx") is None:
        raise RuntimeError(f"tf2onnx is not installed for {sys.executable}; pip install tf2onnx==1.17.0")
    pairs = [str(item) for signature, path in targets.items() for item in (signature, path)]
    command = [sys.executable, "-c", CONVERTER_CODE, os.fspath(savedmodel_dir), str(opset), *pairs]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    missing = [str(path) for path in targets.values() if not Path(path).is_file()]
    if result.returncode != 0 or missing:
        errors = [line for line in result.stderr.splitlines() if "Error" in line] or result.stderr.splitlines()[-1:]
        raise RuntimeError(f"tf2onnx failed on {savedmodel_dir}: {(errors or ['no output written'])[-1]}")
    for path in targets.values():
        name_dynamic_dims(path)


def export_onnx(
    savedmodel_dir: str | os.PathLike,
    output: str | os.PathLike,
    variants: Iterable[str] = tuple(ONNX_VARIANTS),
    opset: int = DEFAULT_OPSET,
    overwrite: bool = False,
) -> dict[str, dict]:
    """Write ``output/onnx/<name>_<variant>.onnx`` for each variant (``uint8``, ``float``).

    Args:
        savedmodel_dir: a SavedModel written by :func:`attentiongan_tf.export.export_savedmodel`.
        output: export root.
        variants: ``uint8`` (the ``serving_default`` signature) and / or ``float`` (``translate_float``).
        opset: ONNX opset (17 runs in onnxruntime >= 1.12 and onnxruntime-web).
        overwrite: replace existing files (only once the new ones are complete).

    Returns:
        dict mapping each variant to ``{"path": str, "size_bytes": int, "signature": str}``.

    Example:
        >>> export_onnx("/tmp/out/savedmodel/attentiongan/1", "/tmp/out", ["float"])  # doctest: +SKIP
    """
    variants = check_variants(variants, tuple(ONNX_VARIANTS), "ONNX")
    name = Path(savedmodel_dir).parent.name or "attentiongan"
    paths = {v: Path(output) / "onnx" / f"{name}_{v}.onnx" for v in variants}
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{existing[0]} already exists; pass --overwrite (overwrite=True) to replace it")
    with contextlib.ExitStack() as stack:  # every file lands only when all converted
        staged = {v: stack.enter_context(staged_path(path, is_dir=False)) for v, path in paths.items()}
        convert(savedmodel_dir, {ONNX_VARIANTS[v]: staged[v] for v in variants}, opset)
    return {
        v: {"path": str(p), "size_bytes": p.stat().st_size, "signature": ONNX_VARIANTS[v]} for v, p in paths.items()
    }
