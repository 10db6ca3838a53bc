"""Entry point kept at the repository root: ``python evaluate.py --help`` (same as ``attentiongan-evaluate``).

The program lives in :mod:`attentiongan_tf.cli.evaluate`.
"""

import sys

from attentiongan_tf.cli.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
