"""Layers and blocks shared by every model: instance norm, reflection padding, the torch-exact transposed
conv, the ResNet encoder and the decoder heads."""
