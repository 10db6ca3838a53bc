"""One AttentionGAN training step, in the official order, for any ``tf.distribute`` strategy."""

from __future__ import annotations

import functools
from typing import Any

import keras
import tensorflow as tf

from attentiongan_tf.models.discriminators import build_discriminator
from attentiongan_tf.models.fusion import fuse_with_scaled_attention_gradient
from attentiongan_tf.models.generators import build_generator
from attentiongan_tf.nn.resnet_block import use_conv_algorithm
from attentiongan_tf.training import losses as L
from attentiongan_tf.training.config import Config
from attentiongan_tf.training.image_pool import ImagePool
from attentiongan_tf.training.precision import (
    compute_dtype,
    dtype_policy,
    make_adam,
    policy_name,
    training_conv_algorithm,
)
from attentiongan_tf.training.schedules import EpochLinearDecay
from attentiongan_tf.training.step_function import StepFunction
from attentiongan_tf.training.strategies import uses_accelerator
from attentiongan_tf.training.tasks.base import StepResult, gradient_pass
from attentiongan_tf.training.tasks.shared_calls import (
    generator_calls_of_a_step,
    reconstruction_calls,
    shares_generator_calls,
)
from attentiongan_tf.training.tasks.two_domain_results import Fakes, GeneratorForward, Gradients
from attentiongan_tf.training.weight_casts import SharedWeightCasts

__all__ = ["AttentionGANTrainer", "GeneratorForward", "dtype_policy", "policy_name"]

_POOL_SEED_SALT = 1_000_003


