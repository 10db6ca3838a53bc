"""Reading the official PyTorch code's ``.pth`` files without torch (bounded, code-free unpickling) and
converting them to our models."""
