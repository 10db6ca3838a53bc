"""What the ``--mixed-precision auto`` tests share: a machine where ``auto`` picks bfloat16, and a TPU VM."""

from attentiongan_tf.training import precision


def auto_bfloat16(monkeypatch, winograd: bool) -> list[dict]:
    """Make ``auto`` pick bfloat16 (with Winograd convolutions or not); returns the calls of
    ``auto_one_thread_per_op`` (its keyword arguments), which answers no."""
    asked: list[dict] = []
    monkeypatch.setattr(precision, "auto_mixed_precision", lambda **_: "bfloat16")
    monkeypatch.setattr(precision, "auto_bfloat16_winograd", lambda *_: winograd)
    monkeypatch.setattr(precision, "auto_one_thread_per_op", lambda **kwargs: asked.append(kwargs) and False)
    return asked


def on_a_tpu_vm_if_asked(monkeypatch, flags: list[str]) -> list[str]:
    """``flags`` without the marker ``"on a TPU VM"``; where it was there, this process looks like a TPU VM to
    ``--strategy auto`` (which then picks ``tpu``)."""
    if "on a TPU VM" not in flags:
        return flags
    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.setenv("TPU_ACCELERATOR_TYPE", "v5litepod-8")
    return [flag for flag in flags if flag != "on a TPU VM"]
