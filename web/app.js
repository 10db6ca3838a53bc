// AttentionGAN demo: load the TF.js graph model, translate a picked image, show the translation and the masks.
//
// Query parameters: ?model=URL of model.json (default model/model.json), ?backend=wasm|webgl|webgpu|cpu (default:
// webgl when the browser can create a WebGL context, else wasm), ?size=N working size (long side, default 512),
// ?threads=N wasm threads (1 to 8; more than 1 needs a cross-origin-isolated page, see web/README.md).
// Photos are scaled down to the working size before translation; an any-size model pads any image size itself,
// and for a fixed-size model (export.py --tfjs-fixed-size N) the page scales photos to fit N and pads them to N × N.
(() => {
  'use strict';
  const params = new URLSearchParams(window.location.search);
  const modelUrl = params.get('model') || 'model/model.json';
  const statusEl = document.getElementById('status');
  const fileEl = document.getElementById('file');
  const sizeEl = document.getElementById('size');
  const backendEl = document.getElementById('backend');
  const downloadEl = document.getElementById('download');
  const BACKENDS = ['wasm', 'webgl', 'webgpu', 'cpu'];
  const MAX_WASM_THREADS = 8; // tfjs-backend-wasm pre-starts 8 pthread workers
  let model = null;
  let fixedSize = null;
  let lastImage = null;
  if (params.get('size')) {
    const option = document.createElement('option');
    option.value = option.textContent = params.get('size');
    sizeEl.append(option);
    sizeEl.value = params.get('size');
  }

  function workingSize(width, height) {
    const limit = fixedSize ? Math.min(fixedSize, Number(sizeEl.value)) : Number(sizeEl.value);
    const scale = Math.min(1, limit / Math.max(width, height));
    return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
  }

  function listBackends(active) {
    const usable = BACKENDS.filter((name) => tf.findBackendFactory(name) &&
      (name !== 'webgpu' || 'gpu' in navigator) && (name !== 'webgl' || webglAvailable()));
    backendEl.replaceChildren(...usable.map((name) => new Option(name, name, false, name === active)));
  }

  function setStatus(text, state) {
    statusEl.textContent = text;
    statusEl.dataset.state = state;
  }

  function webglAvailable() {
    try {
      const canvas = document.createElement('canvas');
      return Boolean(canvas.getContext('webgl2') || canvas.getContext('webgl'));
    } catch (error) {
      return false;
    }
  }

  // ?threads=N, before the wasm backend starts. TF.js sizes its pool as half of navigator.hardwareConcurrency
  // (it assumes two logical CPUs per core), so a page asking for N threads reports at least 2N to it.
  function requestWasmThreads() {
    const text = params.get('threads');
    if (text === null) return;
    const threads = Number(text);
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
      throw new Error(`?threads must be an integer from 1 to ${MAX_WASM_THREADS}, got ${text}`);
    }
    if (threads > 1 && !window.crossOriginIsolated) {
      throw new Error('?threads needs a cross-origin-isolated page (COOP/COEP headers: see web/README.md)');
    }
    const reported = Math.max(navigator.hardwareConcurrency || 1, 2 * threads);
    Object.defineProperty(navigator, 'hardwareConcurrency', { value: reported, configurable: true });
    tf.wasm.setThreadsCount(threads);
  }

  function engineName() {
    if (tf.getBackend() !== 'wasm') return tf.getBackend();
    const threads = tf.wasm.getThreadsCount();
    return `wasm, ${threads} thread${threads > 1 ? 's' : ''}`;
  }

  async function pickBackend() {
    tf.wasm.setWasmPaths(new URL('vendor/', window.location.href).href);
    const wanted = params.get('backend');
    const order = wanted ? [wanted] : webglAvailable() ? ['webgl', 'wasm'] : ['wasm'];
    for (const name of order) {
      try {
        if (await tf.setBackend(name)) {
          await tf.ready();
          return tf.getBackend();
        }
      } catch (error) {
        console.warn(`backend ${name} unavailable`, error);
      }
    }
    throw new Error(`no usable TF.js backend among ${order.join(', ')}`);
  }

  // Reflect-pad a (1, h, w, 3) batch at the bottom/right to a fixed-size model's N × N (repeatedly, for images
  // under half of N; symmetric where a side is a single pixel); any-size models get the batch as it is.
  function padToFixed(batch) {
    let padded = batch;
    while (fixedSize && (padded.shape[1] < fixedSize || padded.shape[2] < fixedSize)) {
      const [, h, w] = padded.shape;
      const rows = Math.min(fixedSize - h, Math.max(h - 1, 1));
      const cols = Math.min(fixedSize - w, Math.max(w - 1, 1));
      const mode = h === 1 || w === 1 ? 'symmetric' : 'reflect';
      padded = tf.mirrorPad(padded, [[0, 0], [0, rows], [0, cols], [0, 0]], mode);
    }
    return padded;
  }

  function drawMask(mask, index, count) {
    const figure = document.createElement('figure');
    const canvas = document.createElement('canvas');
    canvas.className = 'mask';
    const caption = document.createElement('figcaption');
    caption.textContent = index === count - 1 ? `mask ${index + 1} (background)` : `mask ${index + 1}`;
    figure.append(canvas, caption);
    document.getElementById('masks').append(figure);
    return tf.browser.toPixels(mask, canvas);
  }

  async function translate(image) {
    const inputCanvas = document.getElementById('input');
    const [width, height] = workingSize(image.naturalWidth, image.naturalHeight);
    inputCanvas.width = width;
    inputCanvas.height = height;
    const context = inputCanvas.getContext('2d');
    context.imageSmoothingQuality = 'high';
    context.drawImage(image, 0, 0, width, height);
    setStatus('Translating…', 'busy');
    const started = performance.now();
    const pixels = tf.browser.fromPixels(inputCanvas);
    const batch = tf.tidy(() => padToFixed(pixels.toFloat().div(127.5).sub(1).expandDims(0)));
    const [padded, paddedAttention] = model.execute({ images: batch }, ['image', 'attention']);
    const [translated, attention] = [padded, paddedAttention].map((t) => t.slice([0, 0, 0, 0], [1, height, width, -1]));
    tf.dispose([padded, paddedAttention]);
    const rgb = tf.tidy(() => translated.squeeze([0]).add(1).mul(127.5).round().clipByValue(0, 255).toInt());
    await tf.browser.toPixels(rgb, document.getElementById('output'));
    const count = attention.shape[3];
    const masks = tf.tidy(() => tf.unstack(attention.squeeze([0]), 2).map((m) => m.clipByValue(0, 1)));
    document.getElementById('masks').replaceChildren();
    for (let i = 0; i < count; i++) await drawMask(masks[i], i, count);
    const elapsed = performance.now() - started;
    tf.dispose([pixels, batch, translated, attention, rgb, ...masks]);
    const photo = width === image.naturalWidth ? '' : ` (photo ${image.naturalWidth}×${image.naturalHeight})`;
    downloadEl.href = document.getElementById('output').toDataURL('image/png');
    downloadEl.hidden = false;
    setStatus(`done: ${width}×${height}${photo}, ${count} masks, ${elapsed.toFixed(0)} ms on ${engineName()}`,
      'done');
  }

  function loadImage(file) {
    return new Promise((resolve, reject) => {
      const url = URL.createObjectURL(file);
      const image = new Image();
      image.onload = () => resolve(image);
      image.onerror = () => reject(new Error(`cannot decode ${file.name}`));
      image.src = url;
    });
  }

  fileEl.addEventListener('change', async () => {
    const file = fileEl.files[0];
    if (!file || !model) return; // no model: the status already says why
    try {
      lastImage = await loadImage(file);
      await translate(lastImage);
    } catch (error) {
      setStatus(`error: ${error.message}`, 'error');
    }
  });

  async function retranslate() {
    if (!lastImage) return;
    try {
      await translate(lastImage);
    } catch (error) {
      setStatus(`error: ${error.message}`, 'error');
    }
  }

  sizeEl.addEventListener('change', retranslate);
  backendEl.addEventListener('change', async () => {
    try {
      if (!(await tf.setBackend(backendEl.value))) throw new Error(`backend ${backendEl.value} failed to start`);
      await tf.ready();
      setStatus(`ready (backend ${engineName()})`, 'ready');
      await retranslate();
    } catch (error) {
      setStatus(`error: ${error.message}`, 'error');
    }
  });

  (async () => {
    try {
      requestWasmThreads();
    } catch (error) {
      setStatus(`error: ${error.message}`, 'error');
      return;
    }
    try {
      const backend = await pickBackend();
      model = await tf.loadGraphModel(modelUrl);
      const inputShape = model.inputs[0].shape || [];
      fixedSize = inputShape[1] > 0 && inputShape[1] === inputShape[2] ? inputShape[1] : null;
      listBackends(backend);
      fileEl.disabled = false;
      setStatus(`ready (backend ${engineName()})`, 'ready');
    } catch (error) {
      setStatus(`error: cannot load model ${modelUrl}: ${error.message}`, 'error');
    }
  })();
})();
