"""Activations computed again in the backward pass instead of kept from the forward pass (float32 training).

A convolution keeps its input for its kernel's gradient, and a ReLU keeps its output for its own. Between two
convolutions of a generator sit an instance norm, a ReLU and a padding: kept as they are, the norm's input, the
ReLU's output and the padded image all stay alive from the forward pass to the backward pass, where only the
norm's input cannot be made again cheaply. :func:`recompute_in_backward` keeps only the input of such a run of
layers and computes the run again when its gradient arrives. The convolution that ends the run is not computed
twice: its gradient needs its input and kernel, not its output, and a graph (``tf.function``) drops ops whose
results nothing uses. Eagerly, the run is computed again in full (same numbers, slower).
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import tensorflow as tf

#: The attribute (not part of any config) that switches recomputation on a layer: see :func:`use_recompute`.
ATTRIBUTE = "recompute_activations"


def recomputes(layer: keras.Layer, training) -> bool:
    """Whether ``layer`` recomputes its runs of layers (:func:`recompute_in_backward`): in training, in float32,
    unless switched off (:func:`use_recompute`).

    Mixed precision is left out: its shared weight casts (``training.weight_casts``) are made once per pass and
    reused, and a cast made in one run would reach the next run as a plain tensor, without its gradient.
    """
    return bool(training) and getattr(layer, ATTRIBUTE, False) and layer.compute_dtype == "float32"


def use_recompute(model: keras.Layer, enabled: bool) -> int:
    """Switch recomputation on or off in every layer of ``model`` that has it (on by default: the generators'
    encoder, residual blocks and decoder heads); returns the number of layers set. Off keeps every activation
    from the forward pass, as autodiff does: a little faster, and more memory (docs/performance_log.md)."""
    layers = [layer for layer in model._flatten_layers(include_self=True) if hasattr(layer, ATTRIBUTE)]
    for layer in layers:
        setattr(layer, ATTRIBUTE, enabled)
    return len(layers)


def recompute_in_backward(run: Callable[[tf.Tensor], tf.Tensor], inputs: tf.Tensor, enabled: bool = True) -> tf.Tensor:
    """``run(inputs)``, keeping only ``inputs`` (and the weights it reads) for the backward pass.

    The backward pass computes ``run`` again from ``inputs`` once the gradient of its output has arrived, and
    back-propagates through that copy. Use it for runs whose only costly op is a final convolution (see the
    module docstring): norm, ReLU, padding, convolution.

    Args:
        run: a function of one tensor that reads trainable variables only through Keras layers or ``tf.Variable``
            reads (not through tensors made outside it).
        inputs: its input.
        enabled: ``False`` computes ``run(inputs)`` plainly.

    Example:
        >>> conv = keras.layers.Conv2D(4, 3)
        >>> x = tf.random.normal([1, 8, 8, 4])
        >>> with tf.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = recompute_in_backward(lambda h: conv(tf.nn.relu(h)), x)
        >>> tape.gradient(y, x).shape
        TensorShape([1, 8, 8, 4])
    """
    if not enabled:
        return run(inputs)

    @tf.custom_gradient
    def recomputed(x: tf.Tensor):
        def gradient(upstream: tf.Tensor, variables=None):
            variables = list(variables or [])
            # Computed again only once the gradient has arrived: a graph would otherwise run the copy during the
            # forward pass (its input is ready then) and keep its results alive, which is what this avoids.
            with tf.control_dependencies([upstream]):
                again_inputs = tf.identity(x)
            with tf.GradientTape() as tape:
                tape.watch(again_inputs)
                again = run(again_inputs)
            grads = tape.gradient(again, [again_inputs, *variables], output_gradients=upstream)
            return grads[0], grads[1:]

        return run(x), gradient

    return recomputed(inputs)
