"""Entry point kept at the repository root: ``python export.py --help`` (same as ``attentiongan-export``).

The program lives in :mod:`attentiongan_tf.cli.export`.
"""

import sys

from attentiongan_tf.cli.export import main

if __name__ == "__main__":
    sys.exit(main())
