// Starting @tensorflow/tfjs on the wasm backend in Node, with a thread count, and reading graph models from disk.
// Shared by the packaged runner (tfjs_node_run.mjs) and benchmarks/tfjs_profile.mjs.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

// The most threads tfjs-backend-wasm 4.22 runs: it pre-starts 8 pthread workers and caps its pool there.
export const MAX_WASM_THREADS = 8;
const THREADED_FACTORY = 'var WasmBackendModuleThreadedSimd';
// The worker script's "import the main script" step, which reads a Blob URL Node cannot open.
const WORKER_IMPORT = 'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}';

// tfjs-backend-wasm 4.22 never uses its multi-threaded build in Node (tfjs issue 3830), and sizes its
// thread pool as half the logical CPUs, so a 2-CPU machine gets one thread even in a browser. These shims,
// active only while the backend starts, give it `threads` threads in Node:
// - Emscripten starts each pthread worker from a Blob URL; Node's worker_threads need a file. Blob texts are
//   kept and URL.createObjectURL hands out a file in a temporary folder instead.
// - The worker imports the main script from a Blob it cannot read: it is pointed at that script's file.
// - The bundled main script uses the bundle's module variables (require$$0 = fs, ...): a prelude defines them.
// - os.cpus() reports 2 × threads CPUs, so the pool (half the CPUs) gets `threads` threads.
// Anything unexpected (another tfjs version) is an error, never a silent single thread.
function installThreadShims(threads) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-wasm-threads-'));
  process.on('exit', () => fs.rmSync(folder, { recursive: true, force: true }));
  const texts = new WeakMap();
  let mainScript = null;
  let files = 0;
  const saved = { Blob: globalThis.Blob, createObjectURL: URL.createObjectURL, cpus: os.cpus };
  globalThis.Blob = class extends saved.Blob {
    constructor(parts = [], options = undefined) {
      super(parts, options);
      const text = parts.every((part) => typeof part === 'string') ? parts.join('') : null;
      texts.set(this, text);
      if (text !== null && text.startsWith(THREADED_FACTORY)) {
        mainScript = path.join(folder, 'main.js');
        const prelude = "var require$$0 = require('fs'), require$$1 = require('path'), " +
          "require$$3 = require('perf_hooks'), require$$4 = require('os'), commonjsGlobal = globalThis;\n";
        fs.writeFileSync(mainScript, prelude + text);
      }
    }
  };
  URL.createObjectURL = (blob) => {
    let text = texts.get(blob);
    if (text == null) throw new Error('tfjs-backend-wasm made a Blob URL this runner cannot serve in Node');
    if (!text.startsWith(THREADED_FACTORY)) {
      if (mainScript === null || !text.includes(WORKER_IMPORT)) {
        throw new Error('tfjs-backend-wasm worker script not recognised (is @tensorflow/tfjs-backend-wasm 4.22.0?)');
      }
      text = text.replace(WORKER_IMPORT, `if(true){importScripts(${JSON.stringify(mainScript)})}`);
    }
    const file = path.join(folder, `blob${files++}.js`);
    fs.writeFileSync(file, text);
    return file;
  };
  os.cpus = () => Array.from({ length: 2 * threads }, () => saved.cpus()[0]);
  return () => {
    globalThis.Blob = saved.Blob;
    URL.createObjectURL = saved.createObjectURL;
    os.cpus = saved.cpus;
  };
}

// Loads tfjs from `nodeModules` and starts the wasm backend with `threads` threads (1: the single-threaded
// SIMD build). Returns { tf, threads } with the thread count the backend reports.
export async function startWasmBackend(nodeModules, threads = 1) {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new Error(`threads must be an integer from 1 to ${MAX_WASM_THREADS}, got ${threads}`);
  }
  const require = createRequire(import.meta.url);
  const tensorflow = path.join(nodeModules, '@tensorflow');
  const tf = require(path.join(tensorflow, 'tfjs'));
  const wasm = require(path.join(tensorflow, 'tfjs-backend-wasm'));
  wasm.setWasmPaths(path.join(tensorflow, 'tfjs-backend-wasm', 'dist') + path.sep);
  let restore = () => {};
  if (threads > 1) {
    restore = installThreadShims(threads);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(threads);
  }
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('the TF.js wasm backend did not start');
    await tf.ready();
  } finally {
    restore();
  }
  const actual = wasm.getThreadsCount();
  if (actual !== threads) throw new Error(`the TF.js wasm backend started with ${actual} threads, not ${threads}`);
  return { tf, threads: actual };
}

// A tf.io IOHandler reading model.json and its weight shards from `modelDir` (tfjs-node is not needed).
export function fileHandler(modelDir) {
  return {
    load: async () => {
      const jsonPath = path.join(modelDir, 'model.json');
      if (!fs.existsSync(jsonPath)) throw new Error(`no model.json in ${modelDir}`);
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
