"""ONNX Runtime latency of the full-size generator (ngf 64, 9 blocks) at 256², written to benchmarks/ONNX_RESULTS.md.

    python benchmarks/onnx_latency.py [--threads N] [--runs 10]

Random weights (latency does not depend on them): build -> SavedModel -> tf2onnx (float and uint8 models) ->
onnxruntime CPU, median of --runs calls after one warm-up; the SavedModel's translate_float is timed alongside.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from attentiongan_tf.cli import env as cli_env  # noqa: E402

cli_env.quiet_start()

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from attentiongan_tf import build_generator  # noqa: E402
from attentiongan_tf.export import export_savedmodel  # noqa: E402
from attentiongan_tf.export.onnx_export import export_onnx  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "ONNX_RESULTS.md"


def median_ms(fn, runs: int) -> float:
    """Median wall time of ``fn()`` in ms over ``runs`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime intra-op threads (0: its default)")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    import onnxruntime

    tf.keras.utils.set_random_seed(0)
    model = build_generator(ngf=64, n_blocks=9)
    image = np.random.default_rng(0).integers(0, 256, (1, 256, 256, 3), dtype=np.uint8)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        saved = export_savedmodel(model, tmp)["path"]
        onnx_files = export_onnx(saved, tmp)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = args.threads
        for variant, info in onnx_files.items():
            session = onnxruntime.InferenceSession(info["path"], options, providers=["CPUExecutionProvider"])
            feed = {"images": image if variant == "uint8" else image.astype(np.float32) / 127.5 - 1}
            ms = median_ms(lambda s=session, f=feed: s.run(None, f), args.runs)
            rows.append((f"ONNX {variant} (onnxruntime {onnxruntime.__version__}, CPU)", info["size_bytes"], ms))
        signature = tf.saved_model.load(saved).signatures["translate_float"]
        floats = tf.constant(image.astype(np.float32) / 127.5 - 1)
        rows.append(
            ("SavedModel translate_float (TF, CPU)", None, median_ms(lambda: signature(images=floats), args.runs))
        )
    lines = [
        "# ONNX Runtime latency, full-size generator (ngf 64, 9 blocks), one 256×256 image",
        "",
        f"Written by `benchmarks/onnx_latency.py` (median of {args.runs} runs after a warm-up, "
        f"{args.threads or 'default'} threads); machine: {cli_env.device_line()}, shared CPU cores.",
        "",
        "| runtime | size (MB) | latency (ms) |",
        "| --- | ---: | ---: |",
        *(f"| {name} | {'' if size is None else f'{size / 1e6:.1f}'} | {ms:.0f} |" for name, size, ms in rows),
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
