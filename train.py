"""Entry point kept at the repository root: ``python train.py --help`` (same as ``attentiongan-train``).

The program lives in :mod:`attentiongan_tf.cli.train`.
"""

import sys

from attentiongan_tf.cli.train import main

if __name__ == "__main__":
    sys.exit(main())
