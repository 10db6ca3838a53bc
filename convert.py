"""Entry point kept at the repository root: ``python convert.py --help`` (same as ``attentiongan-convert``).

The program lives in :mod:`attentiongan_tf.cli.convert`.
"""

import sys

from attentiongan_tf.cli.convert import main

if __name__ == "__main__":
    sys.exit(main())
