"""Run by test_mirrored.py in a fresh process: the multi-domain trainer on 2 logical CPUs, 1 vs 2 replicas."""

import json
import sys

import tensorflow as tf

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2
)

import numpy as np  # noqa: E402

from attentiongan_tf.training.strategies import make_strategy  # noqa: E402
from attentiongan_tf.training.tasks.multi_domain import MultiDomainTrainer  # noqa: E402
from attentiongan_tf.training.tasks.multi_domain_config import MultiDomainConfig  # noqa: E402


def run(strategy_name: str, steps: int, gan_mode: str, input_scale: float = 1.0) -> dict:
    config = MultiDomainConfig(image_size=16, batch_size=4, ngf=4, n_blocks=1, n_masks=3, ndf=4, n_layers_d=2,
                               gan_mode=gan_mode, n_critic=2, steps=100, decay_fraction=0.0)  # fmt: skip
    strategy = make_strategy(strategy_name)
    trainer = MultiDomainTrainer(config, 3, "single_label", strategy)
    rng = np.random.default_rng(1)
    n = 4 * steps
    images = rng.uniform(-1, 1, (n, 16, 16, 3)).astype("float32") * np.float32(input_scale)
    label = np.eye(3, dtype="float32")[rng.integers(0, 3, n)]
    target = np.eye(3, dtype="float32")[rng.integers(0, 3, n)]
    dataset = tf.data.Dataset.from_tensor_slices({"image": images, "label": label, "target": target}).batch(4)
    iterator = iter(strategy.experimental_distribute_dataset(dataset))
    losses = [trainer.train_step(next(iterator)).values for _ in range(steps)]
    models = [trainer.generator, trainer.discriminator]
    weights = {w.path: np.asarray(w.numpy()) for m in models for w in m.weights}
    return {"replicas": strategy.num_replicas_in_sync, "losses": losses, "weights": weights}


def _kernel_diff(one: dict, two: dict) -> float:
    # As in mirrored_worker.py: biases before instance norm get float-noise gradients; compare the kernels. So do
    # the label channels of the first conv (spatially constant inputs, removed by its instance norm): Adam turns
    # that noise into full-size steps, so only the kernel's image channels are compared.
    first = "generator/encoder/conv_in/kernel"
    for result in (one, two):
        result["weights"][first] = result["weights"][first][..., :3, :]
    kernels = [k for k in one["weights"] if k.endswith("kernel")]
    return max(float(np.max(np.abs(one["weights"][k] - two["weights"][k]))) for k in kernels)


if __name__ == "__main__":
    steps, gan_mode = int(sys.argv[1]), sys.argv[2]
    one, two = run("default", steps, gan_mode), run("mirrored", steps, gan_mode)
    # The floor this comparison can reach: the same single-replica run with inputs 1e-7 larger (a round-off-sized
    # change, as summing over replicas makes). A tiny model a few steps from a threshold (a ReLU flipping, a
    # near-constant channel under instance norm) jumps there by a whole Adam step whatever the replicas do.
    nudged = run("default", steps, gan_mode, input_scale=1 + 1e-7)
    loss_diff = max(abs(a[k] - b[k]) for a, b in zip(one["losses"], two["losses"], strict=True) for k in a)
    same_keys = all(set(a) == set(b) for a, b in zip(one["losses"], two["losses"], strict=True))
    print(json.dumps({"replicas": [one["replicas"], two["replicas"]], "max_weight_diff": _kernel_diff(one, two),
                      "round_off_floor": _kernel_diff(one, nudged),
                      "max_loss_diff": loss_diff, "same_keys": same_keys}))  # fmt: skip
