"""History of generated images (Shrivastava et al. 2017), the official ``ImagePool`` as graph variables."""

from __future__ import annotations

import tensorflow as tf


class ImagePool(tf.Module):
    """A buffer of up to ``pool_size`` past fakes that the discriminator sees instead of only the newest ones.

    Same semantics as the official ``ImagePool.query``, image by image: while the buffer is not full the image
    is stored and returned; afterwards, with probability 0.5 a random stored image is returned and replaced
    by the new one, otherwise the new image is returned. The buffer lives in ``tf.Variable``s, so it works
    inside ``tf.function``, is saved in checkpoints, and under a ``tf.distribute`` strategy (create it in
    ``strategy.scope()``) every replica keeps its own buffer (``ON_READ`` variables; checkpoints store the
    first replica's). Randomness is stateless: the same ``seed`` gives the same choices, which makes resumed
    runs exact.

    Args:
        pool_size: capacity; 0 disables the pool (``query`` returns its input).
        image_shape: shape of one image (H, W, C).
        name: module name.

    Example:
        >>> pool = ImagePool(2, (4, 4, 3))
        >>> pool.query(tf.ones([1, 4, 4, 3]), seed=tf.constant([0, 1])).shape
        TensorShape([1, 4, 4, 3])
    """

    def __init__(self, pool_size: int, image_shape: tuple[int, int, int], name: str | None = None) -> None:
        super().__init__(name=name)
        if pool_size < 0:
            raise ValueError(f"pool_size must be >= 0, got {pool_size}")
        self.pool_size = pool_size
        self.image_shape = tuple(image_shape)
        sync = dict(
            trainable=False,
            synchronization=tf.VariableSynchronization.ON_READ,
            aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
        )
        self.images = tf.Variable(tf.zeros((max(pool_size, 1), *self.image_shape)), name="images", **sync)
        self.count = tf.Variable(0, dtype=tf.int32, name="count", **sync)

    def query(self, images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """Return a batch of the same shape drawn from the history and the new ``images``; updates the pool."""
        images = tf.cast(images, tf.float32)
        if self.pool_size == 0:
            return images
        seed = tf.cast(seed, tf.int32)
        batch = tf.shape(images)[0]
        swap = tf.random.stateless_uniform([batch], seed) > 0.5
        slots = tf.random.stateless_uniform(
            [batch], tf.stack([seed[0], seed[1] + 1]), maxval=self.pool_size, dtype=tf.int32
        )
        buffer = self.images.read_value()
        count = self.count.read_value()
        outputs = tf.TensorArray(tf.float32, size=batch, element_shape=self.image_shape)
        for i in tf.range(batch):
            image = images[i]
            if count < self.pool_size:
                buffer = tf.tensor_scatter_nd_update(buffer, [[count]], image[tf.newaxis])
                count += 1
                out = image
            elif swap[i]:
                out = buffer[slots[i]]
                buffer = tf.tensor_scatter_nd_update(buffer, [[slots[i]]], image[tf.newaxis])
            else:
                out = image
            outputs = outputs.write(i, out)
        self.images.assign(buffer)
        self.count.assign(count)
        return outputs.stack()
