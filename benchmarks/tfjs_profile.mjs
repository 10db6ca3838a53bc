// Where the time of a TF.js graph model goes in Node (wasm backend), and the backend's convolution peak.
//
// Usage: node benchmarks/tfjs_profile.mjs NODE_MODULES SIZE REPEATS THREADS MODEL_DIR...
// For each model: one warm-up, then REPEATS tf.profile runs of execute + data() on a [1, SIZE, SIZE, 3] input;
// the run with the smallest total kernel time is kept (the machine's quietest). Per op: kernel ms and calls;
// for Conv2D also the MACs (output pixels × kernel taps × in × out channels). Then the peak: a 3×3 256 → 256
// convolution on a 64² input (the ResNet block conv) timed alone, and a 1024³ matmul. THREADS: the wasm
// backend's threads (attentiongan_tf/inference/tfjs_wasm.mjs). Prints one JSON line
// {"models": {dir: {"total_ms", "ops": {op: {"ms", "calls"}}, "conv_macs"}}, "peak": {...}}.
import path from 'node:path';

import { fileHandler, startWasmBackend } from '../attentiongan_tf/inference/tfjs_wasm.mjs';

const [nodeModules, sizeText, repeatsText, threadsText, ...dirs] = process.argv.slice(2);
if (!nodeModules || !dirs.length) {
  process.stderr.write('usage: node benchmarks/tfjs_profile.mjs NODE_MODULES SIZE REPEATS THREADS MODEL_DIR...\n');
  process.exit(2);
}
const size = Number(sizeText);
const repeats = Number(repeatsText);
const { tf, threads } = await startWasmBackend(path.resolve(nodeModules), Number(threadsText));
const load = (dir) => tf.loadGraphModel(fileHandler(dir));

function convMacs(kernel) {
  const [input, filter] = kernel.inputShapes;
  const output = kernel.outputShapes[0];
  return output[0] * output[1] * output[2] * filter[0] * filter[1] * input[3] * filter[3];
}

async function profileModel(dir) {
  const model = await load(dir);
  const input = tf.randomUniform([1, size, size, 3], -1, 1);
  const run = () => model.execute({ images: input }, ['image', 'attention', 'content']);
  tf.dispose(await Promise.all(run().map(async (t) => { await t.data(); return t; })));
  let best = null;
  for (let r = 0; r < repeats; r++) {
    const profile = await tf.profile(async () => {
      const outputs = run();
      for (const t of outputs) await t.data();
      return outputs;
    });
    const ops = {};
    let total = 0;
    let macs = 0;
    for (const kernel of profile.kernels) {
      const ms = await kernel.kernelTimeMs;
      const entry = (ops[kernel.name] ||= { ms: 0, calls: 0 });
      entry.ms += ms;
      entry.calls += 1;
      total += ms;
      if (kernel.name === 'Conv2D' || kernel.name === 'FusedConv2D') macs += convMacs(kernel);
    }
    if (best === null || total < best.total_ms) best = { total_ms: total, ops, conv_macs: macs };
  }
  tf.dispose(input);
  model.dispose();
  return best;
}

async function bestMs(fn, count) {
  tf.dispose(fn());
  let best = Infinity;
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const out = fn();
    await out.data();
    best = Math.min(best, performance.now() - start);
    out.dispose();
  }
  return best;
}

const models = {};
for (const dir of dirs) models[dir] = await profileModel(dir);
const x = tf.randomNormal([1, 66, 66, 256]);
const w = tf.randomNormal([3, 3, 256, 256]);
const convMs = await bestMs(() => tf.conv2d(x, w, 1, 'valid'), 7);
const a = tf.randomNormal([1024, 1024]);
const b = tf.randomNormal([1024, 1024]);
const matmulMs = await bestMs(() => tf.matMul(a, b), 7);
const peak = {
  conv_gmacs: (64 * 64 * 9 * 256 * 256) / convMs / 1e6,
  matmul_gmacs: 1024 ** 3 / matmulMs / 1e6,
  simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
  threads,
};
process.stdout.write(JSON.stringify({ models, peak }) + '\n');
process.exit(0); // ends the backend's worker threads
