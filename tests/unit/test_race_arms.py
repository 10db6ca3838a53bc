"""The race's arms build valid configs that differ from their preset only by the declared budget."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from race_arms import ARMS, Budget, race_config  # noqa: E402


@pytest.mark.parametrize("arm", [a for a in ARMS if a.kind == "ours"], ids=lambda a: a.name)
def test_every_arm_gets_the_budget_and_keeps_its_objective(arm, tmp_path):
    from attentiongan_tf.training.config import preset

    budget = Budget(size=32, steps=7, ngf=8)
    config = race_config(arm, budget, seed=3, output_dir=tmp_path)
    assert (config.data.crop_size, config.data.load_size, config.data.batch_size) == (32, 36, 1)
    assert (config.train.steps, config.train.epochs, config.train.seed, config.model.ngf) == (7, None, 3, 8)
    reference = preset(arm.preset)
    for key, value in arm.overrides.items():
        section, name = key.split(".")
        setattr(getattr(reference, section), name, value)
    assert config.loss == reference.loss


def test_arms_have_unique_names():
    assert len({a.name for a in ARMS}) == len(ARMS)


def test_only_seeded_arms_run_every_seed():
    seeded = next(a for a in ARMS if a.seeded)
    single = next(a for a in ARMS if not a.seeded)
    assert seeded.seeds_to_run([0, 1]) == [0, 1] and single.seeds_to_run([0, 1]) == [0]


def test_precision_arms_keep_their_precision_and_convolutions(tmp_path):
    budget = Budget(size=32, steps=7, ngf=8)
    arms = [a for a in ARMS if "precision" in a.studies]
    trained = [race_config(a, budget, seed=0, output_dir=tmp_path).train for a in arms]
    assert {(t.mixed_precision, t.conv_algorithm) for t in trained} == {
        (False, "direct"), (False, "winograd"), ("bfloat16", "direct"), ("bfloat16", "winograd")
    }
    assert all(a.preset == "robust" and a.seeded for a in arms)


def test_every_arm_belongs_to_a_known_study():
    from race_arms import STUDIES

    assert all(a.studies and set(a.studies) <= set(STUDIES) for a in ARMS)
    assert all(any(study in a.studies for a in ARMS) for study in STUDIES)


@pytest.mark.parametrize("study", ["race", "precision"])
def test_each_study_writes_its_own_section_and_plot(monkeypatch, tmp_path, study):
    """The precision study never replaces the race's table or plot (nor the other way round)."""
    import race_score
    from race_arms import STUDIES

    written = {}
    monkeypatch.setattr(race_score, "probe_sanity", lambda *a: {"testA": 0.01, "testB": 0.9})
    monkeypatch.setattr(race_score, "plot_trajectories", lambda rows, budget, path: written.setdefault("plot", path))
    monkeypatch.setattr(race_score, "update_section", lambda name, text: written.update(section=name, text=text))
    monkeypatch.setattr(race_score, "save_data", lambda name, data: written.update(data=name))
    row = race_score.ArmScore(arm="a", label="an arm", seed=0, status="not run")
    race_score.write_results([row], Budget(), "a machine", tmp_path, None, study)
    assert written["section"] == written["data"] == STUDIES[study].section
    assert written["plot"].name in written["text"] and STUDIES[study].title in written["text"]
    assert race_score.plot_path("race") != race_score.plot_path("precision")
