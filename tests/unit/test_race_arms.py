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
