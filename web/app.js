// AttentionGAN demo: load the TF.js graph model, translate a picked image, show the translation and the masks.
//
// Query parameters: ?model=URL of model.json (default model/model.json), ?backend=wasm|webgl|cpu (default: webgl
// when the browser can create a WebGL context, else wasm). The model pads any image size itself.
(() => {
  'use strict';
  const params = new URLSearchParams(window.location.search);
  const modelUrl = params.get('model') || 'model/model.json';
  const statusEl = document.getElementById('status');
  const fileEl = document.getElementById('file');
  let model = null;

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
    inputCanvas.width = image.naturalWidth;
    inputCanvas.height = image.naturalHeight;
    inputCanvas.getContext('2d').drawImage(image, 0, 0);
    setStatus('Translating…', 'busy');
    const started = performance.now();
    const pixels = tf.browser.fromPixels(inputCanvas);
    const batch = tf.tidy(() => pixels.toFloat().div(127.5).sub(1).expandDims(0));
    const [translated, attention] = model.execute({ images: batch }, ['image', 'attention']);
    const rgb = tf.tidy(() => translated.squeeze([0]).add(1).mul(127.5).round().clipByValue(0, 255).toInt());
    await tf.browser.toPixels(rgb, document.getElementById('output'));
    const count = attention.shape[3];
    const masks = tf.tidy(() => tf.unstack(attention.squeeze([0]), 2).map((m) => m.clipByValue(0, 1)));
    document.getElementById('masks').replaceChildren();
    for (let i = 0; i < count; i++) await drawMask(masks[i], i, count);
    const elapsed = performance.now() - started;
    tf.dispose([pixels, batch, translated, attention, rgb, ...masks]);
    setStatus(`done: ${image.naturalWidth}×${image.naturalHeight}, ${count} masks, ${elapsed.toFixed(0)} ms on ` +
      `${tf.getBackend()}`, 'done');
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
    if (!file) return;
    try {
      await translate(await loadImage(file));
    } catch (error) {
      setStatus(`error: ${error.message}`, 'error');
    }
  });

  (async () => {
    try {
      const backend = await pickBackend();
      model = await tf.loadGraphModel(modelUrl);
      fileEl.disabled = false;
      setStatus(`ready (backend ${backend})`, 'ready');
    } catch (error) {
      setStatus(`error: cannot load model ${modelUrl}: ${error.message}`, 'error');
    }
  })();
})();
