"""PyTorch-aligned transposed convolution, with a sub-pixel form for mobile and browser runtimes."""

from __future__ import annotations

import contextlib

import keras
import tensorflow as tf

from attentiongan_tf.nn.layers import PACKAGE, fresh_initializer, layers_of, switched_implementation

IMPLEMENTATIONS = ("transpose", "phases")


def phase_taps(kernel_size: int, strides: int, padding: int) -> list[list[tuple[int, int]]]:
    """For each output phase ``r`` (output index ``o = strides*m + r``), the ``(offset, tap)`` pairs it sums.

    A transposed conv writes ``x[i] * W[t]`` to ``o = strides*i + t - padding``. Output ``strides*m + r``
    therefore reads ``x[m + offset]`` with tap ``t = r + padding - strides*offset``; every phase is an
    ordinary (correlation) convolution of ``x`` with the taps of that phase.
    """
    phases = []
    for r in range(strides):
        offsets = range(-kernel_size, kernel_size + 1)
        taps = [(j, r + padding - strides * j) for j in offsets]
        phases.append([(j, t) for j, t in taps if 0 <= t < kernel_size])
    return phases


@keras.saving.register_keras_serializable(package=PACKAGE)
class TorchConvTranspose2D(keras.layers.Layer):
    """``ConvTranspose2d(k, stride, padding=p, output_padding=op)`` with PyTorch alignment.

    The full transposed convolution of an n-pixel input has ``(n-1)*stride + k``
    outputs; PyTorch drops ``p`` at the start and ``p - op`` at the end. Keras
    ``'same'`` keeps a window shifted by one pixel, so official weights would give
    different images. Two implementations compute the same numbers:

    - ``"transpose"``: one 'valid' transposed conv, then that crop (the fastest
      to train with TensorFlow).
    - ``"phases"``: the sub-pixel form. Output pixel ``stride*m + r`` only sees
      the kernel taps of phase ``r``, so each of the ``stride²`` phases is an
      ordinary small convolution; concatenations and reshapes interleave them
      (``depth_to_space`` would be the same numbers, but TF.js wasm runs it ten
      times slower). TFLite's
      XNNPACK delegate and the TF.js wasm backend run these convolutions with
      their fast kernels, but not ``TRANSPOSE_CONV``/``Conv2DBackpropInput``. It
      needs an output of exactly ``stride * n`` (``k - 2p + op == stride``), as in
      the official ``k3, s2, p1, op1``. The exporters switch to it (see
      :func:`deploy_implementation`).

    Weights are the same in both (a ``Conv2DTranspose`` sub-layer named ``deconv``).

    Args:
        filters: output channels.
        kernel_size: square kernel size.
        strides: upsampling factor.
        padding: PyTorch ``padding`` (pixels cropped from the start).
        output_padding: PyTorch ``output_padding`` (extra pixels kept at the end).
        kernel_initializer: initializer for the kernel.
        implementation: ``"transpose"`` or ``"phases"``.
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> TorchConvTranspose2D(4)(tf.zeros([1, 8, 8, 16])).shape
        TensorShape([1, 16, 16, 4])
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        strides: int = 2,
        padding: int = 1,
        output_padding: int = 1,
        kernel_initializer="glorot_uniform",
        implementation: str = "transpose",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not 0 <= output_padding < strides:
            raise ValueError(f"output_padding must be in [0, strides), got {output_padding}")
        if output_padding > padding:
            raise ValueError("output_padding larger than padding is not supported")
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.output_padding = output_padding
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.implementation = implementation
        self.check_implementation(implementation)
        self.deconv = keras.layers.Conv2DTranspose(
            filters,
            kernel_size,
            strides=strides,
            padding="valid",
            kernel_initializer=fresh_initializer(self.kernel_initializer),
            name="deconv",
            dtype=self.dtype_policy,
        )

    @property
    def supports_phases(self) -> bool:
        """Whether the output is exactly ``strides * n`` pixels, which the ``"phases"`` form needs."""
        return self.kernel_size - 2 * self.padding + self.output_padding == self.strides

    def check_implementation(self, implementation: str) -> None:
        """Raise ``ValueError`` unless this layer can compute with ``implementation``."""
        if implementation not in IMPLEMENTATIONS:
            raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}, got {implementation!r}")
        if implementation == "phases" and not self.supports_phases:
            raise ValueError(
                "the 'phases' implementation needs kernel_size - 2*padding + output_padding == strides, got "
                f"k={self.kernel_size}, p={self.padding}, op={self.output_padding}, s={self.strides}"
            )

    def build(self, input_shape):
        self.deconv.build(input_shape)

    def call(self, inputs):
        self.check_implementation(self.implementation)
        kernel = tf.cast(self.deconv.kernel, self.compute_dtype)  # (k, k, out, in)
        if self.implementation == "phases":
            outputs = self._phases(inputs, kernel)
        else:
            outputs = self._transpose(inputs, kernel)
        return outputs + tf.cast(self.deconv.bias, self.compute_dtype)

    def _transpose(self, inputs: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
        # 'valid' transposed conv, then PyTorch's crop with tf.slice (its gradient is a cheap pad). Explicit
        # paddings would be no faster in float32 and fall back from oneDNN to far slower kernels in bfloat16.
        shape = tf.shape(inputs)
        full = (shape[1:3] - 1) * self.strides + self.kernel_size
        output_shape = tf.stack([shape[0], full[0], full[1], self.filters])
        outputs = tf.nn.conv2d_transpose(inputs, kernel, output_shape, self.strides, padding="VALID")
        size = full - 2 * self.padding + self.output_padding
        return tf.slice(outputs, [0, self.padding, self.padding, 0], tf.stack([-1, size[0], size[1], -1]))

    def _phases(self, inputs: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
        taps = phase_taps(self.kernel_size, self.strides, self.padding)
        outputs = []
        for taps_h in taps:
            for taps_w in taps:
                # (k_h, k_w, in, out) kernel of this phase, rows/columns ordered by input offset.
                rows = [tf.stack([kernel[th, tw] for _, tw in taps_w]) for _, th in taps_h]
                phase_kernel = tf.transpose(tf.stack(rows), [0, 1, 3, 2])
                source = _shift_window(inputs, [j for j, _ in taps_h], [j for j, _ in taps_w])
                outputs.append(tf.nn.conv2d(source, phase_kernel, 1, "VALID"))
        return self._interleave(outputs, tf.shape(inputs))

    def _interleave(self, phases: list[tf.Tensor], shape: tf.Tensor) -> tf.Tensor:
        # Phase (r, c) holds output pixels (s*m + r, s*n + c). Concatenating row r's phases on channels and
        # reshaping (B, H, W, s*C) -> (B, H, s*W, C) interleaves the columns; concatenating those rows on W and
        # reshaping (B, H, s*s*W, C) -> (B, s*H, s*W, C) interleaves the rows.
        s, batch, height, width = self.strides, shape[0], shape[1], shape[2]
        row_shape = tf.stack([batch, height, s * width, self.filters])
        rows = [tf.reshape(tf.concat(phases[r * s : (r + 1) * s], axis=-1), row_shape) for r in range(s)]
        return tf.reshape(tf.concat(rows, axis=2), tf.stack([batch, s * height, s * width, self.filters]))

    def compute_output_shape(self, input_shape):
        def size(n):
            if n is None:
                return None
            return (n - 1) * self.strides + self.kernel_size - 2 * self.padding + self.output_padding

        return (input_shape[0], size(input_shape[1]), size(input_shape[2]), self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "implementation": self.implementation,
        }


def _shift_window(inputs: tf.Tensor, offsets_h: list[int], offsets_w: list[int]) -> tf.Tensor:
    """Zero-pad (or crop) H and W so that a VALID conv gives output ``m`` from inputs ``m + offsets``."""
    pads, starts = [[0, 0]], [0]
    stops: list[int | None] = [None]
    for offsets in (offsets_h, offsets_w):
        before, after = -min(offsets), max(offsets)
        pads.append([max(before, 0), max(after, 0)])
        starts.append(max(-before, 0))
        stops.append(after if after < 0 else None)
    pads.append([0, 0])
    if any(p for pair in pads for p in pair):
        inputs = tf.pad(inputs, pads)
    if any(starts) or any(s is not None for s in stops):
        inputs = inputs[:, starts[1] : stops[1], starts[2] : stops[2], :]
    return inputs


def deploy_implementation(model: keras.Layer, implementation: str = "phases") -> contextlib.AbstractContextManager[int]:
    """Temporarily switch every :class:`TorchConvTranspose2D` of ``model`` that supports it to ``implementation``.

    Trace (export) the model inside the ``with`` block; the previous implementations are restored on exit.
    Yields the number of layers switched.

    Example:
        >>> with deploy_implementation(generator):  # doctest: +SKIP
        ...     export_savedmodel(generator, "/tmp/out")
    """
    layers = [
        layer for layer in layers_of(model, TorchConvTranspose2D) if implementation != "phases" or layer.supports_phases
    ]
    for layer in layers:
        layer.check_implementation(implementation)
    return switched_implementation(layers, implementation)
