// In-browser translation latency at 256x256 through the page itself
// (index.html, the worker, pkg/): the bundled generator (web/models/G_A.safetensors,
// when present) and resnet_9blocks ngf 64 with random weights. Prints the first
// translation (includes WebGPU pipeline creation) and the median of the
// following ones, the time the Rust side measured (upload to readback), and the
// longest main-thread stall while translating (the page must stay responsive).
//
// node tests/browser/bench.mjs [--runs N] [--json FILE]
// Headless Chromium runs WebGPU on SwiftShader (CPU) here; with a GPU and a
// browser that uses it, the figures are those of that GPU.

import fs from 'node:fs';
import path from 'node:path';
import { encodePng } from './png.mjs';
import * as h from './harness.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const runs = Number(opt('--runs', 3));
const jsonOut = opt('--json', null);

const dir = h.tempDir('bench');
const SIZE = 256;
const px = new Uint8Array(SIZE * SIZE * 3);
for (let i = 0; i < SIZE * SIZE; i++) {
  const [x, y] = [i % SIZE, Math.floor(i / SIZE)];
  px.set([x, y, (x * y) & 255], i * 3);
}
fs.writeFileSync(path.join(dir, 'input.png'), encodePng(SIZE, SIZE, px, 3));

const models = [];
const bundled = path.join(h.repo, 'web/models/G_A.safetensors');
if (fs.existsSync(bundled)) models.push({ name: 'bundled web/models/G_A.safetensors', query: '' });
else console.log('bundled model: web/models/G_A.safetensors is not in this checkout; skipped');
h.randomGenerator(path.join(dir, 'G9.safetensors'), { nBlocks: 9, ngf: 64, seed: 1 });
models.push({ name: 'resnet_9blocks ngf 64 (random weights)', query: '?weights=/__bench/G9.safetensors' });

const server = await h.serve({ __bench: dir });
const browser = await h.launch();
const results = [];
try {
  for (const m of models) {
    const page = await h.newPage(browser);
    await h.openApp(page, `${server.url}/index.html${m.query}`);
    if (!(await page.isHidden('#error'))) throw new Error(`${m.name}: ${await page.textContent('#error')}`);
    const adapter = await page.textContent('#adapter');
    const description = await page.textContent('#models');
    const samples = [];
    for (let i = 0; i <= runs; i++) {
      await h.resetStatus(page);
      // Longest gap between main-thread timer ticks while translating.
      await page.evaluate(() => {
        window.__stall = { max: 0, last: performance.now() };
        window.__stallTimer = setInterval(() => {
          const now = performance.now();
          window.__stall.max = Math.max(window.__stall.max, now - window.__stall.last);
          window.__stall.last = now;
        }, 10);
      });
      if (i === 0) await page.setInputFiles('#image-input', path.join(dir, 'input.png'));
      else await page.click('#translate');
      const ms = await h.waitDone(page, { timeout: 600000 });
      const stall = await page.evaluate(() => {
        clearInterval(window.__stallTimer);
        return window.__stall.max;
      });
      const timing = await page.textContent('#timing');
      const gpu = Number(/GPU work .* (\d+) ms/.exec(timing)?.[1]);
      samples.push({ ms, gpu, stall: Math.round(stall) });
      console.log(`  ${m.name} run ${i}${i === 0 ? ' (first)' : ''}: ${ms} ms (GPU work ${gpu} ms), main-thread stall max ${Math.round(stall)} ms`);
    }
    const warm = samples.slice(1).map((s) => s.ms).sort((a, b) => a - b);
    const r = {
      model: m.name,
      description: description.split('\n')[0],
      size: `${SIZE}x${SIZE}`,
      first_ms: samples[0].ms,
      median_ms: warm.length ? warm[warm.length >> 1] : null,
      max_main_thread_stall_ms: Math.max(...samples.map((s) => s.stall)),
      adapter,
      samples,
    };
    results.push(r);
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

const chromium = (await import('node:child_process')).execFileSync(h.CHROMIUM, ['--version'], { encoding: 'utf8' }).trim();
console.log(`\nIn-browser translation, ${SIZE}x${SIZE}, ${chromium}, headless`);
console.log(`adapter: ${results[0]?.adapter ?? '?'}`);
console.log('| model | first (ms) | median of next (ms) | main-thread stall (ms) |');
console.log('|---|---:|---:|---:|');
for (const r of results) console.log(`| ${r.model} | ${r.first_ms} | ${r.median_ms ?? '-'} | ${r.max_main_thread_stall_ms} |`);
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify({ browser: chromium, results }, null, 2));
