import keras
import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.training.tasks.shared_calls import shares_generator_calls
from attentiongan_tf.training.tasks.two_domain import AttentionGANTrainer

from .training_setup import tiny_config


def batch(seed=0, size=16, n=2):
    rng = np.random.default_rng(seed)
    return {d: tf.constant(rng.uniform(-1, 1, (n, size, size, 3)), tf.float32) for d in "AB"}


def weights(model):
    return [w.numpy().copy() for w in model.weights]


def test_step_updates_everything_and_reports_finite_losses():
    trainer = AttentionGANTrainer(tiny_config())
    before_g, before_d = weights(trainer.generator_ab), weights(trainer.discriminator_b)
    losses = trainer.train_step(batch()).values
    expected = {"generator_ab", "generator_ba", "cycle_a", "cycle_b", "identity_ab", "identity_ba",
                "discriminator_a", "discriminator_b", "generator_total", "discriminator_total", "learning_rate"}
    assert expected <= set(losses)
    assert all(np.isfinite(float(v)) for v in losses.values())
    assert int(trainer.step) == 1 and int(trainer.pool_a.count) == 2
    assert int(trainer.generator_optimizer.iterations) == 1
    assert any(not np.array_equal(a, b) for a, b in zip(before_g, weights(trainer.generator_ab), strict=True))
    assert any(not np.array_equal(a, b) for a, b in zip(before_d, weights(trainer.discriminator_b), strict=True))


def test_reported_losses_are_global_batch_means():
    config = tiny_config()
    trainer = AttentionGANTrainer(config)
    data = batch(1)
    terms = trainer.generator_losses(data["A"], data["B"], tf.constant(0, tf.int64)).terms
    losses = trainer.train_step(data).values
    for name in ("cycle_a", "identity_ba", "generator_ab"):
        assert float(losses[name]) == pytest.approx(float(tf.reduce_mean(terms[name])), rel=1e-5)
    total = sum(float(tf.reduce_mean(v)) for v in terms.values())
    assert float(losses["generator_total"]) == pytest.approx(total, rel=1e-5)


def test_scheme1_with_attention_discriminators():
    config = tiny_config("paper-scheme1")
    config.loss.curriculum_switch_step = 1
    trainer = AttentionGANTrainer(config)
    first = trainer.train_step(batch()).values
    second = trainer.train_step(batch(1)).values
    for key in ("attention_gan_ab", "attention_discriminator_b", "pixel_ab", "tv_ab"):
        assert np.isfinite(float(first[key]))
    assert "identity_ab" not in first
    # Curriculum r: 0.01 at step 0, 0.5 from step 1 (pixel loss weight jumps by 50x for similar L1).
    assert float(second["pixel_ab"]) > 10 * float(first["pixel_ab"])
    assert trainer.pool_b.images.shape[-1] == 4  # image + foreground attention


def test_mixed_precision_and_xla_step():
    trainer = AttentionGANTrainer(tiny_config(mixed_precision=True, xla=True))
    assert trainer.generator_ab.compute_dtype == "float16"
    losses = trainer.train_step(batch()).values
    assert all(np.isfinite(float(v)) for v in losses.values())
    assert trainer.translate(batch()["A"])["image"].dtype == tf.float32


def test_bfloat16_mixed_precision_step_without_loss_scaling():
    trainer = AttentionGANTrainer(tiny_config(mixed_precision="bfloat16"))
    assert trainer.generator_ab.compute_dtype == "bfloat16"
    assert trainer.generator_ab.encoder.norm_in.compute_dtype == "float32"
    assert not isinstance(trainer.generator_optimizer, keras.optimizers.LossScaleOptimizer)
    losses = trainer.train_step(batch()).values
    assert all(np.isfinite(float(v)) for v in losses.values())
    assert trainer.translate(batch()["A"])["image"].dtype == tf.float32


