// End-to-end test of the browser app (index.html + pkg/) in headless
// Chromium, WebGPU on SwiftShader: translations must match the native
// `trainer translate` on the same image and weights within 2/255 per
// channel, in both directions, for safetensors and .pth weights; every
// failure (bad weights, bad image, device lost, no adapter, no WebGPU)
// must show a message in #error.
//
// node tests/browser/e2e.mjs   (after `npm ci` in tests/browser)

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodePng, encodePng } from './png.mjs';
import { safetensorsToPth } from './pth.mjs';
import * as h from './harness.mjs';

const TOLERANCE = 2;
const dir = h.tempDir('e2e');
const file = (name) => path.join(dir, name);

// An opaque 45x37 image: not a multiple of 4, so padding and cropping run.
const W = 45;
const H = 37;
const px = new Uint8Array(W * H * 3);
for (let y = 0; y < H; y++) {
  for (let x = 0; x < W; x++) {
    const i = (y * W + x) * 3;
    px[i] = (x * 5 + y) & 255;
    px[i + 1] = Math.round(127 + 120 * Math.sin(x / 4) * Math.cos(y / 5));
    px[i + 2] = (x * y * 3 + 40) & 255;
  }
}
fs.writeFileSync(file('input.png'), encodePng(W, H, px, 3));

h.randomGenerator(file('G_A.safetensors'), { nBlocks: 6, ngf: 8, seed: 11 });
h.randomGenerator(file('G_B.safetensors'), { nBlocks: 6, ngf: 8, seed: 12 });
h.randomGenerator(file('G_C.safetensors'), { nBlocks: 6, ngf: 8, seed: 13 });
fs.writeFileSync(file('latest_net_G.pth'), safetensorsToPth(fs.readFileSync(file('G_C.safetensors'))));

function expected(weights) {
  const out = file(`expected-${path.basename(weights)}.png`);
  h.trainerTranslate(file(weights), file('input.png'), out);
  return decodePng(fs.readFileSync(out));
}
const want = { G_A: expected('G_A.safetensors'), G_B: expected('G_B.safetensors'), pth: expected('latest_net_G.pth') };

function compare(actual, reference, what) {
  assert.equal(`${actual.width}x${actual.height}`, `${reference.width}x${reference.height}`, `${what}: output size`);
  let worst = { diff: -1, index: 0 };
  for (let i = 0; i < reference.rgba.length; i++) {
    const diff = Math.abs(actual.rgba[i] - reference.rgba[i]);
    if (diff > worst.diff) worst = { diff, index: i };
  }
  const p = worst.index >> 2;
  const where = `pixel (${p % actual.width}, ${Math.floor(p / actual.width)}) channel ${worst.index & 3}: browser ${actual.rgba[worst.index]}, trainer ${reference.rgba[worst.index]}`;
  assert.ok(worst.diff <= TOLERANCE, `${what}: max difference ${worst.diff}/255 > ${TOLERANCE} at ${where}`);
  let differing = 0;
  for (let i = 0; i < reference.rgba.length; i++) differing += actual.rgba[i] !== reference.rgba[i];
  return `max |diff| ${worst.diff}/255, ${differing} of ${reference.rgba.length} channels differ`;
}

const server = await h.serve({ __e2e: dir });
const app = (query = '') => `${server.url}/index.html${query}`;
let failures = 0;

async function step(name, page, fn) {
  const start = Date.now();
  try {
    const note = await fn();
    console.log(`ok   ${name} (${Date.now() - start} ms)${note ? `: ${note}` : ''}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${e.message}`);
    if (page) console.log(`     page log:\n       ${page.log.slice(-30).join('\n       ')}`);
  }
}

async function errorText(page, timeout = 120000) {
  await page.waitForSelector('#error:not([hidden])', { timeout });
  return page.textContent('#error');
}

