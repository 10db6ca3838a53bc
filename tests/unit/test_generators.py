"""Tiny-shape tests of the generators: shapes, mask sums, ranges, fusion, serialisation, batch independence."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf import AttentionGANGenerator, SchemeIGenerator, build_generator
from attentiongan_tf.models.fusion import attention_fusion, fuse_with_scaled_attention_gradient

TINY = {"ngf": 4, "n_blocks": 1}


def _images(batch=2, height=16, width=24, seed=0):
    return tf.random.stateless_uniform([batch, height, width, 3], seed=[seed, 1], minval=-1, maxval=1)


@pytest.mark.parametrize("variant, masks, contents", [("scheme2", 10, 9), ("geo", 10, 10), ("scheme1", 2, 1)])
def test_output_dict_shapes_ranges_and_mask_sums(variant, masks, contents):
    model = build_generator(variant, **TINY)
    out = model(_images())
    assert set(out) == {"image", "attention", "content"}
    assert out["image"].shape == (2, 16, 24, 3)
    assert out["attention"].shape == (2, 16, 24, masks)
    assert out["content"].shape == (2, 16, 24, contents, 3)
    np.testing.assert_allclose(tf.reduce_sum(out["attention"], -1).numpy(), 1.0, atol=1e-5)
    assert float(tf.reduce_min(out["attention"])) >= 0.0
    for key in ("image", "content"):
        assert float(tf.reduce_max(tf.abs(out[key]))) <= 1.0


@pytest.mark.parametrize("variant", ["scheme2", "geo"])
def test_fusion_follows_the_paper_equation(variant):
    model = build_generator(variant, n_masks=4, **TINY)
    x = _images()
    out = model(x)
    attention, content = out["attention"].numpy(), out["content"].numpy()
    background = content[..., -1, :] if variant == "geo" else x.numpy()
    expected = background * attention[..., -1:]
    for i in range(3):
        expected += content[..., i, :] * attention[..., i : i + 1]
    np.testing.assert_allclose(out["image"].numpy(), expected, atol=1e-6)


def test_scheme1_fusion_and_background_mask_last():
    model = build_generator("scheme1", **TINY)
    x = _images()
    out = model(x)
    mask = out["attention"][..., :1].numpy()
    expected = out["content"][..., 0, :].numpy() * mask + x.numpy() * (1 - mask)
    np.testing.assert_allclose(out["image"].numpy(), expected, atol=1e-6)


def test_background_only_attention_returns_the_input():
    model = build_generator("scheme2", **TINY)
    head = model.attention_head.conv_out
    kernel, bias = head.get_weights()
    bias[:] = -50.0
    bias[-1] = 50.0
    head.set_weights([np.zeros_like(kernel), bias])
    x = _images()
    np.testing.assert_allclose(model(x)["image"].numpy(), x.numpy(), atol=1e-6)


@pytest.mark.parametrize("variant", ["scheme2", "geo", "scheme1", "cyclegan"])
def test_training_graph_computes_the_same_outputs(variant):
    # training=True switches instance norm to the fused kernel; the numbers must not change.
    model = build_generator(variant, **TINY)
    x = _images(batch=2)
    for name, value in model(x, training=True).items():
        np.testing.assert_allclose(value.numpy(), model(x)[name].numpy(), atol=2e-6, err_msg=name)


def test_batch_independence():
    model = build_generator("scheme2", **TINY)
    x = _images(batch=3)
    together = model(x)["image"].numpy()
    alone = np.concatenate([model(x[i : i + 1])["image"].numpy() for i in range(3)])
    np.testing.assert_allclose(together, alone, atol=1e-5)


@pytest.mark.parametrize("shape", [(1, 18, 16, 3), (1, 16, 30, 3)])
def test_sizes_not_divisible_by_four_are_refused(shape):
    with pytest.raises(ValueError, match="not divisible by 4"):
        build_generator("scheme2", **TINY)(tf.zeros(shape))


def test_any_size_divisible_by_four_in_a_dynamic_graph():
    model = build_generator("scheme2", **TINY)
    fn = tf.function(model, input_signature=[tf.TensorSpec([None, None, None, 3])])
    assert fn(tf.zeros([1, 20, 44, 3]))["image"].shape == (1, 20, 44, 3)


@pytest.mark.parametrize("variant", ["scheme2", "geo", "scheme1", "cyclegan"])
def test_keras_file_round_trip(tmp_path, variant):
    model = build_generator(variant, **TINY)
    path = tmp_path / "g.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.get_config() == model.get_config()
    x = _images()
    np.testing.assert_array_equal(loaded(x)["image"].numpy(), model(x)["image"].numpy())


def test_config_holds_every_constructor_argument():
    model = AttentionGANGenerator(ngf=4, n_blocks=2, n_masks=5, variant="geo", init_std=0.1, name="g")
    config = model.get_config()
    assert {k: config[k] for k in ("ngf", "n_blocks", "n_masks", "variant", "init_std", "name")} == {
        "ngf": 4,
        "n_blocks": 2,
        "n_masks": 5,
        "variant": "geo",
        "init_std": 0.1,
        "name": "g",
    }
    assert SchemeIGenerator.from_config(SchemeIGenerator(ngf=4, n_blocks=1).get_config()).ngf == 4


def test_invalid_arguments_are_refused():
    with pytest.raises(ValueError, match="variant"):
        AttentionGANGenerator(variant="scheme3")
    with pytest.raises(ValueError, match="n_masks"):
        AttentionGANGenerator(n_masks=1)


def test_mixed_precision_keeps_masks_and_outputs_in_float32():
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = build_generator("scheme2", **TINY)
    assert model.encoder.conv_in.compute_dtype == "float16"
    assert model.encoder.norm_in.compute_dtype == "float32"
    out = model(_images())
    assert {v.dtype for v in out.values()} == {tf.float32}
    np.testing.assert_allclose(tf.reduce_sum(out["attention"], -1).numpy(), 1.0, atol=1e-5)


def test_official_parameter_counts():
    assert build_generator("scheme2").count_params() == 11_822_949
    assert build_generator("geo").count_params() == 11_832_360


def test_cyclegan_ablation_has_no_attention():
    model = build_generator("cyclegan", **TINY)
    x = _images()
    out = model(x)
    assert out["image"].shape == x.shape and out["content"].shape == (2, 16, 24, 1, 3)
    np.testing.assert_array_equal(out["attention"][..., 0].numpy(), 1.0)  # all foreground
    np.testing.assert_array_equal(out["attention"][..., -1].numpy(), 0.0)  # background mask last, zero
    np.testing.assert_array_equal(out["content"][..., 0, :].numpy(), out["image"].numpy())
    assert float(tf.reduce_max(tf.abs(out["image"]))) <= 1.0


@pytest.mark.parametrize("variant", ["scheme2", "geo", "scheme1"])
def test_frozen_attention_fusion_is_the_same_image(variant):
    g = build_generator(variant, ngf=4, n_blocks=1)
    x = tf.random.uniform([2, 16, 16, 3], -1, 1, seed=3)
    out = g(x, training=True)
    frozen = fuse_with_scaled_attention_gradient(out, x, 0.0, background_is_source=variant != "geo")
    np.testing.assert_allclose(frozen.numpy(), out["image"].numpy(), atol=1e-6)


@pytest.mark.parametrize("variant", ["scheme2", "geo"])
def test_frozen_attention_fusion_trains_the_content_only(variant):
    g = build_generator(variant, ngf=4, n_blocks=1)
    x = tf.random.uniform([2, 16, 16, 3], -1, 1, seed=3)
    heads = {"attention": g.attention_head.trainable_variables, "content": g.content_head.trainable_variables}
    with tf.GradientTape(persistent=True) as tape:
        out = g(x, training=True)
        image = fuse_with_scaled_attention_gradient(out, x, 0.0, background_is_source=variant != "geo")
        frozen = tf.reduce_sum(image**2)
        live = tf.reduce_sum(out["image"] ** 2)

    def size(grads):
        return sum(float(tf.reduce_sum(tf.abs(v))) for v in grads if v is not None)

    assert size(tape.gradient(frozen, heads["attention"])) == 0
    assert size(tape.gradient(live, heads["attention"])) > 0
    assert size(tape.gradient(frozen, heads["content"])) > 0


def test_scaled_attention_gradient_is_that_share_of_the_full_one():
    g = build_generator("scheme2", ngf=4, n_blocks=1)
    x = tf.random.uniform([1, 16, 16, 3], -1, 1, seed=5)
    target = tf.random.uniform([1, 16, 16, 3], -1, 1, seed=6)
    with tf.GradientTape(persistent=True) as tape:
        out = g(x, training=True)
        scaled = tf.reduce_mean(tf.abs(fuse_with_scaled_attention_gradient(out, x, 0.25) - target))
        full = tf.reduce_mean(tf.abs(out["image"] - target))
    for variables, share in ((g.attention_head.trainable_variables, 0.25), (g.content_head.trainable_variables, 1.0)):
        for a, b in zip(tape.gradient(scaled, variables), tape.gradient(full, variables), strict=True):
            np.testing.assert_allclose(a.numpy(), share * b.numpy(), rtol=1e-4, atol=1e-9)


@pytest.mark.parametrize("background", [True, False])
def test_conv_attention_fusion_is_the_split_fusion(background):
    content = tf.random.stateless_uniform([2, 8, 12, 27 if background else 30], seed=[1, 2], minval=-1, maxval=1)
    attention = tf.nn.softmax(tf.random.stateless_normal([2, 8, 12, 10], seed=[3, 4]))
    source = tf.random.stateless_uniform([2, 8, 12, 3], seed=[5, 6], minval=-1, maxval=1) if background else None
    split = attention_fusion(content, attention, source)
    fn = tf.function(lambda c, a, s: attention_fusion(c, a, s, implementation="conv"))
    conv = fn(content, attention, source)
    np.testing.assert_allclose(conv.numpy(), split.numpy(), atol=1e-6)
    ops = {op.type for op in fn.get_concrete_function(content, attention, source).graph.get_operations()}
    # TF.js wasm slices channels element by element (0.15 s at 256²); two 1×1 convs do the same sum.
    assert "SplitV" not in ops and "Split" not in ops and "Conv2D" in ops
    with pytest.raises(ValueError, match="implementation"):
        attention_fusion(content, attention, source, implementation="einsum")


@pytest.mark.parametrize("variant", ["scheme2", "geo"])
def test_deploy_fusion_switches_the_generator_and_restores_it(variant):
    from attentiongan_tf.models.fusion import deploy_fusion

    g = build_generator(variant, **TINY)
    x = _images()
    reference = g(x)["image"].numpy()
    with deploy_fusion(g) as switched:
        assert switched == 1 and g.fusion == "conv"
        np.testing.assert_allclose(g(x)["image"].numpy(), reference, atol=1e-6)
    assert g.fusion == "split"
