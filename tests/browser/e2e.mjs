// End-to-end test of the browser app (index.html + pkg/) in headless
// Chromium, WebGPU on SwiftShader: CycleGAN ResNet translations must match
// the native `trainer translate` on the same image and weights within 2/255
// per channel, in both directions, for safetensors and .pth weights; a
// pix2pix U-Net (batch norm, dropout) must match the native
// `translate_reference` example within 1/255 in eval mode and in the
// test.py default mode with seeded dropout; every failure (bad weights, a
// discriminator, bad image, device lost, no adapter, no WebGPU) must show a
// message in #error.
//
// node tests/browser/e2e.mjs   (after `npm ci` in tests/browser)
// E2E_ONLY=REGEX runs only the steps whose names match (and builds only the
// references they need).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodePng, encodePng } from './png.mjs';
import { safetensorsToPth } from './pth.mjs';
import * as h from './harness.mjs';

const TOLERANCE = 2;
// The U-Net against translate_reference (the same Rust, another adapter).
const UNET_TOLERANCE = 1;
const only = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY) : null;
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
// The same pixels as raw RGBA for translate_reference.
const rgba = new Uint8Array(W * H * 4);
for (let i = 0; i < W * H; i++) rgba.set([px[3 * i], px[3 * i + 1], px[3 * i + 2], 255], 4 * i);
fs.writeFileSync(file('input.rgba'), rgba);

h.randomGenerator(file('G_A.safetensors'), { nBlocks: 6, ngf: 8, seed: 11 });
h.randomGenerator(file('G_B.safetensors'), { nBlocks: 6, ngf: 8, seed: 12 });
h.randomGenerator(file('G_C.safetensors'), { nBlocks: 6, ngf: 8, seed: 13 });
fs.writeFileSync(file('latest_net_G.pth'), safetensorsToPth(fs.readFileSync(file('G_C.safetensors'))));

// pix2pix's U-Net, small: unet_64 (6 downsamplings, so one level has
// dropout) ngf 4, batch norm with running statistics from 150 passes.
h.randomGenerator(file('U.safetensors'), { unet: true, numDowns: 6, ngf: 4, seed: 21, calibrate: 150 });
h.randomGenerator(file('D.safetensors'), { discriminator: true, ngf: 4, seed: 5 });

function expected(weights) {
  const out = file(`expected-${path.basename(weights)}.png`);
  h.trainerTranslate(file(weights), file('input.png'), out);
  return decodePng(fs.readFileSync(out));
}

function reference(weights, mode) {
  const out = file(`expected-${path.basename(weights)}-${mode.evalMode ? 'eval' : `seed${mode.seed}`}.png`);
  h.translateReference(file(weights), file('input.rgba'), W, H, out, mode);
  return decodePng(fs.readFileSync(out));
}

// Expected outputs, computed on first use.
const lazy = (f) => {
  let v;
  return () => (v ??= f());
};
const want = {
  G_A: lazy(() => expected('G_A.safetensors')),
  G_B: lazy(() => expected('G_B.safetensors')),
  pth: lazy(() => expected('latest_net_G.pth')),
  unetEval: lazy(() => reference('U.safetensors', { evalMode: true })),
  unetSeed0: lazy(() => reference('U.safetensors', { seed: 0 })),
  unetSeed5: lazy(() => reference('U.safetensors', { seed: 5 })),
};

function compare(actual, reference, what, tolerance = TOLERANCE) {
  assert.equal(`${actual.width}x${actual.height}`, `${reference.width}x${reference.height}`, `${what}: output size`);
  let worst = { diff: -1, index: 0 };
  for (let i = 0; i < reference.rgba.length; i++) {
    const diff = Math.abs(actual.rgba[i] - reference.rgba[i]);
    if (diff > worst.diff) worst = { diff, index: i };
  }
  const p = worst.index >> 2;
  const where = `pixel (${p % actual.width}, ${Math.floor(p / actual.width)}) channel ${worst.index & 3}: browser ${actual.rgba[worst.index]}, native ${reference.rgba[worst.index]}`;
  assert.ok(worst.diff <= tolerance, `${what}: max difference ${worst.diff}/255 > ${tolerance} at ${where}`);
  let differing = 0;
  for (let i = 0; i < reference.rgba.length; i++) differing += actual.rgba[i] !== reference.rgba[i];
  return `max |diff| ${worst.diff}/255, ${differing} of ${reference.rgba.length} channels differ`;
}

const server = await h.serve({ __e2e: dir });
const app = (query = '') => `${server.url}/index.html${query}`;
let failures = 0;

