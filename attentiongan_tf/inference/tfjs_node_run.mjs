// Run an exported AttentionGAN TF.js graph model in Node with @tensorflow/tfjs + the wasm backend.
//
// Usage: node tfjs_node_run.mjs MANIFEST.json   (package data of attentiongan_tf; run by inference/tfjs_node.py)
// MANIFEST: {"model_dir": "...", "node_modules": "/abs/node_modules", "items": [{"input": "x.f32",
//            "shape": [1, H, W, 3], "output_prefix": "out/x", "labels": "l.f32" (multi-domain models only)}]}
// Inputs are raw little-endian float32 images in [-1, 1] (labels: float32 (1, n_domains)). For every item and
// output name (image, attention, content) the script writes OUTPUT_PREFIX.NAME.f32 and prints one JSON line
// {"outputs": [{name: shape}...]}. The TF.js packages are loaded from MANIFEST.node_modules (the script lives
// inside the Python package, where no node_modules is).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

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

// An IOHandler reading model.json and its weight shards from disk (tfjs-node is not needed).
function fileHandler(modelDir) {
  return {
    load: async () => {
      const jsonPath = path.join(modelDir, 'model.json');
      if (!fs.existsSync(jsonPath)) fail(`no model.json in ${modelDir}`);
      const json = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
      const weightSpecs = [];
      const buffers = [];
      for (const group of json.weightsManifest) {
        for (const shard of group.paths) buffers.push(fs.readFileSync(path.join(modelDir, shard)));
        weightSpecs.push(...group.weights);
      }
      const data = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs,
        weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
      };
    },
  };
}

async function main() {
  const manifestPath = process.argv[2];
  if (!manifestPath || !fs.existsSync(manifestPath)) fail(`manifest not found: ${manifestPath}`);
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  const require = createRequire(import.meta.url);
  const tensorflow = path.join(manifest.node_modules, '@tensorflow');
  tf = require(path.join(tensorflow, 'tfjs'));
  const { setWasmPaths } = require(path.join(tensorflow, 'tfjs-backend-wasm'));
  setWasmPaths(path.join(tensorflow, 'tfjs-backend-wasm', 'dist') + path.sep);
  await tf.setBackend('wasm');
  await tf.ready();
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
  process.stdout.write(JSON.stringify({ backend: tf.getBackend(), outputs: results }) + '\n');
}

main().catch((error) => fail(error.stack || String(error)));
