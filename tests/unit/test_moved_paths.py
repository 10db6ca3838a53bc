"""The flat 0.1 module paths still import (the same module object as the new path) and warn."""

import importlib
import sys

import pytest

from attentiongan_tf._moved import MOVED

PUBLIC_NAMES = {  # a name users reach through each old path, as README/docs showed it
    "config": "Config", "training_loop": "train", "checkpoints": "load_generator", "convert": "load_official_generator",
    "generators": "build_generator", "discriminators": "build_discriminator", "image_io": "read_image_rgb",
    "demo_data": "write_demo_dataset", "model_io": "load_generator_any", "grids": "labelled_grid",
    "evaluation": "evaluate_generator", "multidomain.inference": "DomainTranslator",
    "multidomain.training_loop": "train_multidomain", "trainer": "AttentionGANTrainer",
}  # fmt: skip


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_path_is_the_new_module_and_warns(old):
    old_name, new_name = f"attentiongan_tf.{old}", f"attentiongan_tf.{MOVED[old]}"
    sys.modules.pop(old_name, None)
    with pytest.warns(DeprecationWarning, match=rf"{old_name} moved to {new_name}"):
        module = importlib.import_module(old_name)
    assert module is importlib.import_module(new_name)
    if old in PUBLIC_NAMES:
        assert hasattr(module, PUBLIC_NAMES[old])


def test_from_import_of_an_old_path_works():
    sys.modules.pop("attentiongan_tf.config", None)
    with pytest.warns(DeprecationWarning):
        from attentiongan_tf.config import Config
    from attentiongan_tf.training.config import Config as NewConfig

    assert Config is NewConfig


def test_unknown_paths_still_fail():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("attentiongan_tf.no_such_module")


def test_inference_package_exposes_the_runner_api_of_the_old_module():
    import attentiongan_tf.inference as inference
    from attentiongan_tf.inference import runners, tfjs_node

    assert inference.open_runner is runners.open_runner and inference.TFJSNodeRunner is tfjs_node.TFJSNodeRunner
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        inference.nothing  # noqa: B018