async function step(name, page, fn) {
  if (only && !only.test(name)) return;
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
    assert.match(await page.textContent('#architecture'), /^Model \(A → B\): CycleGAN ResNet resnet_6blocks ngf 8, norm instance \(0\.\d+ M parameters\)$/);
    assert.ok(await page.isHidden('#mode-control'), 'no test-time mode control for an instance-norm ResNet without dropout');
    await h.resetStatus(page);
    await page.setInputFiles('#image-input', file('input.png'));
    const ms = await h.waitDone(page);
    const note = compare(await h.outputPixels(page), want.G_A(), 'A -> B');
    return `${note}; ${ms} ms; ${adapter}`;
  });

  await step('download gives the output as PNG', page, async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    assert.match(download.suggestedFilename(), /^input_AtoB\.png$/);
    const saved = file('download.png');
    await download.saveAs(saved);
    return compare(decodePng(fs.readFileSync(saved)), want.G_A(), 'downloaded PNG');
  });

  await step('bad weights file: #error, previous generator kept', page, async () => {
    await page.setInputFiles('#weights-input', { name: 'notes.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not weights at all') });
    const text = await errorText(page);
    assert.match(text, /notes\.safetensors: This file cannot be used as generator weights: not a weight file/);
    assert.match(text, /Choose a generator state_dict \(a CycleGAN ResnetGenerator or a pix2pix UnetGenerator\)/);
    await h.resetStatus(page);
    await page.click('#translate');
    await h.waitDone(page);
    compare(await h.outputPixels(page), want.G_A(), 'after a rejected file');
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
    compare(await h.outputPixels(page), want.G_A(), 'after device loss');
    return text.slice(0, 100) + '…';
  });
  await page.close();

  const pair = await h.newPage(browser);
  await step('?weights_a= & ?weights_b=: B -> A uses G_B', pair, async () => {
    await h.openApp(pair, app('?weights_a=/__e2e/G_A.safetensors&weights_b=/__e2e/G_B.safetensors'));
    await h.resetStatus(pair);
    await pair.setInputFiles('#image-input', file('input.png'));
    await h.waitDone(pair);
    compare(await h.outputPixels(pair), want.G_A(), 'A -> B');
    await h.resetStatus(pair);
    await pair.selectOption('#direction', 'b2a');
    await h.waitDone(pair);
    return compare(await h.outputPixels(pair), want.G_B(), 'B -> A');
  });

  await step('.pth through #weights-input replaces the selected direction only', pair, async () => {
    await h.resetStatus(pair);
    await pair.setInputFiles('#weights-input', file('latest_net_G.pth'));
    await h.waitDone(pair);
    const note = compare(await h.outputPixels(pair), want.pth(), 'B -> A with latest_net_G.pth');
    const models = await pair.textContent('#models');
    assert.match(models, /B → A: latest_net_G\.pth \(your file\)/);
    assert.match(models, /A → B: G_A\.safetensors/);
    await h.resetStatus(pair);
    await pair.selectOption('#direction', 'a2b');
    await h.waitDone(pair);
    compare(await h.outputPixels(pair), want.G_A(), 'A -> B after loading a B -> A file');
    return note;
  });
  await pair.close();

  const unet = await h.newPage(browser);
  await step('pix2pix U-Net, ?mode=eval: matches translate_reference --eval', unet, async () => {
    await h.openApp(unet, app('?weights=/__e2e/U.safetensors&mode=eval'));
    assert.ok(await unet.isHidden('#error'), `unexpected error: ${await unet.textContent('#error')}`);
    const arch = await unet.textContent('#architecture');
    assert.match(arch, /^Model \(A → B\): pix2pix U-Net unet_64 ngf 4, norm batch, dropout \(0\.\d+ M parameters\)$/);
    assert.ok(await unet.isVisible('#mode-control'), 'the mode control shows for batch norm and dropout');
    assert.equal(await unet.inputValue('#mode'), 'eval');
    assert.ok(await unet.isHidden('#seed-control'), 'no seed in eval mode');
    await h.resetStatus(unet);
    await unet.setInputFiles('#image-input', file('input.png'));
    const ms = await h.waitDone(unet);
    assert.match(await unet.textContent('#timing'), /\(eval: running statistics, no dropout\)/);
    const note = compare(await h.outputPixels(unet), want.unetEval(), 'U-Net eval', UNET_TOLERANCE);
    return `${note}; ${ms} ms; ${arch}`;
  });

  await step('U-Net test.py default (batch statistics, dropout seed 0, then 5) matches translate_reference', unet, async () => {
    await h.resetStatus(unet);
    await unet.selectOption('#mode', 'test');
    await h.waitDone(unet);
    assert.ok(await unet.isVisible('#seed-control'), 'the seed shows with dropout on');
    assert.match(await unet.textContent('#timing'), /\(test\.py default: batch statistics, dropout seed 0\)/);
    const seed0 = await h.outputPixels(unet);
    const note = compare(seed0, want.unetSeed0(), 'U-Net test mode, seed 0', UNET_TOLERANCE);
    await h.resetStatus(unet);
    await unet.fill('#seed', '5');
    await unet.dispatchEvent('#seed', 'change');
    await h.waitDone(unet);
    const seed5 = await h.outputPixels(unet);
    compare(seed5, want.unetSeed5(), 'U-Net test mode, seed 5', UNET_TOLERANCE);
    const changed = seed0.rgba.filter((v, i) => Math.abs(v - seed5.rgba[i]) > 2).length;
    assert.ok(changed > 0, 'another dropout seed changes the output');
    return `${note}; seed 5: ${changed} channels differ from seed 0 by more than 2`;
  });

  await step('U-Net eval again after test-mode translations uses the file\'s running statistics', unet, async () => {
    await h.resetStatus(unet);
    await unet.selectOption('#mode', 'eval');
    await h.waitDone(unet);
    return compare(await h.outputPixels(unet), want.unetEval(), 'U-Net eval after test mode', UNET_TOLERANCE);
  });

  await step('discriminator weights: #error says so, the generator is kept', unet, async () => {
    await unet.setInputFiles('#weights-input', file('D.safetensors'));
    const text = await errorText(unet);
    assert.match(text, /D\.safetensors: This file holds the weights of a discriminator \(n_layers 3 ndf 4, norm instance, 3 input channels\), not of a generator/);
    assert.match(await unet.textContent('#architecture'), /pix2pix U-Net unet_64/);
    await h.resetStatus(unet);
    await unet.click('#translate');
    await h.waitDone(unet);
    compare(await h.outputPixels(unet), want.unetEval(), 'U-Net after a rejected discriminator', UNET_TOLERANCE);
    return text.slice(0, 120) + '…';
  });
  await unet.close();

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
