// Run an exported AttentionGAN TF.js graph model in Node with @tensorflow/tfjs + the wasm backend.
//
// Usage: node tools/tfjs_node_run.mjs MANIFEST.json
// MANIFEST: {"model_dir": "...", "items": [{"input": "x.f32", "shape": [1, H, W, 3], "output_prefix": "out/x"}]}
// Inputs are raw little-endian float32 images in [-1, 1]. For every item and output name (image, attention,
// content) the script writes OUTPUT_PREFIX.NAME.f32 and prints one JSON line {"outputs": [{name: shape}...]}.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const OUTPUTS = ['image', 'attention', 'content'];

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
  const here = path.dirname(fileURLToPath(import.meta.url));
  const wasmDir = path.join(here, '..', 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  setWasmPaths(wasmDir + path.sep);
  await tf.setBackend('wasm');
  await tf.ready();
  const model = await tf.loadGraphModel(fileHandler(manifest.model_dir));
  const results = [];
  for (const item of manifest.items) {
    const raw = fs.readFileSync(item.input);
    const values = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    const input = tf.tensor(values, item.shape, 'float32');
    const started = performance.now();
    const outputs = model.execute({ images: input }, OUTPUTS);
    const shapes = {};
    for (let i = 0; i < OUTPUTS.length; i++) {
      const data = await outputs[i].data();
      fs.writeFileSync(`${item.output_prefix}.${OUTPUTS[i]}.f32`, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      shapes[OUTPUTS[i]] = outputs[i].shape;
    }
    results.push({ shapes, ms: performance.now() - started });
    tf.dispose([input, ...outputs]);
  }
  process.stdout.write(JSON.stringify({ backend: tf.getBackend(), outputs: results }) + '\n');
}

main().catch((error) => fail(error.stack || String(error)));
