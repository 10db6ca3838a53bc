"""Grappler's remapper pass (oneDNN's fused convolutions) runs on every training graph instead of failing on it.

A convolution with a bias followed by ``tf.nn.leaky_relu`` made the remapper fuse the three into one op while the
leaky ReLU's gradient still read the bias' output: TensorFlow 2.19 then logs "remapper failed: ... fanout
'.../LeakyReluGrad' exist for missing node '.../BiasAdd'" and drops that run of the pass for the graph. The
discriminators' leaky ReLU takes its gradient from its output instead.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.nn.activations import leaky_relu
from tests.e2e.export_helpers import REPO_ROOT

GRADIENT_GRAPH = textwrap.dedent(
    """
    import numpy as np, tensorflow as tf
    from attentiongan_tf.models.conditional import MultiDomainDiscriminator
    from attentiongan_tf.models.discriminators import PatchGANDiscriminator

    x = tf.constant(np.random.default_rng(0).uniform(-1, 1, (1, 32, 32, 3)), tf.float32)
    for model in (PatchGANDiscriminator(ndf=8, n_layers=3), MultiDomainDiscriminator(image_size=32, n_domains=2,
                                                                                      ndf=8, n_layers=2)):
        model(x)

        @tf.function
        def gradients(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                outputs = tf.nest.flatten(model(x))
                loss = tf.add_n([tf.reduce_mean(tf.square(o)) for o in outputs])
            return tape.gradient(loss, [x, *model.trainable_variables])

        gradients(x)
    print("ran")
    """
)


@pytest.mark.slow
def test_the_discriminators_training_graphs_keep_the_remapper_pass():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0", "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-c", GRADIENT_GRAPH], env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0 and "ran" in done.stdout, done.stderr[-3000:]
    assert [line for line in done.stderr.splitlines() if "remapper failed" in line] == []


@pytest.mark.parametrize("dtype", [tf.float32, tf.bfloat16])
@pytest.mark.parametrize("alpha", [0.2, 0.01])
def test_leaky_relu_matches_tensorflow_s_values_and_gradients(dtype, alpha):
    # Zeros, the smallest normals and subnormals (whose alpha-multiples round to zero) and NaN included.
    tiny = np.finfo(np.float32).tiny
    values = np.array([-3.0, -1.0, -tiny, -tiny / 8, -0.0, 0.0, tiny / 8, tiny, 0.5, 2.0, np.nan], np.float32)
    x = tf.cast(tf.constant(values), dtype)
    upstream = tf.cast(tf.range(1, len(values) + 1, dtype=tf.float32), dtype)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        ours, theirs = leaky_relu(x, alpha), tf.nn.leaky_relu(x, alpha)
    np.testing.assert_array_equal(ours.numpy().astype(np.float32), theirs.numpy().astype(np.float32))
    ours_gradient = tape.gradient(ours, x, output_gradients=upstream)
    theirs_gradient = tape.gradient(theirs, x, output_gradients=upstream)
    np.testing.assert_array_equal(ours_gradient.numpy().astype(np.float32), theirs_gradient.numpy().astype(np.float32))


def test_leaky_relu_refuses_a_slope_whose_output_does_not_tell_the_input_s_sign():
    with pytest.raises(ValueError, match="alpha"):
        leaky_relu(tf.ones([2]), 0.0)
