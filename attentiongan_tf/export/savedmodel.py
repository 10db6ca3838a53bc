"""SavedModel export in TF Serving layout (``OUT/savedmodel/<name>/<version>/``) with ``keras.export.ExportArchive``.

``ExportArchive`` is required: a plain ``tf.saved_model.save`` of Keras 3
variables produces a SavedModel that the C++ loader (TF Serving,
``saved_model_cli run``) cannot restore.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

import keras

from attentiongan_tf import __version__
from attentiongan_tf.export.deploy_graph import deploy_graph
from attentiongan_tf.export.serving import FLOAT_SIGNATURE, LABELS_INPUT, Endpoint, label_input_of, make_endpoints

METADATA_FILE = "attentiongan_export.json"
PRODUCER = "attentiongan_tf"


def export_marker(endpoints: dict[str, Endpoint]) -> dict:
    """The ``producer`` entry of the metadata: who wrote the SavedModel, which kind and which signatures.

    It tells a project SavedModel from someone else's (``inference.savedmodel_checks.savedmodel_provenance``);
    it is NOT a signature: anyone can copy it, so it never makes an untrusted SavedModel safe to load.
    """
    float_endpoint = endpoints.get(FLOAT_SIGNATURE)
    float_inputs = [spec.name for spec in float_endpoint.input_signature] if float_endpoint else []
    return {
        "package": PRODUCER,
        "version": __version__,
        "kind": "multidomain" if LABELS_INPUT in float_inputs else "two_domain",
        "signatures": list(endpoints),
    }


def model_metadata(model: keras.Model) -> dict:
    """What a runtime needs to know about an exported generator (mask and content counts, config)."""
    config = model.get_config()
    return {
        "class_name": type(model).__name__,
        "n_masks": int(model.n_masks),
        "n_content": int(getattr(model, "n_content", 1)),
        "config": {k: v for k, v in config.items() if isinstance(v, (int, float, str, bool))},
    }


def prepare_output(path: Path, overwrite: bool) -> None:
    """Refuse to replace an existing artifact unless ``overwrite`` is set; then clear it."""
    if not path.exists():
        return
    if not overwrite:
        raise FileExistsError(f"{path} already exists; pass --overwrite (overwrite=True) to replace it")
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def check_variants(variants: Iterable[str], allowed: tuple[str, ...], kind: str) -> list[str]:
    """The requested ``variants`` as a list; ``ValueError`` naming any that ``kind`` (TFLite, TF.js) lacks."""
    variants = list(variants)
    unknown = [v for v in variants if v not in allowed]
    if unknown:
        raise ValueError(f"unknown {kind} variant(s) {unknown}; choose from {', '.join(allowed)}")
    return variants


def export_savedmodel(
    model: keras.Model,
    output: str | os.PathLike,
    name: str = "attentiongan",
    version: int = 1,
    overwrite: bool = False,
    domains: Sequence[str] | None = None,
    fixed_size: int | None = None,
    reflection: str = "pad",
    normalization: str = "reduce",
    conv_algorithm: str = "direct",
) -> dict:
    """Write ``model`` as a TF Serving SavedModel with the endpoints of :func:`make_endpoints`.

    Both families go through here: a multi-domain generator (it has ``n_domains``) gets endpoints that also
    take ``labels`` (B, n_domains), and its domain names are stored in the metadata.

    Args:
        model: a built AttentionGAN generator (returns a dict with ``image``, ``attention``, ``content``).
        output: export root; the SavedModel goes to ``output/savedmodel/<name>/<version>``.
        name: TF Serving model name.
        version: TF Serving version number (a positive integer).
        overwrite: replace an existing export of the same name and version.
        domains: multi-domain only: names of the label columns, stored in
            ``assets.extra/attentiongan_export.json`` (default ``model.domain_names``, else ``domain_0 ...``).
        fixed_size: N for endpoints that take exactly one N × N image (no ``translate_encoded``; recorded as
            ``fixed_size`` in the metadata): the source of fixed-size TFLite models. Default: any size.
        reflection: ``"pad"`` (MirrorPad ops) or ``"slices"`` (edge slices and concatenations, the same numbers):
            the source of the TFLite models, since XNNPACK has no MirrorPad and each one splits its graph.
        normalization: ``"reduce"`` (``Mean`` ops), ``"pool"`` (average pools over the whole H × W, the same
            numbers; needs ``fixed_size``) or ``"matmul"`` (the image transposed times a column of 1/(H·W),
            within float32 rounding): the source of the fixed-size and any-size TF.js models, since TF.js wasm
            transposes the tensor for every ``Mean`` over H and W.
        conv_algorithm: ``"direct"`` or ``"winograd"`` (the ResNet blocks' weights frozen into the graph as
            Winograd-transformed constants, recorded as ``conv_algorithm`` in the metadata; at any size its
            endpoints take one image and pad it to a multiple of 16: ``make_endpoints(winograd=True)``): the
            source of the ``float32_winograd`` TFLite model.

    Returns:
        dict with ``path`` (the version directory), ``size_bytes`` and ``signatures`` (and ``domains`` for a
        multi-domain generator); ``export.py`` writes it to ``export_summary.json``.

    Example:
        >>> from attentiongan_tf import build_generator
        >>> export_savedmodel(build_generator(ngf=4, n_blocks=1), "/tmp/out")["path"]  # doctest: +SKIP
        '/tmp/out/savedmodel/attentiongan/1'
    """
    label = label_input_of(model)
    metadata = model_metadata(model)
    if label is None and domains is not None:
        raise ValueError(f"domain names only apply to multi-domain generators, not to a {type(model).__name__}")
    if label is not None:
        domains = list(domains or getattr(model, "domain_names", None) or [f"domain_{i}" for i in range(label.size)])
        if len(domains) != label.size:
            raise ValueError(f"{len(domains)} domain names given for a generator with {label.size} label entries")
        metadata = {**metadata, "domains": domains, "label_input": LABELS_INPUT}
    if normalization == "pool" and fixed_size is None:
        raise ValueError("normalization='pool' needs fixed_size (average pools take a static window)")
    endpoints = make_endpoints(model, label, fixed_size, winograd=conv_algorithm == "winograd")
    if fixed_size is not None:
        metadata = {**metadata, "fixed_size": fixed_size}
    if conv_algorithm != "direct":
        metadata = {**metadata, "conv_algorithm": conv_algorithm}
    written = write_savedmodel(
        model, endpoints, output, name, version, overwrite, metadata, reflection, normalization, conv_algorithm
    )
    return written if label is None else {**written, "domains": domains}


def write_savedmodel(
    model: keras.Model,
    endpoints: dict[str, Endpoint],
    output: str | os.PathLike,
    name: str,
    version: int,
    overwrite: bool,
    metadata: dict,
    reflection: str = "pad",
    normalization: str = "reduce",
    conv_algorithm: str = "direct",
) -> dict:
    """Write ``endpoints`` ({name: :class:`Endpoint`}) of ``model`` with ExportArchive in TF Serving layout.

    ``metadata`` goes to ``assets.extra/`` (ignored by TF Serving, read by :func:`read_metadata`) with the
    :func:`export_marker` added as ``producer``; ``reflection``, ``normalization`` and ``conv_algorithm`` are
    how reflection pads, instance norms and the ResNet blocks' convolutions are traced (see
    :func:`attentiongan_tf.export.deploy_graph.deploy_graph`). Returns ``{"path", "size_bytes", "signatures"}``.
    """
    if not isinstance(version, int) or version < 1:
        raise ValueError(f"version must be a positive integer, got {version!r}")
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"invalid model name {name!r}")
    path = Path(output) / "savedmodel" / name / str(version)
    prepare_output(path, overwrite)
    archive = keras.export.ExportArchive()
    archive.track(model)
    # The same numbers in ops that TFLite (XNNPACK) and TF.js (wasm) run fast; both convert from a SavedModel.
    with deploy_graph(model, reflection, normalization, conv_algorithm):
        for endpoint, spec in endpoints.items():
            archive.add_endpoint(name=endpoint, fn=spec.fn, input_signature=spec.input_signature)
        archive.write_out(str(path), verbose=False)
    (path / "assets.extra").mkdir(exist_ok=True)
    metadata = {**metadata, "producer": export_marker(endpoints)}
    (path / "assets.extra" / METADATA_FILE).write_text(json.dumps(metadata, indent=2))
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return {"path": str(path), "size_bytes": size, "signatures": list(endpoints)}


def read_metadata(savedmodel_dir: str | os.PathLike) -> dict | None:
    """The metadata written next to an exported SavedModel, or ``None`` when absent."""
    file = Path(savedmodel_dir) / "assets.extra" / METADATA_FILE
    return json.loads(file.read_text()) if file.is_file() else None
