"""The training floor: configs, losses, optimizers, strategies, the one training loop and its tasks."""
