"""TFLite / LiteRT export from the SavedModel: float32, float16, dynamic-range and full-integer variants.

Every variant uses builtin ops only (no Flex / Select TF ops) and keeps the
SavedModel's dynamic H and W: resize the input with
``interpreter.resize_tensor_input`` (or call the signature runner, which does
it) and ``allocate_tensors``. A fixed-size export (``fixed_size`` N, from a
SavedModel written with ``export_savedmodel(..., fixed_size=N)``) takes exactly
[1, N, N, 3] instead: no padding, cropping or shape ops at all, which XNNPACK
delegates and which Android GPU delegates and model binding need. The ``int8`` variant quantizes weights AND
activations with a representative dataset of real images and keeps float32
input/output tensors, so callers feed the same [-1, 1] / uint8 tensors as for
every other variant (Android/iOS code is identical across variants). The
``float32_winograd`` variant computes the ResNet blocks' 3×3 convolutions by
Winograd F(4×4, 3×3) (:mod:`attentiongan_tf.nn.winograd_deploy`): the fastest
float32 model on CPUs, in a file about 3.7× the size of ``float32``; ``float16_winograd`` is the same model
with its weights stored as float16 (half the file; LiteRT widens them to float32 once, at load). Neither is in
the default set. At any size both take one image per call ([1, H, W, 3]) and pad it to a multiple of 16, not 4
(:func:`attentiongan_tf.export.serving.make_endpoints`), so that XNNPACK can run their whole graph; at other sizes
than multiples of 16 their outputs therefore differ from ``float32``'s.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import tensorflow as tf

from attentiongan_tf.export.savedmodel import check_variants, export_savedmodel, prepare_output, read_metadata
from attentiongan_tf.export.serving import FLOAT_SIGNATURE, UINT8_SIGNATURE

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    import keras

TFLITE_VARIANTS = ("float32", "float16", "dynamic_range", "int8", "float32_winograd", "float16_winograd")
#: What ``export.py`` writes when no variants are named (``int8`` only with representative images).
DEFAULT_TFLITE_VARIANTS = ("float32", "float16", "dynamic_range", "int8")
#: The convolution algorithm each variant's source SavedModel is traced with (``conv_algorithm`` of
#: :func:`~attentiongan_tf.export.savedmodel.export_savedmodel`).
WINOGRAD_TFLITE_VARIANTS = tuple(v for v in TFLITE_VARIANTS if v.endswith("_winograd"))
VARIANT_CONV_ALGORITHM = {v: "winograd" if v in WINOGRAD_TFLITE_VARIANTS else "direct" for v in TFLITE_VARIANTS}
TFLITE_SIGNATURES = (UINT8_SIGNATURE, FLOAT_SIGNATURE)


def _operator_codes(model_content: bytes) -> list[tuple[bool, str]]:
    """``(is_builtin, name)`` for every operator code of a ``.tflite`` flatbuffer (read with the TFLite schema)."""
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.Model.GetRootAsModel(model_content, 0)
    builtin_names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    codes = []
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        # Codes < 127 are duplicated in the deprecated int8 field; newer ops only fill builtin_code.
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        if builtin == schema.BuiltinOperator.CUSTOM:
            codes.append((False, (code.CustomCode() or b"").decode()))
        else:
            codes.append((True, builtin_names.get(builtin, str(builtin))))
    return codes


def operator_names(model_content: bytes) -> list[str]:
    """Names of every operator of a ``.tflite`` model (builtin names such as ``CONV_2D``, or custom codes)."""
    return [name for _, name in _operator_codes(model_content)]


def non_builtin_ops(model_content: bytes) -> list[str]:
    """Custom and Flex (Select TF, ``Flex*``) operators of a ``.tflite`` model; empty for a builtin-only model."""
    return [name for builtin, name in _operator_codes(model_content) if not builtin]


def delegated_parts(interpreter) -> int:
    """How many parts of a LiteRT interpreter's graph a delegate (XNNPACK by default) runs, once its tensors are
    allocated: 1 where it runs every op; each op it cannot take splits the graph and runs in LiteRT's own kernels."""
    return sum(op["op_name"] == "DELEGATE" for op in interpreter._get_ops_details())