let browser = await h.launch();
try {
  const page = await h.newPage(browser);

  await step('?weights= (safetensors, A -> B) matches trainer translate', page, async () => {
    await h.openApp(page, app('?weights=/__e2e/G_A.safetensors'));
    assert.ok(await page.isHidden('#error'), `unexpected error: ${await page.textContent('#error')}`);
    const adapter = await page.textContent('#adapter');
    assert.match(adapter, /Running in a Web Worker/, 'translation runs in a worker');
    await h.resetStatus(page);
    await page.setInputFiles('#image-input', file('input.png'));
    const ms = await h.waitDone(page);
    const note = compare(await h.outputPixels(page), want.G_A, 'A -> B');
    return `${note}; ${ms} ms; ${adapter}`;
  });

  await step('download gives the output as PNG', page, async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    assert.match(download.suggestedFilename(), /^input_AtoB\.png$/);
    const saved = file('download.png');
    await download.saveAs(saved);
    return compare(decodePng(fs.readFileSync(saved)), want.G_A, 'downloaded PNG');
  });

  await step('bad weights file: #error, previous generator kept', page, async () => {
    await page.setInputFiles('#weights-input', { name: 'notes.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not weights at all') });
    const text = await errorText(page);
    assert.match(text, /notes\.safetensors: This file cannot be used as generator weights: not a weight file/);
    assert.match(text, /Choose a ResnetGenerator state_dict/);
    await h.resetStatus(page);
    await page.click('#translate');
    await h.waitDone(page);
    compare(await h.outputPixels(page), want.G_A, 'after a rejected file');
    return text.slice(0, 120) + '…';
  });

  await step('truncated .pth: #error', page, async () => {
    const whole = safetensorsToPth(fs.readFileSync(file('G_C.safetensors')));
    await page.setInputFiles('#weights-input', { name: 'half.pth', mimeType: 'application/octet-stream', buffer: whole.subarray(0, whole.length >> 1) });
    const text = await errorText(page);
    assert.match(text, /half\.pth: This file cannot be used as generator weights/);
    return text.slice(0, 140) + '…';
  });

  await step('bad image file: #error', page, async () => {
    await page.setInputFiles('#image-input', { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('\x89PNG\r\n\x1a\nnot a png') });
    const text = await errorText(page);
    assert.match(text, /Could not read "broken\.png" as an image/);
    return text;
  });

  await step('device lost: #error, then the next translation recovers', page, async () => {
    await page.setInputFiles('#image-input', file('input.png'));
    await h.waitDone(page);
    await page.evaluate(() => window.cyclegan.simulateDeviceLoss());
    const text = await errorText(page);
    assert.match(text, /The GPU device was lost/);
    await h.resetStatus(page);
    await page.click('#translate');
    await h.waitDone(page);
    compare(await h.outputPixels(page), want.G_A, 'after device loss');
    return text.slice(0, 100) + '…';
  });
  await page.close();

  const pair = await h.newPage(browser);
  await step('?weights_a= & ?weights_b=: B -> A uses G_B', pair, async () => {
    await h.openApp(pair, app('?weights_a=/__e2e/G_A.safetensors&weights_b=/__e2e/G_B.safetensors'));
    await h.resetStatus(pair);
    await pair.setInputFiles('#image-input', file('input.png'));
    await h.waitDone(pair);
    compare(await h.outputPixels(pair), want.G_A, 'A -> B');
    await h.resetStatus(pair);
    await pair.selectOption('#direction', 'b2a');
    await h.waitDone(pair);
    return compare(await h.outputPixels(pair), want.G_B, 'B -> A');
  });

  await step('.pth through #weights-input replaces the selected direction only', pair, async () => {
    await h.resetStatus(pair);
    await pair.setInputFiles('#weights-input', file('latest_net_G.pth'));
    await h.waitDone(pair);
    const note = compare(await h.outputPixels(pair), want.pth, 'B -> A with latest_net_G.pth');
    const models = await pair.textContent('#models');
    assert.match(models, /B → A: latest_net_G\.pth \(your file\)/);
    assert.match(models, /A → B: G_A\.safetensors/);
    await h.resetStatus(pair);
    await pair.selectOption('#direction', 'a2b');
    await h.waitDone(pair);
    compare(await h.outputPixels(pair), want.G_A, 'A -> B after loading a B -> A file');
    return note;
  });
  await pair.close();

  const plain = await h.newPage(browser);
  await step('no parameters: the bundled pair loads, or #error names it', plain, async () => {
    await h.openApp(plain, app());
    const bundled = fs.existsSync(path.join(h.repo, 'web/models/G_A.safetensors'));
    if (bundled) {
      assert.ok(await plain.isHidden('#error'), await plain.textContent('#error'));
      assert.match(await plain.textContent('#status'), /^Ready/);
      return 'bundled web/models/G_A.safetensors loaded';
    }
    const text = await errorText(plain);
    assert.match(text, /HTTP 404.*web\/models\/G_A\.safetensors/s);
    return `no bundled model in this checkout: ${text.slice(0, 90)}…`;
  });
  await plain.close();
} finally {
  await browser.close();
}

browser = await h.launch({ webgpu: false });
try {
  const page = await h.newPage(browser);
  await step('no adapter (Chromium without --enable-unsafe-webgpu): #error', page, async () => {
    await h.openApp(page, app('?weights=/__e2e/G_A.safetensors'));
    const text = await errorText(page);
    assert.match(text, /granted no GPU adapter.*reload the page/s);
    await page.setInputFiles('#image-input', file('input.png'));
    assert.match(await errorText(page), /granted no GPU adapter/, 'translating repeats the reason');
    return text.slice(0, 80) + '…';
  });

  const nogpu = await h.newPage(browser);
  await nogpu.addInitScript(() => delete Navigator.prototype.gpu);
  await step('navigator.gpu missing: #error', nogpu, async () => {
    await h.openApp(nogpu, app());
    const text = await errorText(nogpu);
    assert.match(text, /does not offer WebGPU \(navigator\.gpu is missing\)/);
    return text.slice(0, 80) + '…';
  });
} finally {
  await browser.close();
  server.close();
}

fs.rmSync(dir, { recursive: true, force: true });
if (failures) {
  console.log(`${failures} browser test(s) failed`);
  process.exit(1);
}
console.log('all browser tests passed');
