"""Entry point kept at the repository root: ``python translate.py --help`` (same as ``attentiongan-translate``).

The program lives in :mod:`attentiongan_tf.cli.translate`.
"""

import sys

from attentiongan_tf.cli.translate import main

if __name__ == "__main__":
    sys.exit(main())
