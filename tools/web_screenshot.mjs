// Drive web/ in headless Chromium with playwright-core: pick an image, wait for the translation, take screenshots.
//
// Usage: node tools/web_screenshot.mjs URL IMAGE OUT_DIR [CHROMIUM] [VIEWPORT_WIDTH]
// Writes screenshots OUT_DIR/page.png (whole page) and OUT_DIR/output.png (the translation canvas element), the
// exact canvas pixels OUT_DIR/canvas_output.png and OUT_DIR/canvas_mask_<i>.png (canvas.toDataURL), and prints one
// JSON line {"status": ..., "masks": n, "console": [...], "fits": page width holds everything, "canvas": [w, h],
// "download": link shown, "backends": [...], "isolated": crossOriginIsolated}.
import fs from 'node:fs';
import path from 'node:path';

import { chromium } from 'playwright-core';

const [url, image, outDir, executablePath = '/usr/bin/chromium', viewportWidth = '1280'] = process.argv.slice(2);
if (!url || !image || !outDir) {
  process.stderr.write('usage: node tools/web_screenshot.mjs URL IMAGE OUT_DIR [CHROMIUM]\n');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run', '--disable-sync', '--force-color-profile=srgb'],
});
const logs = [];
try {
  const page = await browser.newPage({ viewport: { width: Number(viewportWidth), height: 900 }, deviceScaleFactor: 1 });
  page.on('console', (message) => logs.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => logs.push(`pageerror: ${error.message}`));
  await page.goto(url);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.getElementById('status').dataset.state),
    null, { timeout: 60000 });
  await page.setInputFiles('#file', image);
  await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('status').dataset.state),
    null, { timeout: 120000 });
  const status = await page.textContent('#status');
  const layout = await page.evaluate(() => ({
    fits: document.documentElement.scrollWidth <= window.innerWidth,
    canvas: [document.getElementById('output').width, document.getElementById('output').height],
    download: !document.getElementById('download').hidden,
    backends: [...document.getElementById('backend').options].map((option) => option.value),
    isolated: window.crossOriginIsolated,
  }));
  await page.screenshot({ path: path.join(outDir, 'page.png'), fullPage: true });
  await page.locator('#output').screenshot({ path: path.join(outDir, 'output.png') });
  const canvases = await page.evaluate(() => ({
    output: document.getElementById('output').toDataURL('image/png'),
    masks: [...document.querySelectorAll('canvas.mask')].map((canvas) => canvas.toDataURL('image/png')),
  }));
  const save = (name, dataUrl) => fs.writeFileSync(path.join(outDir, name), Buffer.from(dataUrl.split(',')[1], 'base64'));
  save('canvas_output.png', canvases.output);
  canvases.masks.forEach((dataUrl, i) => save(`canvas_mask_${i}.png`, dataUrl));
  const count = canvases.masks.length;
  process.stdout.write(JSON.stringify({ status, masks: count, console: logs, ...layout }) + '\n');
} finally {
  await browser.close();
}
