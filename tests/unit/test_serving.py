"""The any-size serving function: reflected padding, cropping, uint8 conversion and the exported endpoints."""

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf import build_generator
from attentiongan_tf.export.serving import (
    ENCODED_SIGNATURE,
    FLOAT_SIGNATURE,
    UINT8_SIGNATURE,
    WINOGRAD_MULTIPLE,
    float_to_uint8,
    make_endpoints,
    pad_reflect,
    padded_size,
    reflect_indices,
    translate_any_size,
    uint8_to_float,
)


@pytest.fixture(scope="module")
def generator():
    tf.keras.utils.set_random_seed(0)
    return build_generator(ngf=4, n_blocks=1, n_masks=3)


@pytest.mark.parametrize(("size", "expected"), [(1, 8), (5, 8), (8, 8), (9, 12), (250, 252), (333, 336)])
def test_padded_size_is_a_multiple_of_4_and_at_least_8(size, expected):
    assert int(padded_size(tf.constant(size))) == expected


@pytest.mark.parametrize(("size", "expected"), [(1, 16), (8, 16), (16, 16), (20, 32), (250, 256), (333, 336)])
def test_padded_size_of_a_winograd_graph_is_a_multiple_of_16(size, expected):
    assert int(padded_size(tf.constant(size), WINOGRAD_MULTIPLE)) == expected


@pytest.mark.parametrize(("size", "target"), [(5, 8), (9, 12), (250, 252), (333, 336), (4, 8)])
def test_reflect_indices_match_numpy_reflect_padding(size, target):
    indices = reflect_indices(tf.constant(size), tf.constant(target)).numpy()
    expected = np.pad(np.arange(size), (0, target - size), mode="reflect")
    np.testing.assert_array_equal(indices, expected)


@pytest.mark.parametrize(
    ("size", "expected"), [(1, [0] * 8), (2, [0, 1, 0, 1, 0, 1, 0, 1]), (3, [0, 1, 2, 1, 0, 1, 2, 1])]
)
def test_reflect_indices_repeat_the_reflection_for_tiny_sizes(size, expected):
    assert reflect_indices(tf.constant(size), tf.constant(8)).numpy().tolist() == expected


def test_pad_reflect_pads_bottom_right_and_reports_the_original_size():
    images = tf.random.uniform([2, 5, 7, 3])
    padded = pad_reflect(images)
    assert padded.images.shape == (2, 8, 8, 3)
    assert (int(padded.height), int(padded.width)) == (5, 7)
    expected = np.pad(images.numpy(), [(0, 0), (0, 3), (0, 1), (0, 0)], mode="reflect")
    np.testing.assert_array_equal(padded.images.numpy(), expected)


@pytest.mark.parametrize("shape", [(1, 1, 1, 3), (1, 5, 7, 3), (2, 13, 10, 3)])
def test_translate_any_size_keeps_the_input_size(generator, shape):
    outputs = translate_any_size(generator, tf.random.uniform(shape, -1.0, 1.0))
    assert outputs["image"].shape == shape
    assert outputs["attention"].shape == (*shape[:3], 3)
    assert outputs["content"].shape == (*shape[:3], 2, 3)
    np.testing.assert_allclose(tf.reduce_sum(outputs["attention"], -1).numpy(), 1.0, atol=1e-5)


def test_translate_any_size_equals_the_generator_on_valid_sizes(generator):
    images = tf.random.uniform([2, 16, 24, 3], -1.0, 1.0)
    direct = generator(images)
    served = translate_any_size(generator, images)
    for key in ("image", "attention", "content"):
        np.testing.assert_allclose(served[key].numpy(), direct[key].numpy(), atol=1e-6)


def test_uint8_round_trip_is_exact():
    pixels = tf.constant(np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1))
    np.testing.assert_array_equal(float_to_uint8(uint8_to_float(pixels)).numpy(), pixels.numpy())
    assert float_to_uint8(tf.constant([-3.0, 3.0])).numpy().tolist() == [0, 255]


def test_endpoints_have_the_documented_names_inputs_and_outputs(generator):
    endpoints = make_endpoints(generator)
    assert list(endpoints) == [UINT8_SIGNATURE, FLOAT_SIGNATURE, ENCODED_SIGNATURE]
    uint8_out = endpoints[UINT8_SIGNATURE].fn(tf.zeros([1, 6, 9, 3], tf.uint8))
    assert uint8_out["image"].dtype == tf.uint8 and uint8_out["image"].shape == (1, 6, 9, 3)
    assert uint8_out["attention"].shape == (1, 6, 9, 3)
    png = tf.io.encode_png(tf.fill([5, 11, 3], tf.constant(7, tf.uint8)))
    encoded = endpoints[ENCODED_SIGNATURE].fn(tf.stack([png, png]))["png_bytes"]
    assert encoded.shape == (2,)
    decoded = tf.io.decode_png(encoded[1]).numpy()
    expected = endpoints[UINT8_SIGNATURE].fn(tf.fill([1, 5, 11, 3], tf.constant(7, tf.uint8)))["image"][0]
    np.testing.assert_array_equal(decoded, expected.numpy())


def test_winograd_endpoints_take_one_image_and_pad_it_to_a_multiple_of_16(generator):
    endpoints = make_endpoints(generator, winograd=True)
    assert list(endpoints) == [UINT8_SIGNATURE, FLOAT_SIGNATURE, ENCODED_SIGNATURE]
    for name in (UINT8_SIGNATURE, FLOAT_SIGNATURE):
        assert endpoints[name].input_signature[0].shape.as_list() == [1, None, None, 3]
    images = tf.random.uniform([1, 20, 9, 3], -1.0, 1.0)
    served = endpoints[FLOAT_SIGNATURE].fn(images)
    padded = pad_reflect(images, WINOGRAD_MULTIPLE).images
    assert padded.shape == (1, 32, 16, 3)
    expected = generator(padded)
    for key in ("image", "attention", "content"):
        np.testing.assert_allclose(served[key].numpy(), expected[key][:, :20, :9].numpy(), atol=1e-6)
    fixed = make_endpoints(generator, fixed_size=20, winograd=True)  # a fixed size is exact at any multiple of 4
    assert fixed[FLOAT_SIGNATURE].input_signature[0].shape.as_list() == [1, 20, 20, 3]
