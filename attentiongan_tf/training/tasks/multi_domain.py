"""The multi-domain train step (StarGAN order): a critic step every step, a generator step every ``n_critic``."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from attentiongan_tf.models.conditional import build_multidomain_discriminator, build_multidomain_generator
from attentiongan_tf.nn.resnet_block import use_conv_algorithm
from attentiongan_tf.training.losses import foreground, mask_statistics
from attentiongan_tf.training.precision import compute_dtype, dtype_policy, make_adam, training_conv_algorithm
from attentiongan_tf.training.schedules import ConstantThenLinearDecay
from attentiongan_tf.training.step_function import StepFunction
from attentiongan_tf.training.strategies import uses_accelerator
from attentiongan_tf.training.tasks import multi_domain_losses as L
from attentiongan_tf.training.tasks.base import StepResult, gradient_pass
from attentiongan_tf.training.tasks.multi_domain_config import MultiDomainConfig
from attentiongan_tf.training.weight_casts import SharedWeightCasts

__all__ = ["MultiDomainTrainer", "Terms"]

_ALPHA_SALT = 15_485_863


class Terms(NamedTuple):
    """Per-example weighted loss terms of one network, its classifier accuracy and (generator) the masks."""

    terms: dict[str, tf.Tensor]
    accuracy: tf.Tensor
    attention: tf.Tensor | None = None


class MultiDomainTrainer(tf.Module):
    """One conditional generator, one discriminator with a domain classifier, two Adam optimizers.

    Critic step: ``adv(D(x), D(G(x, c'))) + λ_cls · cls(D_cls(x), c) [+ λ_gp · GP]``. Generator step:
    ``adv(D(G(x, c'))) + λ_cls · cls(D_cls(G(x, c')), c') + λ_rec · |G(G(x, c'), c) − x|₁ + λ_tv · TV(A)
    + λ_l1 · mean(A)`` with ``A`` the foreground attention of the translation. Losses are per-example values
    averaged over the GLOBAL batch, and both steps run under ``strategy.run`` inside a ``tf.function``, so
    results do not depend on the number of replicas. ``mixed_precision`` builds the models under the mixed
    policy (float16 adds loss scaling) and ``xla`` JIT-compiles the per-replica gradient computations, as in
    the two-domain trainer.

    Args:
        config: the run's :class:`MultiDomainConfig`.
        n_domains: label length.
        classification: ``single_label`` or ``multi_label`` (the resolved mode).
        strategy: a ``tf.distribute.Strategy`` (default: the current one).

    Example:
        >>> config = MultiDomainConfig(image_size=32, batch_size=2, ngf=4, n_blocks=1, n_masks=3, ndf=4, n_layers_d=3)
        >>> trainer = MultiDomainTrainer(config, n_domains=3, classification="single_label")
        >>> batch = {"image": tf.zeros([2, 32, 32, 3]), "label": tf.one_hot([0, 1], 3), "target": tf.one_hot([2, 0], 3)}
        >>> "d_classification" in trainer.train_step(batch).losses
        True
    """

    def __init__(
        self,
        config: MultiDomainConfig,
        n_domains: int,
        classification: str,
        strategy: tf.distribute.Strategy | None = None,
    ) -> None:
        super().__init__(name="multidomain_trainer")
        if classification not in L.CLASSIFICATION_MODES:
            raise ValueError(f"classification must be one of {L.CLASSIFICATION_MODES}, got {classification!r}")
        config.validate()
        self.config = config
        self.n_domains = n_domains
        self.classification = classification
        self.strategy = strategy or tf.distribute.get_strategy()
        c = config
        self.layer_dtype = compute_dtype(c.mixed_precision)
        with self.strategy.scope(), dtype_policy(c.mixed_precision):
            keras.utils.set_random_seed(c.seed)
            self.generator = build_multidomain_generator(
                n_domains, ngf=c.ngf, n_blocks=c.n_blocks, n_masks=c.n_masks, name="generator"
            )
            self.conv_algorithm = training_conv_algorithm(c.conv_algorithm, c.mixed_precision,
                                                          uses_accelerator(self.strategy))  # fmt: skip
            use_conv_algorithm(self.generator, self.conv_algorithm)
            self.discriminator = build_multidomain_discriminator(
                n_domains, c.image_size, ndf=c.ndf, n_layers=c.n_layers_d, name="discriminator"
            )
            # The generator optimizer takes one step per n_critic critic steps: count its schedule in its steps.
            decay = c.lr_decay_steps
            g_schedule = ConstantThenLinearDecay(
                c.g_learning_rate, (c.steps - decay) // c.n_critic, decay // c.n_critic
            )
            d_schedule = ConstantThenLinearDecay(c.d_learning_rate, c.steps - decay, decay)
            self.generator_optimizer = make_adam(g_schedule, c.beta_1, c.beta_2, "g_optimizer", c.mixed_precision)
            self.discriminator_optimizer = make_adam(d_schedule, c.beta_1, c.beta_2, "d_optimizer", c.mixed_precision)
            self.generator_optimizer.build(self.generator.trainable_variables)
            self.discriminator_optimizer.build(self.discriminator.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self._discriminator_gradients_fn = gradient_pass(self._discriminator_gradients, c.xla)
        self._generator_gradients_fn = gradient_pass(self._generator_gradients, c.xla)
        self._discriminator_step = StepFunction(self._distributed(self._discriminator_replica_step))
        self._generator_step = StepFunction(self._distributed(self._generator_replica_step))

    def _average(self, per_example: tf.Tensor) -> tf.Tensor:
        return tf.nn.compute_average_loss(per_example, global_batch_size=self.config.batch_size)

    def _sum_over_replicas(self, values: dict) -> dict:
        return {k: self.strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None) for k, v in values.items()}

    def _distributed(self, replica_fn: Callable) -> Callable:
        def run(batch: dict) -> tuple[dict, dict]:
            losses, metrics = self.strategy.run(replica_fn, args=(batch,))
            return self._sum_over_replicas(losses), self._sum_over_replicas(metrics)

        return run

    @staticmethod
    def _as_float32(batch: dict) -> dict:
        return {k: tf.cast(v, tf.float32) for k, v in batch.items()}

    def discriminator_losses(self, batch: dict) -> Terms:
        """Per-example critic terms (weighted) and the classifier accuracy on real images."""
        c = self.config
        real, label, target = batch["image"], batch["label"], batch["target"]
        fake = tf.stop_gradient(self.generator({"image": real, "label": target}, training=True)["image"])
        out_real = self.discriminator(real, training=True)
        out_fake = self.discriminator(fake, training=True)
        terms = {
            "d_adversarial": L.discriminator_adversarial_loss(out_real["logits"], out_fake["logits"], c.gan_mode),
            "d_classification": c.lambda_cls
            * L.domain_classification_loss(out_real["domain_logits"], label, self.classification),
        }
        if c.gan_mode == "wgan-gp":
            # One draw for the GLOBAL batch, of which each replica takes its rows: the same weights for any
            # number of replicas (and, with one replica, the draw of earlier versions).
            replica = tf.distribute.get_replica_context().replica_id_in_sync_group
            key = tf.stack([tf.cast(c.seed + _ALPHA_SALT, tf.int64), self.step * 64])
            local = tf.shape(real)[0]
            alphas = tf.random.stateless_uniform([tf.maximum(c.batch_size, local * (replica + 1)), 1, 1, 1], key)
            alpha = alphas[local * replica : local * (replica + 1)]
            penalty = L.gradient_penalty(lambda x: self.discriminator(x, training=True)["logits"], real, fake, alpha)
            terms["d_gradient_penalty"] = c.lambda_gp * penalty
        accuracy = L.domain_accuracy(out_real["domain_logits"], label, self.classification)
        return Terms(terms, accuracy)

    def _gradients(
        self, forward: Callable[[], Terms], optimizer: keras.optimizers.Optimizer, variables: list, total_name: str
    ) -> tuple[list, dict, Terms]:
        """Gradients of the summed terms of ``forward()`` (loss-scaled under float16) and the averaged terms."""
        with tf.GradientTape() as tape, SharedWeightCasts(self.layer_dtype):
            result = forward()
            total = self._average(tf.add_n(list(result.terms.values())))
            scaled = optimizer.scale_loss(total)
        losses = {**{k: self._average(v) for k, v in result.terms.items()}, total_name: total}
        return tape.gradient(scaled, variables), losses, result

    def _discriminator_gradients(self, batch: dict) -> tuple[list, dict, dict]:
        gradients, losses, result = self._gradients(
            lambda: self.discriminator_losses(batch), self.discriminator_optimizer,
            self.discriminator.trainable_variables, "d_total",
        )  # fmt: skip
        return gradients, losses, {"d_real_accuracy": self._average(result.accuracy)}

    def _discriminator_replica_step(self, batch: dict) -> tuple[dict, dict]:
        gradients, losses, metrics = self._discriminator_gradients_fn(self._as_float32(batch))
        self.discriminator_optimizer.apply(gradients, self.discriminator.trainable_variables)
        return losses, metrics

    def generator_losses(self, batch: dict) -> Terms:
        """Per-example generator terms (weighted) and the classifier accuracy on the translations."""
        c = self.config
        real, label, target = batch["image"], batch["label"], batch["target"]
        out = self.generator({"image": real, "label": target}, training=True)
        judged = self.discriminator(out["image"], training=True)
        reconstruction = self.generator({"image": out["image"], "label": label}, training=True)["image"]
        fg = foreground(out["attention"])
        terms = {
            "g_adversarial": L.generator_adversarial_loss(judged["logits"], c.gan_mode),
            "g_classification": c.lambda_cls
            * L.domain_classification_loss(judged["domain_logits"], target, self.classification),
            "g_reconstruction": c.lambda_rec * L.reconstruction_loss(reconstruction, real),
        }
        if c.lambda_tv > 0:
            terms["g_attention_tv"] = c.lambda_tv * L.total_variation_loss(fg)
        if c.lambda_attention_l1 > 0:
            terms["g_attention_l1"] = c.lambda_attention_l1 * L.attention_l1_loss(out["attention"])
        accuracy = L.domain_accuracy(judged["domain_logits"], target, self.classification)
        return Terms(terms, accuracy, out["attention"])

    def _generator_gradients(self, batch: dict) -> tuple[list, dict, dict]:
        gradients, losses, result = self._gradients(
            lambda: self.generator_losses(batch), self.generator_optimizer, self.generator.trainable_variables,
            "g_total",
        )  # fmt: skip
        replicas = self.strategy.num_replicas_in_sync
        stats = mask_statistics(result.attention)  # batch means: summed over replicas, so divided by their number
        metrics = {
            "g_fake_accuracy": self._average(result.accuracy),
            "foreground_mean": self._average(tf.reduce_mean(foreground(result.attention), axis=[1, 2, 3])),
            "background_mean": stats["background_mean"] / replicas,
            "mask_entropy": stats["entropy"] / replicas,
        }
        return gradients, losses, metrics

    def _generator_replica_step(self, batch: dict) -> tuple[dict, dict]:
        gradients, losses, metrics = self._generator_gradients_fn(self._as_float32(batch))
        self.generator_optimizer.apply(gradients, self.generator.trainable_variables)
        return losses, metrics

    def train_step(self, batch: dict) -> StepResult:
        """One critic step, plus a generator step when ``step + 1`` is a multiple of ``n_critic``."""
        losses, metrics = self._discriminator_step(batch)
        if (int(self.step.numpy()) + 1) % self.config.n_critic == 0:
            g_losses, g_metrics = self._generator_step(batch)
            losses, metrics = {**losses, **g_losses}, {**metrics, **g_metrics}
        self.step.assign_add(1)
        return StepResult.from_tensors(losses, metrics)

    def translate(self, images: np.ndarray | tf.Tensor, labels: np.ndarray | tf.Tensor) -> dict[str, tf.Tensor]:
        """Run the generator on (B, H, W, 3) images in [-1, 1] towards (B, c) labels; returns its output dict."""
        return self.generator(
            {"image": tf.convert_to_tensor(images, tf.float32), "label": tf.convert_to_tensor(labels, tf.float32)}
        )

    def translated_accuracy(self, images: np.ndarray, labels: np.ndarray) -> float:
        """Auxiliary-classifier accuracy on translations of ``images`` to every OTHER domain (single-label) or
        to each label with one attribute flipped (multi-label): how often D sees the requested domain."""
        images, labels = np.asarray(images, np.float32), np.asarray(labels, np.float32)
        hits = []
        for column in range(self.n_domains):
            if self.classification == "single_label":
                keep = labels[:, column] == 0
                targets = np.tile(np.eye(self.n_domains, dtype=np.float32)[column], (int(keep.sum()), 1))
            else:
                keep = np.ones(len(labels), bool)
                targets = labels.copy()
                targets[:, column] = 1.0 - targets[:, column]
            if not keep.any():
                continue
            fakes = self.translate(images[keep], targets)["image"]
            logits = self.discriminator(fakes)["domain_logits"]
            hits.append(L.domain_accuracy(logits, targets, self.classification).numpy())
        return float(np.mean(np.concatenate(hits)))
