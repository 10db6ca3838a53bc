"""Scoring and reporting of the same-budget race (``benchmarks/quality.py``): one code path for every arm."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from race_arms import DATAROOT, STUDIES, Arm, Budget
from results import save_data, update_section

BENCHMARKS = Path(__file__).resolve().parent


def plot_path(study: str) -> Path:
    """The trajectory plot of a study, next to RESULTS.md (the race's keeps its first name)."""
    return BENCHMARKS / ("quality_trajectory.png" if study == "race" else f"quality_{study}_trajectory.png")


@dataclass
class ArmScore:
    """One arm and seed, as scored on testA (``None`` where a metric does not apply or the arm did not run)."""

    arm: str
    label: str
    seed: int
    status: str = "ok"
    kid_x100: float | None = None
    kid_std_x100: float | None = None
    fid: float | None = None
    background_l1: float | None = None
    background_psnr: float | None = None
    foreground_change: float | None = None
    attention_iou: float | None = None
    target_score: float | None = None
    final_background: float | None = None
    train_seconds: float | None = None
    trajectory: list | None = None


def _features(work_dir: Path, name: str, images_fn, weights: str | None) -> np.ndarray:
    """Inception features cached in ``work_dir/features_<name>.npy``."""
    from attentiongan_tf.metrics.inception import build_fid_inception, inception_features

    path = work_dir / f"features_{name}.npy"
    if not path.exists():
        np.save(path, inception_features(build_fid_inception(weights), images_fn()))
    return np.load(path)


def _domain_images(folder: str, size: int):
    from attentiongan_tf.data.images import list_images, read_image_rgb
    from attentiongan_tf.metrics.evaluation import resize_square

    return lambda: [resize_square(read_image_rgb(p), size) for p in list_images(DATAROOT / folder)]


def reference_features(work_dir: Path, budget: Budget, weights: str | None) -> dict[str, np.ndarray]:
    """Features of real trainA, trainB (the probe's training set) and testB, resized like the inputs."""
    return {d: _features(work_dir, f"{d}_{budget.size}", _domain_images(d, budget.size), weights)
            for d in ("trainA", "trainB", "testB")}  # fmt: skip


def score_arm(arm: Arm, seed: int, work_dir: Path, budget: Budget, weights: str | None) -> ArmScore:
    """Score one arm's translations (or, for the identity arm, the inputs themselves); cached as JSON."""
    from attentiongan_tf.metrics import fid_from_features, kernel_inception_distance, mask_metrics
    from attentiongan_tf.metrics.evaluation import read_object_mask
    from attentiongan_tf.metrics.inception import build_fid_inception, inception_features
    from attentiongan_tf.metrics.target_probe import fit_domain_probe

    cache = work_dir / "arms" / f"{arm.name}_s{seed}.score.json"
    if cache.exists():
        return ArmScore(**json.loads(cache.read_text()))
    test = np.load(work_dir / "test_inputs.npz")
    sources, names = test["images"], [str(n) for n in test["names"]]
    score = ArmScore(arm=arm.name, label=arm.label, seed=seed)
    if arm.kind == "identity":
        fakes, backgrounds = sources, None
    else:
        path = work_dir / "arms" / f"{arm.name}_s{seed}.npz"
        if not path.exists():
            score.status = "not run"
            return score
        result = np.load(path)
        fakes, backgrounds = result["images"], result["background"]
        score.train_seconds = float(result["seconds"])
        score.trajectory = result["trajectory"].tolist()
        if arm.model_has_attention:
            score.final_background = float(backgrounds.mean())
        else:
            backgrounds = None
    reference = reference_features(work_dir, budget, weights)
    fake_features = inception_features(build_fid_inception(weights), list(fakes))
    kid = kernel_inception_distance(fake_features, reference["testB"], num_subsets=100, subset_size=1000)
    score.kid_x100, score.kid_std_x100 = kid["mean_x100"], kid["std_x100"]
    score.fid = fid_from_features(fake_features, reference["testB"])
    probe = fit_domain_probe(reference["trainA"], reference["trainB"])
    score.target_score = probe.share_classified_as_b(fake_features)
    per_image = []
    for index, name in enumerate(names):
        mask = read_object_mask(DATAROOT / "testA_masks" / f"{name}.png", sources[index].shape[:2])
        foreground = None if backgrounds is None else 1.0 - backgrounds[index]
        per_image.append(mask_metrics(sources[index], fakes[index], mask, foreground))
    for key in ("background_l1", "background_psnr", "foreground_change", "attention_iou"):
        values = np.minimum([m[key] for m in per_image if key in m and not np.isnan(m[key])], 100.0)
        setattr(score, key, float(np.mean(values)) if len(values) else None)
    cache.write_text(json.dumps(asdict(score)))
    return score


def probe_sanity(work_dir: Path, budget: Budget, weights: str | None) -> dict[str, float]:
    """How the probe scores REAL testA (false positives) and testB (true positives) images."""
    from attentiongan_tf.metrics.target_probe import fit_domain_probe

    reference = reference_features(work_dir, budget, weights)
    probe = fit_domain_probe(reference["trainA"], reference["trainB"])
    test_a = _features(work_dir, f"testA_{budget.size}", _domain_images("testA", budget.size), weights)
    return {"testA": probe.share_classified_as_b(test_a), "testB": probe.share_classified_as_b(reference["testB"])}


def _cell(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def plot_trajectories(rows: list[ArmScore], budget: Budget, path: Path) -> bool:
    """Mean background weight against the step, one line per arm and seed; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axes = plt.subplots(figsize=(7, 4), dpi=110)
    for row in rows:
        if row.trajectory and row.final_background is not None:
            steps, values = zip(*row.trajectory, strict=True)
            axes.plot(steps, values, label=f"{row.label} (seed {row.seed})", linewidth=1.4)
    axes.set(xlabel="iteration", ylabel="mean background weight of G_A", ylim=(0, 1),
             title=f"Attention collapse: horse2zebra {budget.size}², batch 1, ngf {budget.ngf}")  # fmt: skip
    axes.axhline(0.824, color="gray", linestyle=":", linewidth=1)
    axes.text(budget.steps * 0.02, 0.84, "share of background pixels in the testA masks", fontsize=7, color="gray")
    axes.legend(fontsize=6, loc="best")
    figure.tight_layout()
    figure.savefig(path)
    return True


def write_results(
    rows: list[ArmScore], budget: Budget, machine: str, work_dir: Path, weights: str | None, study: str = "race"
) -> None:
    table = STUDIES[study]
    sanity = probe_sanity(work_dir, budget, weights)
    lines = [
        f"## {table.title}: horse2zebra {budget.size}², {budget.steps} iterations per arm",
        "",
        f"Machine: {machine}. Written by `benchmarks/quality.py`. Budget, the same for every arm: "
        f"{budget.describe()}; each seed is also the data seed, and the official worker reads exactly the crops "
        "our pipeline feeds our arm of that seed. Scored on the 120 testA images (resized like the inputs) "
        "against the 140 testB images at the same size.",
        "",
        "| arm | seed | target-domain score ↑ | attention IoU ↑ | background PSNR ↑ | background L1 ↓ "
        "| foreground change | final background weight | KID ×100 ↓ | FID ↓ | train (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r.status != "ok":
            lines.append(f"| {r.label} | {r.seed} | {r.status} | | | | | | | | |")
            continue
        kid = f"{r.kid_x100:.2f} ± {r.kid_std_x100:.2f}"
        lines.append(
            f"| {r.label} | {r.seed} | {_cell(r.target_score, 3)} | {_cell(r.attention_iou, 3)} "
            f"| {_cell(r.background_psnr, 2)} | {_cell(r.background_l1, 4)} | {_cell(r.foreground_change, 4)} "
            f"| {_cell(r.final_background, 3)} | {kid} | {_cell(r.fid, 1)} | {_cell(r.train_seconds, 0)} |"
        )
    plot = plot_path(study)
    plotted = plot_trajectories(rows, budget, plot)
    lines += ["", table.note] if table.note else []
    lines += [
        "",
        f"Target-domain score: share of translations that a logistic-regression probe on FID-Inception features "
        f"(fitted on real trainA vs trainB at {budget.size}²) classifies as zebra. On real images it classifies "
        f"{sanity['testA']:.3f} of testA and {sanity['testB']:.3f} of testB as zebra: an untranslated input "
        "scores near the first number, a convincing translation near the second. Attention IoU thresholds the "
        "foreground attention (1 − background mask) at 0.5 against the object masks; calling every pixel "
        "foreground scores 0.176. Background PSNR is capped at 100 dB (the untranslated inputs).",
        "",
        f"![mean background weight against the step]({plot.name})" if plotted
        else "(trajectory plot not written: `pip install matplotlib`)",
    ]
    update_section(table.section, "\n".join(lines))
    save_data(table.section, {"machine": machine, "budget": asdict(budget), "probe_on_real": sanity,
                        "rows": [asdict(r) for r in rows]})  # fmt: skip