@pytest.mark.parametrize("variant", ["scheme2", "geo"])
def test_attention_gradient_shares_stop_the_reconstruction_losses_moving_the_masks(variant):
    """With ``cycle/identity_attention_gradient`` 0 the cycle and identity losses train the content only.

    Every gradient path of those losses through an attention mask is scaled by the share (a path through
    two masks, e.g. G_AB's mask via G_BA's, by its square), so 0 stops them all and the losses stay the same.
    """
    a = tf.random.uniform([2, 16, 16, 3], -1, 1, seed=1)
    b = tf.random.uniform([2, 16, 16, 3], -1, 1, seed=2)
    results = {}
    for share in (1.0, 0.25, 0.0):
        config = tiny_config()
        config.model.variant = variant
        config.loss.cycle_attention_gradient = config.loss.identity_attention_gradient = share
        trainer = AttentionGANTrainer(config)
        heads = {name: getattr(trainer.generator_ab, name).trainable_variables
                 for name in ("attention_head", "content_head")}  # fmt: skip
        with tf.GradientTape() as tape:
            terms = trainer.generator_losses(a, b, tf.constant(0, tf.int64)).terms
            kept = [tf.reduce_sum(v) for k, v in terms.items() if k.startswith(("cycle", "identity"))]
            reconstruction = tf.add_n(kept)
        gradients = tape.gradient(reconstruction, heads)
        size = {k: sum(float(tf.reduce_sum(tf.abs(g))) for g in v) for k, v in gradients.items()}
        results[share] = (float(reconstruction), size)
    np.testing.assert_allclose([results[s][0] for s in results], results[1.0][0], rtol=1e-6)
    attention = [results[s][1]["attention_head"] for s in (0.0, 0.25, 1.0)]
    assert attention[0] == 0 < attention[1] < attention[2]
    assert min(results[s][1]["content_head"] for s in results) > 0


def test_winograd_training_steps_match_the_direct_ones():
    # Same seed, same weights: two steps with either conv algorithm give the same losses, to float32 rounding of
    # the Winograd transforms. (Weights are not compared: Adam's first step moves each weight by ±lr whatever
    # the size of its gradient, so gradients of pure rounding noise, such as those of the biases before the
    # instance norms, may move either way.)
    losses = {}
    for algorithm in ("direct", "winograd"):
        trainer = AttentionGANTrainer(tiny_config(conv_algorithm=algorithm))
        blocks = trainer.generator_ab.encoder.blocks + trainer.generator_ba.encoder.blocks
        assert {block.conv_algorithm for block in blocks} == {algorithm}
        losses[algorithm] = [trainer.train_step(batch(step)).values for step in (3, 4)]
    for step, tolerance in enumerate((1e-4, 1e-3)):
        for name, value in losses["direct"][step].items():
            np.testing.assert_allclose(float(losses["winograd"][step][name]), float(value), rtol=tolerance,
                                       err_msg=f"step {step + 1}: {name}")  # fmt: skip


def _step_function_names(trainer, images):
    graph = trainer._train_step_fn.get_concrete_function(images).graph
    return [f.signature.name for f in graph.as_graph_def().library.function]


def test_without_xla_the_gradient_passes_are_traced_into_the_step():
    # Issue #15 (peak RSS): a nested tf.function is one more function for the runtime to instantiate and hold
    # (≈ 0.1 GiB at 128² batch 1); only XLA needs the gradient passes as functions of their own.
    images = {k: tf.zeros([2, 16, 16, 3]) for k in ("A", "B")}
    names = _step_function_names(AttentionGANTrainer(tiny_config()), images)
    assert not any("_gradients" in name for name in names), names
    compiled = _step_function_names(AttentionGANTrainer(tiny_config(xla=True)), images)
    assert any("_generator_gradients" in name for name in compiled), compiled
    assert any("_discriminator_gradients" in name for name in compiled), compiled


def test_bfloat16_step_casts_each_weight_once_per_gradient_pass():
    """A generator runs three times per step (translation, cycle, identity): its weights are cast once, the
    discriminators' once in each of the two passes that use them."""
    trainer = AttentionGANTrainer(tiny_config(mixed_precision="bfloat16"))
    graph = trainer._train_step_fn.get_concrete_function(batch()).graph
    casts = [op for op in graph.get_operations() if op.type == "Cast" and op.inputs[0].op.type == "ReadVariableOp"]
    casts = [op for op in casts if op.get_attr("DstT") == tf.bfloat16]
    assert len(casts) == len(trainer.generator_variables) + 2 * len(trainer.discriminator_variables)


class _CountingGenerator:
    """Delegates to a generator and records the batch size of each call."""

    def __init__(self, generator):
        self.generator, self.batch_sizes = generator, []

    def __call__(self, images, training=False):
        self.batch_sizes.append(int(images.shape[0]))
        return self.generator(images, training=training)


