"""Old module paths of the deployment code (before ``inference/``, ``data/grids``, ``metrics/evaluation``) still
work and warn where they moved."""

import importlib

import pytest


@pytest.mark.parametrize(
    ("old", "name", "new"),
    [
        ("attentiongan_tf.model_io", "load_generator_any", "attentiongan_tf.inference.loading"),
        ("attentiongan_tf.grids", "labelled_grid", "attentiongan_tf.data.grids"),
        ("attentiongan_tf.evaluation", "evaluate_generator", "attentiongan_tf.metrics.evaluation"),
        ("attentiongan_tf.multidomain.inference", "DomainTranslator", "attentiongan_tf.inference.domains"),
    ],
)
def test_old_module_paths_forward_with_a_deprecation_warning(old, name, new):
    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {new}"):
        value = getattr(module, name)
    assert value is getattr(importlib.import_module(new), name)


def test_inference_package_exposes_the_runner_api_of_the_old_module():
    import attentiongan_tf.inference as inference
    from attentiongan_tf.inference import runners, tfjs_node

    assert inference.open_runner is runners.open_runner and inference.TFJSNodeRunner is tfjs_node.TFJSNodeRunner
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        inference.nothing  # noqa: B018
