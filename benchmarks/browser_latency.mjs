// Time a TF.js graph model in headless Chromium (playwright-core) on each of the given backends.
//
// Usage: node benchmarks/browser_latency.mjs URL SIZE REPEATS CHROMIUM BACKEND[:THREADS]...
// URL is the web/ demo served by tools/serve_web.py (it loads tf.min.js and the wasm backend, serves the model at
// model/model.json, and makes the page cross-origin isolated). For each backend a fresh page opens the demo with
// ?backend=BACKEND (and ?threads=THREADS: wasm threads, as the demo starts them) and waits until it is ready;
// then the script loads the model, runs one warm-up and REPEATS timed model.execute + data() calls on a SIZE²
// input, and prints one JSON line {"BACKEND[:THREADS]": {"median_s": ..., "backend": active backend,
// "threads": wasm threads, "renderer": WebGL renderer} | {"error": ...}}.
import { chromium } from 'playwright-core';

const [url, size, repeats, executablePath, ...backends] = process.argv.slice(2);
if (!url || !backends.length) {
  process.stderr.write('usage: node benchmarks/browser_latency.mjs URL SIZE REPEATS CHROMIUM BACKEND...\n');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run', '--disable-sync'],
});
const results = {};
try {
  for (const spec of backends) {
    const [backend, threads] = spec.split(':');
    const page = await browser.newPage();
    const query = new URLSearchParams({ backend, ...(threads ? { threads } : {}) });
    await page.goto(`${url}?${query}`);
    await page.waitForFunction(() => ['ready', 'error'].includes(document.getElementById('status').dataset.state),
      null, { timeout: 60000 });
    if ((await page.getAttribute('#status', 'data-state')) === 'error') {
      results[spec] = { error: await page.textContent('#status') };
      await page.close();
      continue;
    }
    results[spec] = await page.evaluate(async ([name, side, count]) => {
      try {
        if (tf.getBackend() !== name) return { error: `the demo started ${tf.getBackend()}, not ${name}` };
        const canvas = document.createElement('canvas');
        const gl = canvas.getContext('webgl2') || canvas.getContext('webgl');
        const info = gl && gl.getExtension('WEBGL_debug_renderer_info');
        const renderer = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : null;
        const model = await tf.loadGraphModel('model/model.json');
        const input = tf.randomUniform([1, side, side, 3], -1, 1);
        const once = async () => {
          const started = performance.now();
          const outputs = model.execute({ images: input }, ['image', 'attention', 'content']);
          await Promise.all(outputs.map((t) => t.data()));
          tf.dispose(outputs);
          return (performance.now() - started) / 1000;
        };
        await once();
        const times = [];
        for (let i = 0; i < count; i++) times.push(await once());
        times.sort((a, b) => a - b);
        const threads = name === 'wasm' ? tf.wasm.getThreadsCount() : null;
        return { median_s: times[Math.floor(times.length / 2)], backend: tf.getBackend(), threads, renderer };
      } catch (error) {
        return { error: String(error.message || error).split('\n')[0] };
      }
    }, [backend, Number(size), Number(repeats)]);
    await page.close();
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(results) + '\n');
