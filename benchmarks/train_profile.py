"""Where the time goes: an op-level profile of one training iteration, and the arithmetic bound of the generator.

1. Runs the ``official`` preset's train step (batch 1, float32, default graph) under the TensorFlow profiler
   and sums the time of every op, grouped into convolution forward / backward-input / backward-filter,
   instance norm, reflection padding and the rest.
2. Counts the multiply-accumulates (MACs) of one generator forward pass from its graph, measures this
   machine's float32 matrix-multiply peak (TF ``matmul`` 4096², the best case for any convolution kernel) and
   prints the fastest forward pass that peak allows.
3. Times the dominant convolution (3×3, 256→256 channels, on the 64² ResNet-block grid of a 256² image) in
   TensorFlow and, when ``torch`` is importable, in PyTorch: both use oneDNN on CPU.

Writes the "train_profile" section of RESULTS.md::

    python benchmarks/train_profile.py --size 128

With ``--mode`` (a train_speed mode other than ``float32``, e.g. ``winograd_1op`` or
``bfloat16_winograd_1thread``) it profiles that mode's iteration instead, with the Winograd convolutions' ops in
groups of their own, and writes only the "train_profile_<mode>_<size>" section (steps 2 and 3 are for float32).
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine_description, save_data, update_section  # noqa: E402
from train_speed import MODES, mode_config  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

CATEGORIES = [
    ("convolution forward", ("Conv2D", "FusedConv2D", "PadWithFusedConv2D", "DepthwiseConv")),
    ("convolution backward (input)", ("Conv2DBackpropInput",)),
    ("convolution backward (filter)", ("Conv2DBackpropFilter", "Conv2DBackpropFilterWithBias")),
    ("instance norm (fused kernels)", ("FusedBatchNormV3", "FusedBatchNormGradV3")),
    ("reflection padding (+ gradient)", ("MirrorPad", "MirrorPadGrad")),
    ("optimizer (Adam variable updates)",
     ("AssignAddVariableOp", "AssignSubVariableOp", "AssignVariableOp", "ResourceApplyAdam")),
    ("Winograd: the positions' matrix products (BatchMatMul)", ("BatchMatMulV2",)),
    ("Winograd: transforms of input, output and kernel, and their adjoints (MatMul)", ("MatMul",)),
    ("Winograd: tile gathers, pads and reorders (GatherV2, Pad, Transpose, Split)",
     ("GatherV2", "Pad", "Transpose", "Split")),
]


def op_category(op_type: str, winograd: bool = False) -> str:
    """The group of ``op_type`` (oneDNN's ``_Mkl`` names as TensorFlow's); the Winograd groups only where the
    iteration has Winograd convolutions."""
    base = op_type.removeprefix("_MklNative").removeprefix("_Mkl")
    for category, types in CATEGORIES:
        if base in types and (winograd or not category.startswith("Winograd")):
            return category
    return "everything else (element-wise, reductions, copies)"


def profile_train_step(size: int, steps: int, mode: str = "float32") -> dict:
    import tensorflow as tf
    from tensorflow.python.profiler.internal import _pywrap_profiler_plugin as profiler_plugin

    from attentiongan_tf.training.tasks.two_domain import AttentionGANTrainer

    config = mode_config(mode, size, batch=1)  # the batch fed below (the official recipe's 4 is not timed here)
    winograd = config.train.conv_algorithm == "winograd"
    trainer = AttentionGANTrainer(config)
    rng = np.random.default_rng(0)
    batch = {k: tf.constant(rng.uniform(-1, 1, (1, size, size, 3)), tf.float32) for k in ("A", "B")}

    def step() -> None:
        trainer.train_step(batch)  # returns Python floats: waits for the step

    for _ in range(2):
        step()
    with tempfile.TemporaryDirectory(prefix="train_profile_") as logdir:
        tf.profiler.experimental.start(logdir)
        start = time.perf_counter()
        for _ in range(steps):
            step()
        wall = (time.perf_counter() - start) / steps
        tf.profiler.experimental.stop()
        xplane = glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True)[0]
        trace, ok = profiler_plugin.xspace_to_tools_data([xplane], "trace_viewer@", {})
        if not ok:
            raise RuntimeError(f"could not read the profile: {trace[:200]!r}")
    events = json.loads(trace)["traceEvents"]
    threads = {
        (e["pid"], e["tid"]): e["args"]["name"] for e in events if e.get("ph") == "M" and e.get("name") == "thread_name"
    }
    per_category = collections.Counter()
    for event in events:
        if event.get("ph") != "X" or not threads.get((event["pid"], event["tid"]), "").startswith("tf_Compute"):
            continue
        op_type = event["name"].split(":")[-1]
        if op_type in ("Region", "Process") or op_type.startswith("__inference"):
            continue
        per_category[op_category(op_type, winograd)] += event["dur"] / 1e3 / steps  # trace durations are in µs
    return {"wall_ms": wall * 1e3, "op_ms": dict(per_category)}


def generator_forward_gmac(size: int) -> float:
    """Multiply-accumulates of one scheme II generator forward pass (ngf 64, 9 blocks), counted on its graph."""
    import tensorflow as tf

    from attentiongan_tf import build_generator

    model = build_generator("scheme2", ngf=64, n_blocks=9)
    fn = tf.function(lambda x: model(x)["image"])
    graph = fn.get_concrete_function(tf.TensorSpec([1, size, size, 3])).graph
    macs = 0
    for op in graph.get_operations():
        if op.type == "Conv2D":
            kh, kw, cin, _ = op.inputs[1].shape
            macs += int(np.prod(op.outputs[0].shape)) * kh * kw * cin
        elif op.type == "Conv2DBackpropInput":  # transposed conv: every input pixel meets every kernel tap
            kh, kw, _, cin = op.inputs[1].shape
            macs += int(np.prod(op.inputs[2].shape)) * kh * kw * op.inputs[1].shape[2]
    return macs / 1e9


def matmul_peak_gmacs(n: int = 4096, repeats: int = 5) -> float:
    import tensorflow as tf

    a = tf.random.normal([n, n])
    b = tf.random.normal([n, n])
    tf.matmul(a, b).numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        tf.matmul(a, b).numpy()
        times.append(time.perf_counter() - start)
    return n**3 / min(times) / 1e9


def conv_kernels_ms(repeats: int = 20) -> dict[str, float]:
    """TF vs PyTorch time of the ResNet-block convolution (3×3, 256→256, 64² output), forward and forward+backward."""
    import tensorflow as tf

    def timed(fn) -> float:
        fn()
        fn()
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        return (time.perf_counter() - start) / repeats * 1e3

    x = tf.random.normal([1, 66, 66, 256])
    w = tf.Variable(tf.random.normal([3, 3, 256, 256]) * 0.02)
    forward = tf.function(lambda: tf.nn.conv2d(x, w, 1, "VALID"))

    @tf.function
    def forward_backward():
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.nn.conv2d(x, w, 1, "VALID"))
        # Fetch the loss too: the gradients alone do not need the forward values, and the graph would drop it.
        return [loss, *tape.gradient(loss, [x, w])]

    result = {
        "tf_forward_ms": timed(lambda: forward().numpy()),
        "tf_forward_backward_ms": timed(lambda: [t.numpy() for t in forward_backward()]),
    }
    try:
        import torch
    except ImportError:
        return result
    torch.set_num_threads(2)
    xt = torch.randn(1, 256, 66, 66, requires_grad=True)
    wt = torch.randn(256, 256, 3, 3, requires_grad=True)

    def torch_forward_backward():
        y = torch.nn.functional.conv2d(xt, wt)
        y.backward(torch.ones_like(y))

    with torch.no_grad():
        result["torch_forward_ms"] = timed(lambda: torch.nn.functional.conv2d(xt, wt))
    result["torch_forward_backward_ms"] = timed(torch_forward_backward)
    result["torch"] = torch.__version__
    return result


def render(data: dict) -> str:
    profile, size = data["profile"], data["size"]
    total = sum(profile["op_ms"].values())
    lines = [
        "## Where the time goes (float32 training step, and the generator's arithmetic bound)",
        "",
        f"Machine: {data['machine']}. Written by `benchmarks/train_profile.py`.",
        "",
        f"**Training iteration at {size}²** (official preset, batch 1, float32, default graph; "
        f"{profile['wall_ms']:.0f} ms wall per iteration under the profiler). Op time is summed over TensorFlow's "
        "two inter-op threads, so it exceeds the wall time; the shares are what matters.",
        "",
        "| op group | ms per iteration | share |",
        "|---|---|---|",
    ]
    for category, ms in sorted(profile["op_ms"].items(), key=lambda item: -item[1]):
        lines.append(f"| {category} | {ms:.0f} | {100 * ms / total:.1f}% |")
    conv_share = sum(ms for c, ms in profile["op_ms"].items() if c.startswith("convolution")) / total
    bound = data["generator_gmac"] / data["matmul_peak_gmacs"]
    kernels = data["conv_kernels"]
    lines += [
        "",
        f"Convolutions are {100 * conv_share:.0f}% of the op time. They run in oneDNN, the library PyTorch uses "
        "on CPU too, so a float32 step can only be as fast as oneDNN's convolution kernels: removing every "
        f"other op would leave {conv_share:.2f}× of the iteration time.",
        "",
        "**Dominant convolution** (3×3, 256→256, 64² output: 18 of the generator's 27 convolutions, 2.4 GMAC):",
        "",
        "| framework | forward (ms) | forward + backward (ms) |",
        "|---|---|---|",
        f"| TensorFlow {data['tensorflow']} (oneDNN) | {kernels['tf_forward_ms']:.1f} | "
        f"{kernels['tf_forward_backward_ms']:.1f} |",
    ]
    if "torch_forward_ms" in kernels:
        lines.append(
            f"| PyTorch {kernels['torch']} (oneDNN) | {kernels['torch_forward_ms']:.1f} | "
            f"{kernels['torch_forward_backward_ms']:.1f} |"
        )
    lines += [
        "",
        f"**Generator forward at 256²**: {data['generator_gmac']:.1f} GMAC (counted on the graph). This machine's "
        f"float32 matmul peak is {data['matmul_peak_gmacs']:.0f} GMAC/s (TF `matmul`, 4096²), so no float32 "
        f"runtime can run the generator in less than **{bound:.3f} s** here. The bfloat16 path "
        "(`--mixed-precision bfloat16`, AMX) is not bound by this.",
    ]
    return "\n".join(lines)


def render_mode(data: dict) -> str:
    """The op-group table of one train_speed mode's iteration."""
    profile, total = data["profile"], sum(data["profile"]["op_ms"].values())
    lines = [
        f"## Where the time goes: a `{data['mode']}` training iteration at {data['size']}² (batch 1)",
        "",
        f"Machine: {data['machine']}. Written by `benchmarks/train_profile.py --mode {data['mode']} --size "
        f"{data['size']}`; the official preset as train_speed runs the `{data['mode']}` mode, "
        f"{profile['wall_ms']:.0f} ms wall per iteration under the profiler. Op time is summed over TensorFlow's "
        "inter-op threads: it is the wall time where ops run one at a time, up to twice it where two run side by "
        "side.",
        "",
        "| op group | ms per iteration | share |",
        "|---|---|---|",
    ]
    for category, ms in sorted(profile["op_ms"].items(), key=lambda item: -item[1]):
        lines.append(f"| {category} | {ms:.0f} | {100 * ms / total:.1f}% |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128, help="training crop size of the profiled iteration")
    parser.add_argument("--steps", type=int, default=2, help="profiled iterations (after 2 warm-up iterations)")
    parser.add_argument("--mode", choices=sorted(MODES), default="float32",
                        help="the train_speed mode to profile (float32: also the kernel and arithmetic bounds)")
    args = parser.parse_args()
    import tensorflow as tf

    if args.mode != "float32":
        section = f"train_profile_{args.mode}_{args.size}"
        data = {"machine": machine_description(), "size": args.size, "mode": args.mode, "tensorflow": tf.__version__,
                "profile": profile_train_step(args.size, args.steps, args.mode)}  # fmt: skip
        update_section(section, render_mode(data))
        save_data(section, data)
        print(render_mode(data))
        return

    data = {
        "machine": machine_description(),
        "size": args.size,
        "tensorflow": tf.__version__,
        "profile": profile_train_step(args.size, args.steps),
        "generator_gmac": generator_forward_gmac(256),
        "matmul_peak_gmacs": matmul_peak_gmacs(),
        "conv_kernels": conv_kernels_ms(),
    }
    markdown = render(data)
    update_section("train_profile", markdown)
    save_data("train_profile", data)
    print(markdown)


if __name__ == "__main__":
    main()