def tflite_filename(name: str, variant: str, fixed_size: int | None = None) -> str:
    """``<name>_<variant>.tflite``, or ``<name>_<variant>_fixed<N>.tflite`` for a fixed-size model."""
    return f"{name}_{variant}.tflite" if fixed_size is None else f"{name}_{variant}_fixed{fixed_size}.tflite"


def input_shape_signature(model_content: bytes) -> list[int]:
    """The ``images`` input shape of the ``translate_float`` signature; -1 marks a dynamic dimension."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model_content)
    details = interpreter.get_signature_runner(FLOAT_SIGNATURE).get_input_details()["images"]
    return [int(d) for d in details["shape_signature"]]


def representative_dataset(images: Iterable[np.ndarray]) -> Callable[[], Iterator[tuple[str, dict]]]:
    """Calibration samples for full-integer quantization, one per image and signature.

    Args:
        images: uint8 (H, W, 3) images from the domain the generator translates (real photos).
    """
    images = [np.asarray(image) for image in images]
    if not images:
        raise ValueError("full-integer quantization needs at least one representative image")

    def generator():
        for image in images:
            batch = image[np.newaxis]
            yield UINT8_SIGNATURE, {"images": tf.constant(batch, tf.uint8)}
            yield FLOAT_SIGNATURE, {"images": tf.constant(batch.astype(np.float32) / 127.5 - 1.0)}

    return generator


def convert_variant(
    savedmodel_dir: str | os.PathLike, variant: str, representative: Iterable[np.ndarray] | None = None
) -> bytes:
    """Convert the ``serving_default`` and ``translate_float`` signatures to one ``.tflite`` flatbuffer."""
    check_variants([variant], TFLITE_VARIANTS, "TFLite")
    if variant == "int8" and representative is None:
        raise ValueError("the int8 TFLite variant needs representative images (--representative-data)")
    converter = tf.lite.TFLiteConverter.from_saved_model(
        os.fspath(savedmodel_dir), signature_keys=list(TFLITE_SIGNATURES)
    )
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    precision = variant.removesuffix("_winograd")  # the Winograd variants differ in their source only
    if precision != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if precision == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if variant == "int8" and representative is not None:  # (int8 without it was refused above)
        converter.representative_dataset = representative_dataset(representative)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    content = converter.convert()
    flex = non_builtin_ops(content)
    if flex:
        raise RuntimeError(f"TFLite {variant} model needs non-builtin ops {flex}; it would not run on stock LiteRT")
    return content


def source_conv_algorithm(savedmodel_dir: str | os.PathLike) -> str:
    """How a SavedModel's ResNet blocks were traced: ``"direct"``, or ``"winograd"`` (recorded in its metadata)."""
    return (read_metadata(savedmodel_dir) or {}).get("conv_algorithm", "direct")


