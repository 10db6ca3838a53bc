"""The command-line programs (``attentiongan-train``, ``-translate``, ``-export``, ``-evaluate``, ``-convert``);
the repository's root scripts are thin wrappers around these ``main`` functions."""
