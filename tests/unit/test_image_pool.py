import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.training.image_pool import ImagePool


def images(values):
    return tf.stack([tf.fill([2, 2, 1], float(v)) for v in values])


def test_disabled_pool_returns_input():
    pool = ImagePool(0, (2, 2, 1))
    np.testing.assert_array_equal(pool.query(images([1, 2]), tf.constant([0, 0])), images([1, 2]))


def test_fills_then_returns_new_images_while_not_full():
    pool = ImagePool(3, (2, 2, 1))
    out = pool.query(images([1, 2]), tf.constant([0, 0]))
    np.testing.assert_array_equal(out, images([1, 2]))
    assert int(pool.count) == 2
    out = pool.query(images([3]), tf.constant([0, 1]))
    np.testing.assert_array_equal(out, images([3]))
    np.testing.assert_array_equal(pool.images.numpy()[:, 0, 0, 0], [1, 2, 3])


@pytest.mark.parametrize("use_function", [False, True])
def test_full_pool_swaps_about_half_and_keeps_images(use_function):
    pool = ImagePool(4, (2, 2, 1))
    pool.query(images([1, 2, 3, 4]), tf.constant([0, 0]))
    query = tf.function(pool.query) if use_function else pool.query
    returned_old, seen = 0, set()
    for step in range(200):
        value = 100 + step
        out = float(query(images([value]), tf.constant([5, step]))[0, 0, 0, 0])
        stored = set(pool.images.numpy()[:, 0, 0, 0].tolist())
        if out != value:
            returned_old += 1
            assert out in seen | {1, 2, 3, 4}
            assert value in stored  # the new image replaced the returned one
        seen |= stored
        assert len(stored) == 4
    assert 70 < returned_old < 130  # p = 0.5 over 200 draws


def test_same_seed_same_choices():
    results = []
    for _ in range(2):
        pool = ImagePool(2, (2, 2, 1))
        outs = [pool.query(images([i, i + 10]), tf.constant([1, i])).numpy() for i in range(6)]
        results.append(np.stack(outs))
    np.testing.assert_array_equal(results[0], results[1])


def test_pool_is_checkpointed(tmp_path):
    pool = ImagePool(2, (2, 2, 1))
    pool.query(images([7, 8]), tf.constant([0, 0]))
    path = tf.train.Checkpoint(pool=pool).save(str(tmp_path / "ckpt"))
    restored = ImagePool(2, (2, 2, 1))
    tf.train.Checkpoint(pool=restored).restore(path).assert_consumed()
    assert int(restored.count) == 2
    np.testing.assert_array_equal(restored.images.numpy(), pool.images.numpy())