def export_tflite(
    savedmodel_dir: str | os.PathLike,
    output: str | os.PathLike,
    variants: Iterable[str] = DEFAULT_TFLITE_VARIANTS,
    representative: Iterable[np.ndarray] | None = None,
    overwrite: bool = False,
    fixed_size: int | None = None,
) -> dict[str, dict]:
    """Write ``output/tflite/<name>_<variant>.tflite`` (see :func:`tflite_filename`) for each requested variant.

    Prefer :func:`export_tflite_model`, which writes the SavedModel for the converter first: a SavedModel
    written for serving has MirrorPad ops, which XNNPACK cannot delegate (a warning says so).

    Args:
        savedmodel_dir: a SavedModel written by :func:`attentiongan_tf.export.export_savedmodel`.
        output: export root.
        variants: any of :data:`TFLITE_VARIANTS` whose source is ``savedmodel_dir``: the
            :data:`WINOGRAD_TFLITE_VARIANTS` from a SavedModel written with ``conv_algorithm="winograd"``, every
            other variant from a direct one.
        representative: uint8 (H, W, 3) real images, required for ``int8``.
        overwrite: replace existing files.
        fixed_size: N when ``savedmodel_dir`` was written with ``fixed_size=N``: the files are named
            ``..._fixed<N>.tflite`` and their input is checked to be [1, N, N, 3].

    Returns:
        dict mapping each variant to ``{"path": str, "size_bytes": int, "ops": [str], "input_shape": [int],
        "fixed_size": int | None}`` (``input_shape``: -1 for a dynamic dimension).

    Example:
        >>> export_tflite("/tmp/out/savedmodel/attentiongan/1", "/tmp/out", ["float32"])  # doctest: +SKIP
    """
    variants = check_variants(variants, TFLITE_VARIANTS, "TFLite")
    algorithm = source_conv_algorithm(savedmodel_dir)
    mismatched = [v for v in variants if VARIANT_CONV_ALGORITHM[v] != algorithm]
    if mismatched:
        raise ValueError(
            f"{savedmodel_dir} was traced with {algorithm} convolutions, which TFLite variant(s) {mismatched} do not "
            "use; convert the generator with export_tflite_model, which writes each variant's source itself"
        )
    name = Path(savedmodel_dir).parent.name or "attentiongan"
    folder = Path(output) / "tflite"
    paths = {v: folder / tflite_filename(name, v, fixed_size) for v in variants}
    for path in paths.values():
        prepare_output(path, overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    for variant, path in paths.items():
        content = convert_variant(savedmodel_dir, variant, representative if variant == "int8" else None)
        shape = input_shape_signature(content)
        if fixed_size is not None and shape != [1, fixed_size, fixed_size, 3]:
            raise RuntimeError(f"TFLite {variant} model takes {shape}, not [1, {fixed_size}, {fixed_size}, 3]")
        path.write_bytes(content)
        ops = sorted(set(operator_names(content)))
        results[variant] = {
            "path": str(path), "size_bytes": len(content), "ops": ops, "input_shape": shape, "fixed_size": fixed_size
        }
    if any("MIRROR_PAD" in result["ops"] for result in results.values()):
        logger.warning(
            "%s has MirrorPad ops: the TFLite files work, but XNNPACK cannot delegate MIRROR_PAD and float32 runs "
            "about 2x slower; convert the generator with export_tflite_model (what export.py does) instead",
            savedmodel_dir,
        )
    return results


def export_tflite_model(
    model: keras.Model,
    output: str | os.PathLike,
    variants: Iterable[str] = DEFAULT_TFLITE_VARIANTS,
    representative: Iterable[np.ndarray] | None = None,
    overwrite: bool = False,
    fixed_size: int | None = None,
    name: str = "attentiongan",
) -> dict[str, dict]:
    """Convert a generator to TFLite the way ``export.py`` does: from a SavedModel of its own, written for
    the converter (reflection pads as slices, since XNNPACK has no MirrorPad and each one splits the delegated
    graph; the fixed [1, N, N, 3] input with ``fixed_size``) in a temporary folder; a second one, traced with
    Winograd convolutions, for ``float32_winograd`` and ``float16_winograd``.

    Args:
        model: the generator (either family).
        output, variants, representative, overwrite, fixed_size: as in :func:`export_tflite`.
        name: the file name stem (``<name>_<variant>.tflite``).

    Returns:
        as :func:`export_tflite`.

    Example:
        >>> export_tflite_model(generator, "/tmp/out", ["dynamic_range"], fixed_size=256)  # doctest: +SKIP
    """
    variants = check_variants(variants, TFLITE_VARIANTS, "TFLite")
    folder = Path(output) / "tflite"
    for variant in variants:  # before any conversion, so that a refused run writes nothing
        prepare_output(folder / tflite_filename(name, variant, fixed_size), overwrite)
    results: dict[str, dict] = {}
    for algorithm in dict.fromkeys(VARIANT_CONV_ALGORITHM[v] for v in variants):
        group = [v for v in variants if VARIANT_CONV_ALGORITHM[v] == algorithm]
        with tempfile.TemporaryDirectory(prefix="attentiongan_tflite_") as scratch:
            source = export_savedmodel(
                model, scratch, name, fixed_size=fixed_size, reflection="slices", conv_algorithm=algorithm
            )["path"]
            results.update(export_tflite(source, output, group, representative, overwrite, fixed_size))
    return {v: results[v] for v in variants}
