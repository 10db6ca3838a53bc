"""Write an evaluation report as JSON (machine-readable) and Markdown (for humans), never overwriting files."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

SUMMARY_ROWS = [
    ("fid", "FID ↓", "{:.2f}"),
    ("kid_x100", "KID ×100 ↓", "{:.3f}"),
    ("psnr_input_output", "PSNR input→output (dB)", "{:.2f}"),
    ("ssim_input_output", "SSIM input→output", "{:.4f}"),
    ("background_l1", "Background L1 (outside mask) ↓", "{:.4f}"),
    ("background_psnr", "Background PSNR (dB) ↑", "{:.2f}"),
    ("foreground_change", "Foreground change (L1 inside mask) ↑", "{:.4f}"),
    ("attention_iou", "Attention IoU (1 − background mask ≥ 0.5 vs mask) ↑", "{:.4f}"),
]


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite_or_none(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite_or_none(item) for item in value]
    return value


def _format_row(key: str, summary: dict, fmt: str) -> str | None:
    if key == "kid_x100":
        kid = summary.get("kid")
        if kid is None:
            return None
        spread = "(one subset: no std)" if kid.get("std_x100") is None else f"± {fmt.format(kid['std_x100'])}"
        return f"{fmt.format(kid['mean_x100'])} {spread}"
    value = summary.get(key)
    if value is None:
        return None
    return "∞" if isinstance(value, float) and math.isinf(value) else fmt.format(value)


def report_markdown(report: dict) -> str:
    """A Markdown summary table plus the settings that produced it."""
    summary = report["summary"]
    lines = [f"# Evaluation: {report.get('title', 'AttentionGAN')}", "", "| metric | value |", "|---|---|"]
    for key, label, fmt in SUMMARY_ROWS:
        cell = _format_row(key, summary, fmt)
        if cell is not None:
            lines.append(f"| {label} | {cell} |")
    lines += ["", "## Settings", ""]
    lines += [f"- {key}: `{value}`" for key, value in report["settings"].items()]
    kid = summary.get("kid")
    if kid is not None and kid.get("std_x100") is None:
        lines.append(f"- KID: one subset of {kid['subset_size']} images (every image of both sets), no std")
    elif kid is not None:
        lines.append(f"- KID: mean ± std over {kid['num_subsets']} subsets of {kid['subset_size']} images")
    lines += [
        "- FID/KID features: FID Inception-v3 (2015-12-05 TF graph) pool_3, TF1 bilinear resize to 299.",
        "- Mask metrics use [0, 1] pixel values; per-image PSNR is capped at 100 dB when averaging.",
        "",
    ]
    if report.get("notes"):
        lines += ["## Notes", "", *[f"- {note}" for note in report["notes"]], ""]
    return "\n".join(lines)


def write_report(report: dict, output_dir: str | os.PathLike, overwrite: bool = False) -> dict[str, Path]:
    """Write ``report.json`` and ``report.md`` into ``output_dir``; returns their paths.

    Raises:
        FileExistsError: a report is already there and ``overwrite`` is False.
    """
    output_dir = Path(output_dir)
    paths = {"json": output_dir / "report.json", "markdown": output_dir / "report.md"}
    existing = [str(path) for path in paths.values() if path.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{', '.join(existing)} already exist; choose another --output or pass --overwrite")
    output_dir.mkdir(parents=True, exist_ok=True)
    paths["json"].write_text(json.dumps(_finite_or_none(report), indent=2, allow_nan=False) + "\n")
    paths["markdown"].write_text(report_markdown(report))
    return paths
