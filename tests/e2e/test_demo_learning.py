import numpy as np
import pytest

from attentiongan_tf.data.demo import read_mask
from attentiongan_tf.data.images import list_images
from attentiongan_tf.data.unpaired import sample_images
from attentiongan_tf.training.config import preset
from attentiongan_tf.training.loop import train


@pytest.mark.slow
def test_short_demo_training_learns_the_object(tmp_path):
    config = preset("demo")
    config.data.load_size = config.data.crop_size = 32
    config.data.demo_images = 64
    config.train.steps = 400
    config.train.seed = 0
    config.train.output_dir = str(tmp_path / "run")
    config.train.checkpoint_every = config.train.sample_every = 400
    result = train(config, progress=False)

    cycle = [h["cycle_a"] + h["cycle_b"] for h in result.history]
    assert np.mean(cycle[-50:]) < 0.6 * np.mean(cycle[:20])

    # The foreground attention of A->B on held-out A images matches the ground-truth object masks.
    root = tmp_path / "run" / "demo_data"
    images = sample_images(root, "A", 16, 32)
    masks = np.stack([read_mask(p) for p in list_images(root / "testA")[:16]]).astype(float)
    attention = result.trainer.translate(images, "AtoB")["attention"].numpy()
    foreground = 1.0 - attention[..., -1]
    correlation = np.corrcoef(foreground.ravel(), masks.ravel())[0, 1]
    assert correlation > 0.5, correlation  # chance is 0
    inside, outside = foreground[masks > 0].mean(), foreground[masks == 0].mean()
    assert inside > outside + 0.3, (inside, outside)