class AttentionGANTrainer(tf.Module):
    """Two generators, their discriminators, two optimizers, two image pools and the train step.

    Naming: ``generator_ab`` maps A→B (official ``netG_A``), ``generator_ba`` maps B→A (``netG_B``);
    ``discriminator_b`` judges domain B, i.e. real B vs ``generator_ab`` fakes (official ``netD_A``), and
    ``discriminator_a`` judges domain A (``netD_B``). With ``model.attention_discriminator`` the paper's
    attention-guided discriminators ``attention_discriminator_{a,b}`` (Eq. 6) judge ``[foreground, image]``.

    ``train_step`` runs ``strategy.run`` on the per-replica step; every loss is a sum of per-example values
    divided by the GLOBAL batch size, and the Keras optimizers sum gradients over replicas, so results do
    not depend on the number of replicas. Create the trainer inside no particular scope: it enters
    ``strategy.scope()`` itself.

    Args:
        config: the resolved training ``Config``.
        strategy: a ``tf.distribute.Strategy`` (default: the current one).

    Example:
        >>> trainer = AttentionGANTrainer(preset("demo"))
        >>> batch = {"A": tf.zeros([4, 32, 32, 3]), "B": tf.zeros([4, 32, 32, 3])}
        >>> sorted(trainer.train_step(batch).losses)[:3]
        ['cycle_a', 'cycle_b', 'discriminator_a']
    """

    def __init__(self, config: Config, strategy: tf.distribute.Strategy | None = None) -> None:
        super().__init__(name="attentiongan_trainer")
        self.config = config
        self.strategy = strategy or tf.distribute.get_strategy()
        m, t = config.model, config.train
        self.global_batch_size = config.data.batch_size
        self.use_attention_discriminator = m.attention_discriminator
        replica_pixels = config.data.crop_size**2 * max(1, self.global_batch_size // self.strategy.num_replicas_in_sync)
        accelerator = uses_accelerator(self.strategy)
        self.conv_algorithm = training_conv_algorithm(t.conv_algorithm, t.mixed_precision, accelerator)
        self.shared_generator_calls = shares_generator_calls(self.conv_algorithm, t.mixed_precision, replica_pixels)
        self.layer_dtype = compute_dtype(t.mixed_precision)
        with self.strategy.scope(), dtype_policy(t.mixed_precision):
            keras.utils.set_random_seed(t.seed)
            gen: dict[str, Any] = dict(variant=m.variant, ngf=m.ngf, n_blocks=m.n_blocks, n_masks=config.n_masks,
                       attention_kernel_size=m.attention_kernel_size)  # fmt: skip
            self.generator_ab = build_generator(**gen, name="generator_ab")
            self.generator_ba = build_generator(**gen, name="generator_ba")
            for generator in (self.generator_ab, self.generator_ba):
                use_conv_algorithm(generator, self.conv_algorithm)
            self.discriminator_a = build_discriminator(m.ndf, m.n_layers_d, name="discriminator_a")
            self.discriminator_b = build_discriminator(m.ndf, m.n_layers_d, name="discriminator_b")
            self.discriminators = [self.discriminator_a, self.discriminator_b]
            if m.attention_discriminator:
                self.attention_discriminator_a = build_discriminator(m.ndf, m.n_layers_d, 1, name="att_disc_a")
                self.attention_discriminator_b = build_discriminator(m.ndf, m.n_layers_d, 1, name="att_disc_b")
                self.discriminators += [self.attention_discriminator_a, self.attention_discriminator_b]
            # The official per-epoch rule with one step per epoch (official code on a one-image dataset).
            self.schedule = EpochLinearDecay(t.learning_rate, config.lr_constant_steps, config.lr_decay_steps)
            self.generator_optimizer = self._make_optimizer("generator_optimizer")
            self.discriminator_optimizer = self._make_optimizer("discriminator_optimizer")
            self.generator_variables = self.generator_ab.trainable_variables + self.generator_ba.trainable_variables
            self.discriminator_variables = [v for d in self.discriminators for v in d.trainable_variables]
            # Keras 3 creates slots lazily; build them now so a restore before the first step is exact.
            self.generator_optimizer.build(self.generator_variables)
            self.discriminator_optimizer.build(self.discriminator_variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
            channels = 3 + (1 if m.attention_discriminator else 0)
            shape = (config.data.crop_size, config.data.crop_size, channels)
            self.pool_a = ImagePool(t.pool_size, shape, name="pool_a")
            self.pool_b = ImagePool(t.pool_size, shape, name="pool_b")
        self._generator_gradients_fn = gradient_pass(self._generator_gradients, t.xla)
        self._discriminator_gradients_fn = gradient_pass(self._discriminator_gradients, t.xla)
        self._train_step_fn = StepFunction(self._train_step)

    def _make_optimizer(self, name: str) -> keras.optimizers.Optimizer:
        t = self.config.train
        return make_adam(self.schedule, t.beta_1, t.beta_2, name, t.mixed_precision)

    def _average(self, per_example: tf.Tensor) -> tf.Tensor:
        return tf.nn.compute_average_loss(per_example, global_batch_size=self.global_batch_size)

    def _reconstruction_image(self, output: dict, source: tf.Tensor, attention_gradient: float) -> tf.Tensor:
        """``output["image"]``, with only ``attention_gradient`` of its gradient flowing into the masks."""
        if attention_gradient == 1.0 or self.config.model.variant == "cyclegan":
            return output["image"]
        geo = self.config.model.variant == "geo"
        return fuse_with_scaled_attention_gradient(output, source, attention_gradient, background_is_source=not geo)

    def generator_losses(self, real_a: tf.Tensor, real_b: tf.Tensor, step: tf.Tensor) -> GeneratorForward:
        """Forward both cycles: the per-example loss terms (``terms``) and the generators' outputs."""
        lo = self.config.loss
        gan = self.config.loss.gan_mode
        identity = lo.lambda_identity > 0
        cyc, recon = lo.cycle_attention_gradient, self._reconstruction_image
        cycle_input = functools.partial(recon, attention_gradient=cyc)
        calls = None
        if identity and self.shared_generator_calls:
            calls = generator_calls_of_a_step(self.generator_ab, self.generator_ba, real_a, real_b, cycle_input)
            out_ab, out_ba = calls.out_ab, calls.out_ba
        else:
            out_ab = self.generator_ab(real_a, training=True)
            out_ba = self.generator_ba(real_b, training=True)
        fake_b, fake_a = out_ab["image"], out_ba["image"]
        fg_ab, fg_ba = L.foreground(out_ab["attention"]), L.foreground(out_ba["attention"])
        terms = {
            "generator_ab": L.adversarial_loss(self.discriminator_b(fake_b, training=True), True, gan),
            "generator_ba": L.adversarial_loss(self.discriminator_a(fake_a, training=True), True, gan),
        }
        if calls is None:
            calls = reconstruction_calls(self.generator_ab, self.generator_ba, out_ab, out_ba, real_a, real_b,
                                         cycle_input)  # fmt: skip
        # The reconstruction losses see the same images; only a share of their gradient reaches the masks.
        rec_a = cycle_input(calls.rec_a, calls.cycle_input_b)
        rec_b = cycle_input(calls.rec_b, calls.cycle_input_a)
        terms["cycle_a"] = lo.lambda_cycle_a * L.cycle_loss(rec_a, real_a)
        terms["cycle_b"] = lo.lambda_cycle_b * L.cycle_loss(rec_b, real_b)
        if identity:
            idt = lo.identity_attention_gradient
            weight_b, weight_a = lo.lambda_cycle_b * lo.lambda_identity, lo.lambda_cycle_a * lo.lambda_identity
            same_b_out = calls.same_b if calls.same_b is not None else self.generator_ab(real_b, training=True)
            same_a_out = calls.same_a if calls.same_a is not None else self.generator_ba(real_a, training=True)
            same_b, same_a = recon(same_b_out, real_b, idt), recon(same_a_out, real_a, idt)
            terms["identity_ab"] = weight_b * L.identity_loss(same_b, real_b)
            terms["identity_ba"] = weight_a * L.identity_loss(same_a, real_a)
        if self.use_attention_discriminator and lo.lambda_attention_gan > 0:
            fake_pair_b = {"image": fake_b, "attention": fg_ab}
            fake_pair_a = {"image": fake_a, "attention": fg_ba}
            terms["attention_gan_ab"] = lo.lambda_attention_gan * L.adversarial_loss(
                self.attention_discriminator_b(fake_pair_b, training=True), True, gan
            )
            terms["attention_gan_ba"] = lo.lambda_attention_gan * L.adversarial_loss(
                self.attention_discriminator_a(fake_pair_a, training=True), True, gan
            )
        if lo.lambda_pixel > 0:
            r = L.curriculum_weight(step, lo.curriculum_switch_step, lo.curriculum_early, lo.curriculum_late)
            terms["pixel_ab"] = lo.lambda_pixel * r * L.pixel_loss(fake_b, real_a)
            terms["pixel_ba"] = lo.lambda_pixel * r * L.pixel_loss(fake_a, real_b)
        if lo.lambda_background > 0:
            for direction, outputs in (("ab", out_ab), ("ba", out_ba)):
                prior = L.background_prior(outputs["attention"], lo.background_target)
                terms[f"background_prior_{direction}"] = lo.lambda_background * prior
        if lo.lambda_tv > 0:
            terms["tv_ab"] = lo.lambda_tv * L.total_variation_loss(fg_ab)
            terms["tv_ba"] = lo.lambda_tv * L.total_variation_loss(fg_ba)
        return GeneratorForward(terms, out_ab, out_ba, fg_ab, fg_ba)

    def _generator_gradients(self, real_a: tf.Tensor, real_b: tf.Tensor, step: tf.Tensor) -> Gradients:
        with tf.GradientTape() as tape, SharedWeightCasts(self.layer_dtype):
            forward = self.generator_losses(real_a, real_b, step)
            total = self._average(tf.add_n(list(forward.terms.values())))
            scaled = self.generator_optimizer.scale_loss(total)
        gradients = tape.gradient(scaled, self.generator_variables)
        summary = {name: self._average(value) for name, value in forward.terms.items()}
        summary["generator_total"] = total
        metrics = {}
        # The cyclegan ablation has no attention: no mask statistics (and so no collapse warnings).
        for direction, out in () if self.config.model.variant == "cyclegan" else (("ab", forward.out_ab),
                                                                                   ("ba", forward.out_ba)):
            stats = L.mask_statistics(out["attention"])
            metrics[f"background_mean_{direction}"] = stats["background_mean"] / self.strategy.num_replicas_in_sync
            metrics[f"mask_entropy_{direction}"] = stats["entropy"] / self.strategy.num_replicas_in_sync
        fakes = Fakes(forward.out_ba["image"], forward.out_ab["image"], forward.fg_ab, forward.fg_ba)
        return Gradients(gradients, summary, metrics, fakes)

    def _discriminator_gradients(
        self,
        real_a: tf.Tensor,
        real_b: tf.Tensor,
        pooled_a: tf.Tensor,
        pooled_b: tf.Tensor,
        real_fg_a: tf.Tensor,
        real_fg_b: tf.Tensor,
    ) -> Gradients:
        gan = self.config.loss.gan_mode
        with tf.GradientTape() as tape, SharedWeightCasts(self.layer_dtype):
            terms = {
                "discriminator_b": L.discriminator_loss(
                    self.discriminator_b(real_b, training=True),
                    self.discriminator_b(pooled_b[..., :3], training=True),
                    gan,
                ),
                "discriminator_a": L.discriminator_loss(
                    self.discriminator_a(real_a, training=True),
                    self.discriminator_a(pooled_a[..., :3], training=True),
                    gan,
                ),
            }
            if self.use_attention_discriminator:
                # Real pairs use the attention the OTHER generator puts on the real image (paper Eq. 6).
                terms["attention_discriminator_b"] = L.discriminator_loss(
                    self.attention_discriminator_b({"image": real_b, "attention": real_fg_b}, training=True),
                    self.attention_discriminator_b(
                        {"image": pooled_b[..., :3], "attention": pooled_b[..., 3:]}, training=True
                    ),
                    gan,
                )
                terms["attention_discriminator_a"] = L.discriminator_loss(
                    self.attention_discriminator_a({"image": real_a, "attention": real_fg_a}, training=True),
                    self.attention_discriminator_a(
                        {"image": pooled_a[..., :3], "attention": pooled_a[..., 3:]}, training=True
                    ),
                    gan,
                )
            total = self._average(tf.add_n(list(terms.values())))
            scaled = self.discriminator_optimizer.scale_loss(total)
        gradients = tape.gradient(scaled, self.discriminator_variables)
        summary = {name: self._average(value) for name, value in terms.items()}
        summary["discriminator_total"] = total
        return Gradients(gradients, summary, {})

    def _pool_seed(self, step: tf.Tensor, which: int) -> tf.Tensor:
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        counter = tf.cast(step, tf.int32) * 256 + tf.cast(replica, tf.int32) * 4 + 2 * which
        return tf.stack([tf.constant(self.config.train.seed + _POOL_SEED_SALT, tf.int32), counter])

    def _replica_step(self, real_a: tf.Tensor, real_b: tf.Tensor) -> tuple[dict, dict]:
        step = self.step.read_value()
        real_a, real_b = tf.cast(real_a, tf.float32), tf.cast(real_b, tf.float32)

        # 1-2. Forward both cycles and compute the generator losses (discriminators are not updated).
        g = self._generator_gradients_fn(real_a, real_b, step)

        # 3. Generator update (Adam over both generators; gradients are summed over replicas).
        self.generator_optimizer.apply(g.gradients, self.generator_variables)

        # 4. Image pools: the discriminators see a mix of new and past fakes.
        fakes = Fakes(*(tf.stop_gradient(v) for v in g.fakes))
        if self.use_attention_discriminator:
            new_b = tf.concat([fakes.fake_b, fakes.fg_ab], axis=-1)
            new_a = tf.concat([fakes.fake_a, fakes.fg_ba], axis=-1)
        else:
            new_b, new_a = fakes.fake_b, fakes.fake_a
        pooled_b = self.pool_b.query(new_b, self._pool_seed(step, 0))
        pooled_a = self.pool_a.query(new_a, self._pool_seed(step, 1))

        # 5. Discriminator losses, halved as in the official code (real_fg_x: attention on the real image x
        #    from the generator that translates x, used only by the attention-guided discriminators).
        d = self._discriminator_gradients_fn(real_a, real_b, pooled_a, pooled_b, fakes.fg_ab, fakes.fg_ba)

        # 6. Discriminator update.
        self.discriminator_optimizer.apply(d.gradients, self.discriminator_variables)
        return {**g.losses, **d.losses}, g.metrics

    def _train_step(self, batch: dict) -> tuple[dict, dict]:
        losses, metrics = self.strategy.run(self._replica_step, args=(batch["A"], batch["B"]))
        losses, metrics = ({k: self.strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None) for k, v in d.items()}
                           for d in (losses, metrics))  # fmt: skip
        metrics["learning_rate"] = self.schedule(self.step)
        self.step.assign_add(1)
        return losses, metrics

    def train_step(self, batch: dict) -> StepResult:
        """One optimizer step of both groups on a (distributed) batch ``{"A", "B"}``; float losses and metrics."""
        return StepResult.from_tensors(*self._train_step_fn(batch))

    def translate(self, images: tf.Tensor, direction: str = "AtoB") -> dict[str, tf.Tensor]:
        """Run one generator (``AtoB`` or ``BtoA``) on a batch; returns its output dict."""
        generator = {"AtoB": self.generator_ab, "BtoA": self.generator_ba}[direction]
        return generator(tf.convert_to_tensor(images, tf.float32))
