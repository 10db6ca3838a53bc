"""Run by test_multi_worker.py as one of two worker processes (TF_CONFIG set by the test)."""

import sys

import numpy as np

from attentiongan_tf.training.config import preset
from attentiongan_tf.training.loop import train

if __name__ == "__main__":
    dataroot, output_dir, weights_path = sys.argv[1:4]
    config = preset("demo")
    config.model.ngf, config.model.n_blocks, config.model.ndf, config.model.n_layers_d = 4, 1, 4, 2
    config.data.dataroot = dataroot
    config.data.load_size = config.data.crop_size = 16
    config.data.batch_size = 4
    config.train.steps = 3
    config.train.pool_size = 2
    config.train.strategy = "multi_worker"
    config.train.output_dir = output_dir
    result = train(config, progress=False)
    trainer = result.trainer
    models = [trainer.generator_ab, trainer.generator_ba, trainer.discriminator_a, trainer.discriminator_b]
    np.savez(weights_path, replicas=trainer.strategy.num_replicas_in_sync, step=result.step,
             **{w.path.replace("/", "."): w.numpy() for m in models for w in m.weights})
