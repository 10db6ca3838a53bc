"""Train-step parity with the official PyTorch AttentionGAN (fixtures in tests/parity/data/train_step/).

From the official initial weights and the same batches, ``AttentionGANTrainer.train_step`` must give the
losses and the updated weights of the official ``optimize_parameters`` (G_A + G_B step with the Ds frozen,
then D_A + D_B step on the detached fakes of the same forward pass; LSGAN, cycle λ=10, identity 0.5, pool
disabled, Adam(2e-4, 0.5, 0.999)), step after step. The fixtures are written by
``make_train_step_reference.py`` (needs torch and the official code; see its docstring).

Tolerances, from float32 round-off (the reference also records the official code's own float32 − float64
difference on the same run, ``float32_roundoff``). Measured on x86 CPUs with TorchAdam (Keras' Adam in brackets):

- losses: |diff| ≤ 1e-6·|loss| (8.4 float32 ulps). Measured: ≤ 2 ulps, max 1.9e-6 on the total G loss of
  16.4 (Keras Adam: up to 4.2e-5 and 2.5e-5 relative from step 2 on: 25× over). Official float32 vs float64: 1.0e-6.
- weights that change the function (every kernel, and the biases of the output convs of G and D):
  |diff| ≤ 3e-7. Measured: 1.9e-8 after step 1, 5.4e-8 after step 3 (Keras Adam: 1.8e-4). One Adam step
  moves a weight by up to lr = 2e-4; official float32 vs float64 differ by ≤ 4e-9 on all weights but one
  element with a near-zero gradient (2.1e-7; Adam's first step there is ``lr·g/(|g| + eps)``).
- biases of convs followed by instance norm: the norm subtracts them again, so their exact gradient is
  zero and Adam normalises round-off noise (official float32 vs float64: up to 3.1·lr after 3 steps; ours vs
  official 2.0·lr after step 1, 5.9·lr after step 3). They do not affect any output, which the later steps'
  losses confirm, and are only checked to stay within twice Adam's largest travel, 2·Σₜ lr·√(Σᵢ wᵢ²/uᵢ)
  (Cauchy–Schwarz bound of m̂/√v̂, wᵢ and uᵢ the bias-corrected EMA weights of m̂ and v̂).

TF32 is disabled for the run: on Ampere+ GPUs TensorFlow would otherwise compute float32 convs in TF32.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.official.convert import (
    _discriminator_layers,
    _generator_layers,
    _torch_to_keras_kernel,
    load_official_discriminator,
    load_official_generator,
)
from attentiongan_tf.training.config import Config, preset
from attentiongan_tf.training.schedules import EpochLinearDecay
from attentiongan_tf.training.tasks.two_domain import AttentionGANTrainer

DATA = Path(__file__).resolve().parent / "data" / "train_step"
LOSS_RTOL = 1e-6
WEIGHT_ATOL = 3e-7
# Official loss name → ours (official G_A is our generator_ab and D_A judges domain B, see trainer.py).
LOSS_NAMES = {
    "G_A": "generator_ab", "G_B": "generator_ba", "cycle_A": "cycle_a", "cycle_B": "cycle_b",
    "idt_A": "identity_ab", "idt_B": "identity_ba", "G": "generator_total",
    "D_A": "discriminator_b", "D_B": "discriminator_a",
}  # fmt: skip
NETS = {"G_A": "generator_ab", "G_B": "generator_ba", "D_A": "discriminator_b", "D_B": "discriminator_a"}


def _config(meta: dict) -> Config:
    c = meta["config"]
    config = preset("official")
    m, lo, d, t = config.model, config.loss, config.data, config.train
    m.variant, m.ngf, m.n_blocks, m.ndf, m.n_layers_d = "scheme2", c["ngf"], c["n_blocks"], c["ndf"], c["n_layers_D"]
    m.n_masks, m.attention_discriminator = 10, False  # official ResnetGenerator_our: 9 content masks + background
    lo.lambda_attention_gan = lo.lambda_pixel = lo.lambda_tv = 0.0
    lo.gan_mode, lo.lambda_cycle_a, lo.lambda_cycle_b = c["gan_mode"], c["lambda_A"], c["lambda_B"]
    lo.lambda_identity = c["lambda_identity"]
    d.load_size = d.crop_size = c["size"]
    d.batch_size = c["batch"]
    t.steps, t.decay_fraction, t.pool_size = c["steps"], 0.0, c["pool_size"]
    t.learning_rate, t.beta_1, t.beta_2 = c["lr"], c["beta1"], 0.999
    t.mixed_precision, t.xla, t.strategy = False, False, "default"
    t.conv_algorithm = "direct"  # the official code's convolutions (auto would take Winograd's on a CPU)
    config.validate()
    return config


def _load_official_weights(trainer: AttentionGANTrainer, meta: dict, data: Path) -> None:
    c = meta["config"]
    for official, ours in NETS.items():
        path = data / f"{official}.pth"
        if official.startswith("G"):
            source = load_official_generator(path, "scheme2", ngf=c["ngf"], n_blocks=c["n_blocks"])
        else:
            source = load_official_discriminator(path, ndf=c["ndf"], n_layers=c["n_layers_D"])
        getattr(trainer, ours).set_weights(source.get_weights())


def _parameters(trainer: AttentionGANTrainer):
    """(official net, official key, our variable, followed by instance norm) for every official parameter."""
    for official, ours in NETS.items():
        model = getattr(trainer, ours)
        if official.startswith("G"):
            layers = _generator_layers(model)
            unnormalized = (model.content_head.conv_out, model.attention_head.conv_out)
        else:
            layers = _discriminator_layers(model)
            unnormalized = (model.convs[0], model.convs[-1])
        for prefix, layer in layers:
            normalized = all(layer is not u for u in unnormalized)
            yield official, f"{prefix}.weight", layer.kernel, False
            yield official, f"{prefix}.bias", layer.bias, normalized


def _adam_travel_bound(steps: int, lr: float, beta_1: float, beta_2: float) -> float:
    total = 0.0
    for t in range(1, steps + 1):
        w = np.array([(1 - beta_1) * beta_1 ** (t - i) for i in range(1, t + 1)]) / (1 - beta_1**t)
        u = np.array([(1 - beta_2) * beta_2 ** (t - i) for i in range(1, t + 1)]) / (1 - beta_2**t)
        total += lr * np.sqrt(np.sum(w**2 / u))
    return total


def train_on_the_reference(data: Path = DATA) -> dict:
    """Train our trainer on the reference batches in ``data``; losses of every step, weights after steps 1 and N."""
    meta = json.loads((data / "reference.json").read_text())
    reference = np.load(data / "reference.npz")
    trainer = AttentionGANTrainer(_config(meta))
    _load_official_weights(trainer, meta, data)
    steps = meta["config"]["steps"]
    losses, weights = [], {}
    for step in range(steps):
        batch = {k: tf.constant(np.transpose(reference[k][step], (0, 2, 3, 1))) for k in ("A", "B")}
        losses.append({k: float(v) for k, v in trainer.train_step(batch).values.items()})
        if step + 1 in (1, steps):
            for net, key, variable, normalized in _parameters(trainer):
                weights[f"step{step + 1}/{net}/{key}"] = (variable.numpy().astype(np.float64), normalized)
    return {"meta": meta, "reference": reference, "losses": losses, "weights": weights}


@pytest.fixture(scope="module")
def run() -> dict:
    if not (DATA / "reference.json").is_file():
        pytest.fail(f"missing fixtures in {DATA}; run tests/parity/make_train_step_reference.py")
    tf32 = tf.config.experimental.tensor_float_32_execution_enabled()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        return train_on_the_reference()
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(tf32)


def test_every_loss_of_every_step_matches(run):
    worst = 0.0
    for step, (official, ours) in enumerate(zip(run["meta"]["losses"], run["losses"], strict=True)):
        for official_name, our_name in LOSS_NAMES.items():
            diff = abs(ours[our_name] - official[official_name])
            worst = max(worst, diff)
            assert diff <= LOSS_RTOL * abs(official[official_name]), (
                f"step {step + 1} {official_name}/{our_name}: ours {ours[our_name]:.7g}, "
                f"official {official[official_name]:.7g}"
            )
        assert ours["discriminator_total"] == pytest.approx(official["D_A"] + official["D_B"], rel=LOSS_RTOL)
    print(f"losses: max |diff| {worst:.2e}")


@pytest.mark.parametrize("step", ["first", "last"])
def test_updated_weights_match(run, step):
    meta, reference = run["meta"], run["reference"]
    c = meta["config"]
    k = 1 if step == "first" else c["steps"]
    bound = 2 * _adam_travel_bound(k, c["lr"], c["beta1"], 0.999)
    worst = {False: 0.0, True: 0.0}
    keys = [key for key in run["weights"] if key.startswith(f"step{k}/")]
    assert len(keys) == len([key for key in reference.files if key.startswith(f"step{k}/")])
    for key in keys:
        ours, normalized = run["weights"][key]
        official = reference[key].astype(np.float64)
        if key.endswith(".weight"):
            official = _torch_to_keras_kernel(official)
        diff = float(np.abs(ours - official).max())
        worst[normalized] = max(worst[normalized], diff)
        assert diff <= (bound if normalized else WEIGHT_ATOL), f"{key}: max |diff| {diff:.2e}"
    print(f"step {k}: weights max |diff| {worst[False]:.2e}; biases before instance norm {worst[True]:.2e}")


def test_learning_rate_is_the_official_one_during_the_run(run):
    official_first_epoch = run["meta"]["official_schedule_per_epoch"][0]
    assert all(step["learning_rate"] == pytest.approx(official_first_epoch, rel=1e-7) for step in run["losses"])


def test_trainer_schedule_is_the_official_rule_with_one_step_per_epoch():
    """Official ``get_scheduler`` (linear, niter 3 + niter_decay 4) on a one-image dataset, batch 1."""
    meta = json.loads((DATA / "reference.json").read_text())
    official = meta["official_schedule_per_epoch"]
    niter, niter_decay = meta["config"]["niter"], meta["config"]["niter_decay"]
    config = _config(meta)
    config.train.steps, config.train.decay_fraction = niter + niter_decay, niter_decay / (niter + niter_decay)
    trainer = AttentionGANTrainer(config)
    ours = [float(trainer.schedule(step)) for step in range(config.train.steps)]
    np.testing.assert_allclose(ours, official, rtol=1e-7, atol=0)


def test_epoch_schedule_is_the_official_staircase():
    meta = json.loads((DATA / "reference.json").read_text())
    official = meta["official_schedule_per_epoch"]
    schedule = EpochLinearDecay(meta["config"]["lr"], meta["config"]["niter"], meta["config"]["niter_decay"], 5)
    ours = [float(schedule(step)) for step in range(5 * len(official))]
    np.testing.assert_allclose(ours, np.repeat(official, 5), rtol=1e-7, atol=0)
