"""Run by test_mirrored.py in a fresh process: 2 logical CPUs, 1 vs 2 replicas, same global batch."""

import json
import sys

import tensorflow as tf

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2
)

import numpy as np  # noqa: E402

from attentiongan_tf.training.config import preset  # noqa: E402
from attentiongan_tf.training.strategies import make_strategy  # noqa: E402
from attentiongan_tf.training.tasks.two_domain import AttentionGANTrainer  # noqa: E402


def run(strategy_name: str, steps: int) -> dict:
    config = preset("demo")
    config.model.ngf, config.model.n_blocks, config.model.ndf, config.model.n_layers_d = 4, 1, 4, 2
    config.data.load_size = config.data.crop_size = 16
    config.data.batch_size = 4
    config.train.pool_size = 0
    config.train.steps = 100
    strategy = make_strategy(strategy_name)
    trainer = AttentionGANTrainer(config, strategy)
    rng = np.random.default_rng(0)
    batches = [{d: rng.uniform(-1, 1, (4, 16, 16, 3)).astype("float32") for d in "AB"} for _ in range(steps)]
    dataset = tf.data.Dataset.from_tensor_slices({d: np.stack([b[d] for b in batches]) for d in "AB"}).unbatch()
    iterator = iter(strategy.experimental_distribute_dataset(dataset.batch(4)))
    losses = [{k: float(v) for k, v in trainer.train_step(next(iterator)).values.items()} for _ in range(steps)]
    models = [trainer.generator_ab, trainer.generator_ba, trainer.discriminator_a, trainer.discriminator_b]
    weights = {w.path: np.asarray(w.numpy()) for m in models for w in m.weights}
    return {"replicas": strategy.num_replicas_in_sync, "losses": losses, "weights": weights}


if __name__ == "__main__":
    steps = int(sys.argv[1])
    one, two = run("default", steps), run("mirrored", steps)
    diffs = {k: float(np.max(np.abs(one["weights"][k] - two["weights"][k]))) for k in one["weights"]}
    # Biases of convs followed by instance norm get gradients that are 0 up to float noise, which Adam
    # normalises to +-lr updates: they are excluded; every kernel (and the loss values) must agree.
    diff = max(v for k, v in diffs.items() if k.endswith("kernel"))
    scale = max(float(np.max(np.abs(a))) for a in one["weights"].values())
    loss_diff = max(abs(a[k] - b[k]) for a, b in zip(one["losses"], two["losses"], strict=True) for k in a)
    print(json.dumps({"replicas": [one["replicas"], two["replicas"]], "max_weight_diff": diff,
                      "weight_scale": scale, "max_loss_diff": loss_diff}))
