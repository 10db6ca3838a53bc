// Run an exported AttentionGAN TF.js graph model in Node with @tensorflow/tfjs + the wasm backend.
//
// Usage: node tfjs_node_run.mjs MANIFEST.json   (package data of attentiongan_tf; run by inference/tfjs_node.py)
// MANIFEST: {"model_dir": "...", "node_modules": "/abs/node_modules", "threads": 2, "items": [{"input": "x.f32",
//            "shape": [1, H, W, 3], "output_prefix": "out/x", "labels": "l.f32" (multi-domain models only)}]}
// Inputs are raw little-endian float32 images in [-1, 1] (labels: float32 (1, n_domains)). For every item and
// output name (image, attention, content) the script writes OUTPUT_PREFIX.NAME.f32 and prints one JSON line
// {"backend", "threads", "outputs": [{"shapes": {name: shape}, "ms"}...]}. "threads" (default 1) is the
// wasm backend's thread count. The TF.js packages are loaded from MANIFEST.node_modules (the script lives
// inside the Python package, where no node_modules is).
import fs from 'node:fs';

import { fileHandler, startWasmBackend } from './tfjs_wasm.mjs';

const OUTPUTS = ['image', 'attention', 'content'];
let tf;

function readFloats(file) {
  const raw = fs.readFileSync(file);
  return new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
}

function fail(message) {
  process.stderr.write(`tfjs_node_run: ${message}\n`);
  process.exit(2);
}

async function main() {
  const manifestPath = process.argv[2];
  if (!manifestPath || !fs.existsSync(manifestPath)) fail(`manifest not found: ${manifestPath}`);
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  const backend = await startWasmBackend(manifest.node_modules, manifest.threads ?? 1);
  tf = backend.tf;
  const model = await tf.loadGraphModel(fileHandler(manifest.model_dir));
  const results = [];
  for (const item of manifest.items) {
    const input = tf.tensor(readFloats(item.input), item.shape, 'float32');
    const feed = { images: input };
    if (item.labels) feed.labels = tf.tensor(readFloats(item.labels), item.labels_shape, 'float32');
    // ms: execute and read every output back (the latency a caller sees), not the file writes after it.
    const started = performance.now();
    const outputs = model.execute(feed, OUTPUTS);
    const values = [];
    for (const output of outputs) values.push(await output.data());
    const ms = performance.now() - started;
    const shapes = {};
    for (let i = 0; i < OUTPUTS.length; i++) {
      const data = values[i];
      fs.writeFileSync(`${item.output_prefix}.${OUTPUTS[i]}.f32`, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      shapes[OUTPUTS[i]] = outputs[i].shape;
    }
    results.push({ shapes, ms });
    tf.dispose([...Object.values(feed), ...outputs]);
  }
  const report = { backend: tf.getBackend(), threads: backend.threads, outputs: results };
  process.stdout.write(JSON.stringify(report) + '\n');
}

// exit() also ends the wasm backend's worker threads, which would keep Node running.
main().then(() => process.exit(0), (error) => fail(error.stack || String(error)));