@pytest.mark.parametrize(
    ("conv_algorithm", "lambda_identity", "expected_calls"),
    [
        ("winograd", 0.5, {"ab": [4, 2], "ba": [6]}),
        ("winograd", 0.0, {"ab": [2, 2], "ba": [2, 2]}),
        ("direct", 0.5, {"ab": [2, 2, 2], "ba": [2, 2, 2]}),
    ],
)
def test_small_winograd_steps_share_generator_calls_with_the_same_losses(
    conv_algorithm, lambda_identity, expected_calls
):
    """Issue #15: in float32 with Winograd convolutions and small steps, a step runs three generator calls instead
    of six: ``G_AB`` on [real A, real B] (translation, identity), ``G_BA`` on [real B, real A, G_AB(real A)]
    (translation, identity, reconstruction), ``G_AB`` on G_BA(real B) (reconstruction). Instance norm is per
    image, so the numbers are those of separate calls (docs/performance_log.md). Without the identity loss there
    is nothing to share; the default direct convolutions keep the official code's six calls."""
    config = tiny_config(conv_algorithm=conv_algorithm)
    config.loss.lambda_identity = lambda_identity
    trainer = AttentionGANTrainer(config)
    data, step = batch(3), tf.constant(0, tf.int64)
    separate = {}
    for name, generator in (("ab", trainer.generator_ab), ("ba", trainer.generator_ba)):
        source = data["A"] if name == "ab" else data["B"]
        other = data["B"] if name == "ab" else data["A"]
        separate[name] = (generator(source, training=True), generator(other, training=True))
    counted = {"ab": _CountingGenerator(trainer.generator_ab), "ba": _CountingGenerator(trainer.generator_ba)}
    trainer.generator_ab, trainer.generator_ba = counted["ab"], counted["ba"]
    forward = trainer.generator_losses(data["A"], data["B"], step)
    assert {"ab": counted["ab"].batch_sizes, "ba": counted["ba"].batch_sizes} == expected_calls
    shared = trainer.shared_generator_calls
    trainer.shared_generator_calls = False
    unshared = trainer.generator_losses(data["A"], data["B"], step)
    trainer.shared_generator_calls = shared
    assert forward.terms.keys() == unshared.terms.keys()
    for name, value in forward.terms.items():
        np.testing.assert_allclose(value.numpy(), unshared.terms[name].numpy(), rtol=1e-5, err_msg=name)
    for name, out in (("ab", forward.out_ab), ("ba", forward.out_ba)):
        for key, value in separate[name][0].items():
            np.testing.assert_allclose(out[key].numpy(), value.numpy(), atol=1e-5, err_msg=f"{name} {key}")
    if lambda_identity:
        same_b = separate["ab"][1]["image"]
        expected_identity = config.loss.lambda_cycle_b * lambda_identity * tf.reduce_mean(
            tf.abs(same_b - data["B"]), axis=[1, 2, 3])
        np.testing.assert_allclose(forward.terms["identity_ab"].numpy(), expected_identity.numpy(), rtol=1e-5)


@pytest.mark.parametrize(
    ("conv_algorithm", "mixed_precision", "pixels", "expected"),
    [
        ("winograd", False, 128 * 128, True),  # 128² batch 1: 7–13% faster, no more memory
        ("winograd", False, 256 * 256, False),  # 256² batch 1: no faster, 0.45 GiB more
        ("direct", False, 128 * 128, False),  # the official code's calls
        ("winograd", "bfloat16", 128 * 128, False),  # bfloat16 with one thread per op (auto's at 128²): no gain
    ],
)
def test_which_steps_share_generator_calls(conv_algorithm, mixed_precision, pixels, expected):
    assert shares_generator_calls(conv_algorithm, mixed_precision, pixels) is expected


def test_shared_generator_calls_train():
    trainer = AttentionGANTrainer(tiny_config(conv_algorithm="winograd"))
    assert trainer.shared_generator_calls
    before = weights(trainer.generator_ba)
    losses = trainer.train_step(batch()).values
    assert all(np.isfinite(float(v)) for v in losses.values())
    assert any(not np.array_equal(a, b) for a, b in zip(before, weights(trainer.generator_ba), strict=True))
