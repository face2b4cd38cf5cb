// End-to-end test of the browser app (index.html + pkg/) in headless
// Chromium, WebGPU on SwiftShader: CycleGAN ResNet translations must match
// the native `trainer translate` on the same image and weights within 2/255
// per channel, in both directions, for safetensors and .pth weights; a
// pix2pix U-Net (batch norm, dropout) must match the native
// `translate_reference` example within 1/255 in eval mode and in the
// test.py default mode with seeded dropout; every failure (bad weights, a
// discriminator, bad image, device lost, no adapter, no WebGPU) must show a
// message in #error. DCGAN weights open the Generate mode: its grid must
// match the native `trainer generate` for the seed, be the same for a seed
// and differ for the next; the interpolation's ends must be the two seeds'
// first samples; images of the reference's latents must match its images
// within 1/255 (safetensors and the reference's netG .pth); translating with
// a DCGAN and generating with a translator must each say so in #error. A
// DiscoGAN generator (whose networks see [0, 1] BGR) must match the native
// `trainer translate`. The U-GAT-IT reference's whole checkpoint gives
// genA2B to A -> B and genB2A to B -> A: the translation and the attention
// map beside it must match `trainer translate --attention`.
//
// node tests/browser/e2e.mjs   (after `npm ci` in tests/browser)
// E2E_ONLY=REGEX runs only the steps whose names match (and builds only the
// references they need).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
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

// DCGAN: the reference's generator after three iterations (nz 8, ngf 4),
// its latents gen_noise [5, 8, 1, 1] and its images of them in training
// mode (gen_train) and eval mode (gen_eval), [5, 3, 64, 64] in [-1, 1].
const DCGAN_DIR = 'tests/fixtures/dcgan_reference';
const DCGAN_URL = `/${DCGAN_DIR}/G_step3.safetensors`;
const DCGAN_TOLERANCE = 1;

// U-GAT-IT: the reference's whole checkpoint (genA2B, genB2A, disGA, ...).
const UGATIT_CHECKPOINT = 'tests/fixtures/ugatit_reference/params_0000003.pt';

// The full model's (ch 3, 128x128 only; its FC.0 is 576 KiB).
const UGATIT_FULL_CHECKPOINT = 'tests/fixtures/ugatit_reference_full/params_0000003.pt';

// `trainer translate --attention` of `input` (input.png) with the
// checkpoint's generator of `direction` (AtoB or BtoA): {image, attention}.
function ugatitExpected(direction, checkpoint = UGATIT_CHECKPOINT, input = 'input.png') {
  const tag = `${direction}-${path.basename(path.dirname(checkpoint))}`;
  const out = file(`expected-ugatit-${tag}.png`);
  const args = ['translate', '--weights', path.join(h.repo, checkpoint), '--direction', direction, '--attention'];
  execFileSync(h.trainer(), [...args, '--input', file(input), '--output', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  const attention = file(`expected-ugatit-${tag}_attention.png`);
  return { image: decodePng(fs.readFileSync(out)), attention: decodePng(fs.readFileSync(attention)) };
}

// The float32 tensors of a safetensors file: {name: {shape, data}}.
function readSafetensors(file) {
  const bytes = fs.readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  const out = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    assert.equal(t.dtype, 'F32', `${name}: dtype`);
    const [begin, end] = t.data_offsets;
    const raw = bytes.subarray(8 + n + begin, 8 + n + end);
    const data = new Float32Array(raw.length / 4);
    for (let i = 0; i < data.length; i++) data[i] = raw.readFloatLE(4 * i);
    out[name] = { shape: t.shape, data };
  }
  return out;
}

// The pixels of a canvas as {width, height, rgba}.
// A copy of a safetensors file with every running_mean set to 0 and every
// running_var to `variance`.
function withRunningStats(from, to, variance) {
  const bytes = Buffer.from(fs.readFileSync(from));
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  for (const [name, t] of Object.entries(header)) {
    const value = name.endsWith('.running_mean') ? 0 : name.endsWith('.running_var') ? variance : null;
    if (value === null) continue;
    const [begin, end] = t.data_offsets;
    for (let o = 8 + n + begin; o < 8 + n + end; o += 4) bytes.writeFloatLE(value, o);
  }
  fs.writeFileSync(to, bytes);
}

function canvasPixels(page, id) {
  return page.evaluate((id) => {
    const c = document.getElementById(id);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    return { width: c.width, height: c.height, rgba: Array.from(d.data) };
  }, id);
}

// Cell `i` (64x64) of a grid canvas with `columns` cells per row.
function cell(grid, i, columns, side = 64) {
  const rgba = new Array(side * side * 4);
  const [x0, y0] = [(i % columns) * side, Math.floor(i / columns) * side];
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side * 4; x++) rgba[y * side * 4 + x] = grid.rgba[((y0 + y) * grid.width + x0) * 4 + x];
  }
  return { width: side, height: side, rgba };
}

// Images [N, 3, 64, 64] in [-1, 1] against a row of N cells: the largest
// difference from (v + 1) / 2 * 255, as the trainer's test measures it.
function compareTensorImages(grid, tensor, what) {
  const [count, , side] = tensor.shape;
  assert.equal(`${grid.width}x${grid.height}`, `${count * side}x${side}`, `${what}: grid size`);
  const hw = side * side;
  let worst = { diff: -1 };
  for (let n = 0; n < count; n++) {
    const img = cell(grid, n, count, side);
    for (let p = 0; p < hw; p++) {
      assert.equal(img.rgba[4 * p + 3], 255, `${what}: alpha`);
      for (let c = 0; c < 3; c++) {
        const v = tensor.data[(n * 3 + c) * hw + p];
        const want = Math.min(255, Math.max(0, ((v + 1) / 2) * 255));
        const diff = Math.abs(img.rgba[4 * p + c] - want);
        if (diff > worst.diff) worst = { diff, n, p, c, got: img.rgba[4 * p + c], want };
      }
    }
  }
  const where = `image ${worst.n} pixel (${worst.p % side}, ${Math.floor(worst.p / side)}) channel ${worst.c}: browser ${worst.got}, reference ${worst.want.toFixed(2)}`;
  assert.ok(worst.diff <= DCGAN_TOLERANCE, `${what}: max difference ${worst.diff.toFixed(2)}/255 > ${DCGAN_TOLERANCE} at ${where}`);
  return `max |diff| ${worst.diff.toFixed(2)}/255 from the reference's ${count} images`;
}

// Channels of two images that differ by more than `by`.
const differing = (a, b, by = 0) => a.rgba.filter((v, i) => Math.abs(v - b.rgba[i]) > by).length;

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
const { step, failures } = h.steps(only);

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
    assert.match(text, /Choose a generator state_dict \(a CycleGAN ResnetGenerator, a pix2pix UnetGenerator, a DCGAN generator or a U-GAT-IT generator\)/);
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

  const tuned = await h.newPage(browser);
  await step('?kernels=autotune: the first translation measures its shapes\' forms, the second runs the winners; both match trainer translate', tuned, async () => {
    await h.openApp(tuned, app('?weights=/__e2e/G_A.safetensors&kernels=autotune'));
    assert.ok(await tuned.isHidden('#error'), `unexpected error: ${await tuned.textContent('#error')}`);
    assert.match(await tuned.textContent('#adapter'), /Convolutions: autotuned \(nothing measured yet\)\.$/);
    await h.resetStatus(tuned);
    await tuned.setInputFiles('#image-input', file('input.png'));
    await h.waitDone(tuned);
    const first = await tuned.textContent('#timing');
    const m = /measured the convolution forms of (\d+) new shapes in \d+ ms; later translations run the fastest \(autotuned, (\d+) shapes: ([^)]*)\)/.exec(first);
    assert.ok(m && Number(m[1]) > 0 && m[1] === m[2], `timing line: ${first}`);
    compare(await h.outputPixels(tuned), want.G_A(), 'A -> B, first (rule) run');
    await h.resetStatus(tuned);
    await tuned.click('#translate');
    await h.waitDone(tuned);
    const second = await tuned.textContent('#timing');
    assert.doesNotMatch(second, /measured/, 'the second translation measures nothing');
    const note = compare(await h.outputPixels(tuned), want.G_A(), 'A -> B, autotuned forms');
    return `${m[1]} shapes: ${m[3]}; ${note}`;
  });

  await step('?kernels=tiled-32x32 pins the tiled form and matches; ?kernels=fastest: #error names the value and the forms', tuned, async () => {
    await h.openApp(tuned, app('?weights=/__e2e/G_A.safetensors&kernels=tiled-32x32'));
    assert.match(await tuned.textContent('#adapter'), /Convolutions: tiled-32x32 wherever it applies \(pinned\)\.$/);
    await h.resetStatus(tuned);
    await tuned.setInputFiles('#image-input', file('input.png'));
    await h.waitDone(tuned);
    const note = compare(await h.outputPixels(tuned), want.G_A(), 'A -> B, tiled-32x32');
    await h.openApp(tuned, app('?weights=/__e2e/G_A.safetensors&kernels=fastest'));
    const text = await errorText(tuned);
    assert.match(text, /\?kernels: .*"fastest" names no convolution form; use one of direct, .*tiled-128x64, autotune, rule or auto/);
    return note;
  });
  await tuned.close();

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

  const disco = await h.newPage(browser);
  await step('DiscoGAN G_B ([0, 1] BGR inside): matches trainer translate', disco, async () => {
    fs.copyFileSync(path.join(h.repo, 'tests/fixtures/discogan_reference/G_B_step5.safetensors'), file('disco_G_B.safetensors'));
    await h.openApp(disco, app('?weights=/__e2e/disco_G_B.safetensors'));
    assert.ok(await disco.isHidden('#error'), `unexpected error: ${await disco.textContent('#error')}`);
    const arch = await disco.textContent('#architecture');
    assert.match(arch, /DiscoGAN discogan ngf 4/);
    await h.resetStatus(disco);
    await disco.setInputFiles('#image-input', file('input.png'));
    const ms = await h.waitDone(disco);
    const note = compare(await h.outputPixels(disco), expected('disco_G_B.safetensors'), 'DiscoGAN A -> B');
    return `${note}; ${ms} ms; ${arch}`;
  });
  await disco.close();

  // U-GAT-IT: the reference's checkpoint after three iterations (light, ch 2).
  const UGATIT_URL = `/${UGATIT_CHECKPOINT}`;
  const ugatit = await h.newPage(browser);
  let ugatitA2B;
  await step('U-GAT-IT checkpoint ?weights=: genA2B translates, attention map beside it, both match trainer translate --attention', ugatit, async () => {
    await h.openApp(ugatit, app(`?weights=${UGATIT_URL}`));
    assert.ok(await ugatit.isHidden('#error'), `unexpected error: ${await ugatit.textContent('#error')}`);
    const arch = await ugatit.textContent('#architecture');
    assert.match(arch, /^Model \(A → B\): U-GAT-IT light generator \(ch 2, 2 residual blocks\) \(0\.\d+ M parameters\)$/);
    assert.ok(await ugatit.isHidden('#attention-pane'), 'no attention map before a translation');
    assert.ok(await ugatit.isHidden('#mode-control'), 'no test-time modes');
    await h.resetStatus(ugatit);
    await ugatit.setInputFiles('#image-input', file('input.png'));
    const ms = await h.waitDone(ugatit);
    assert.ok(await ugatit.isVisible('#attention-pane'), 'the attention map shows');
    assert.equal((await ugatit.textContent('#attention-pane figcaption')).trim(), 'Attention (CAM)');
    assert.ok(await ugatit.isEnabled('#download-attention'), 'its download is enabled');
    const want = ugatitExpected('AtoB');
    ugatitA2B = await h.outputPixels(ugatit);
    const image = compare(ugatitA2B, want.image, 'U-GAT-IT A -> B');
    const attention = compare(await canvasPixels(ugatit, 'attention'), want.attention, 'U-GAT-IT A -> B attention');
    return `image ${image}; attention ${attention}; ${ms} ms`;
  });

  await step('U-GAT-IT checkpoint without genB2A and the discriminators through #weights-input: #error', ugatit, async () => {
    // One tensor under genA2B.: a checkpoint missing five of its six networks.
    const header = Buffer.from(JSON.stringify({ 'genA2B.gap_fc.weight': { dtype: 'F32', shape: [1, 1], data_offsets: [0, 4] } }));
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(header.length));
    const buffer = Buffer.concat([size, header, Buffer.alloc(4)]);
    await ugatit.setInputFiles('#weights-input', { name: 'partial.pt', mimeType: 'application/octet-stream', buffer });
    const text = await errorText(ugatit);
    assert.match(text, /partial\.pt: This file cannot be used as generator weights: not a complete U-GAT-IT checkpoint: it has no genB2A, disGA, disGB, disLA, disLB/);
    assert.match(await ugatit.textContent('#architecture'), /U-GAT-IT light generator/, 'the loaded generator is kept');
    return text.slice(0, 160) + '…';
  });
  await ugatit.close();

  const ugatitB = await h.newPage(browser);
  await step('U-GAT-IT checkpoint ?weights_b=: B → A takes genB2A, matches trainer translate --direction BtoA --attention', ugatitB, async () => {
    await h.openApp(ugatitB, app(`?weights_b=${UGATIT_URL}&direction=b2a`));
    assert.ok(await ugatitB.isHidden('#error'), `unexpected error: ${await ugatitB.textContent('#error')}`);
    assert.match(await ugatitB.textContent('#architecture'), /^Model \(B → A\): U-GAT-IT light generator \(ch 2, 2 residual blocks\)/);
    await h.resetStatus(ugatitB);
    await ugatitB.setInputFiles('#image-input', file('input.png'));
    const ms = await h.waitDone(ugatitB);
    assert.ok(await ugatitB.isVisible('#attention-pane'), 'the attention map shows');
    const want = ugatitExpected('BtoA');
    const out = await h.outputPixels(ugatitB);
    const image = compare(out, want.image, 'U-GAT-IT B -> A');
    const attention = compare(await canvasPixels(ugatitB, 'attention'), want.attention, 'U-GAT-IT B -> A attention');
    if (ugatitA2B) assert.ok(differing(out, ugatitA2B, 2) > 100, 'genB2A translates differently from genA2B');
    return `image ${image}; attention ${attention}; ${ms} ms`;
  });
  await ugatitB.close();

  const ugatitFull = await h.newPage(browser);
  await step('U-GAT-IT full model checkpoint: a 128x128 image translates as trainer translate --attention does', ugatitFull, async () => {
    // A 128x128 input, the only size this generator takes (no scaling).
    const S = 128;
    const sq = new Uint8Array(S * S * 3);
    for (let i = 0; i < S * S; i++) {
      const [x, y] = [i % S, Math.floor(i / S)];
      sq.set([(x * 2 + y) & 255, Math.round(127 + 120 * Math.sin(x / 9) * Math.cos(y / 7)), (x * y + 40) & 255], 3 * i);
    }
    fs.writeFileSync(file('input128.png'), encodePng(S, S, sq, 3));
    await h.openApp(ugatitFull, app(`?weights=/${UGATIT_FULL_CHECKPOINT}`));
    assert.ok(await ugatitFull.isHidden('#error'), `unexpected error: ${await ugatitFull.textContent('#error')}`);
    assert.match(await ugatitFull.textContent('#architecture'), /^Model \(A → B\): U-GAT-IT generator \(ch 3, 2 residual blocks, 128x128 images\)/);
    await h.resetStatus(ugatitFull);
    await ugatitFull.setInputFiles('#image-input', file('input128.png'));
    const ms = await h.waitDone(ugatitFull);
    const want = ugatitExpected('AtoB', UGATIT_FULL_CHECKPOINT, 'input128.png');
    const image = compare(await h.outputPixels(ugatitFull), want.image, 'U-GAT-IT full A -> B');
    const attention = compare(await canvasPixels(ugatitFull, 'attention'), want.attention, 'U-GAT-IT full A -> B attention');
    return `image ${image}; attention ${attention}; ${ms} ms`;
  });
  await ugatitFull.close();

  const dcgan = await h.newPage(browser);
  const reference = readSafetensors(path.join(h.repo, DCGAN_DIR, 'inputs.safetensors'));
  const noise = reference.gen_noise.data;
  withRunningStats(path.join(h.repo, DCGAN_DIR, 'G_step3.safetensors'), file('G_eval.safetensors'), 0.01);
  let seed0;
  await step('DCGAN ?weights=: the Generate mode draws 64 samples of seed 0 and matches trainer generate', dcgan, async () => {
    await dcgan.goto(app(`?weights=${DCGAN_URL}`));
    const ms = await h.waitDone(dcgan);
    assert.match(await dcgan.textContent('#architecture'), /^Model \(A → B\): DCGAN dcgan nz 8 ngf 4, 3 output channels \(0\.\d+ M parameters\)$/);
    assert.ok(await dcgan.isVisible('#generate-mode'), 'the Generate mode shows');
    assert.ok(await dcgan.isHidden('#drop'), 'the image panes are hidden');
    assert.ok(await dcgan.isHidden('#translate'), 'no translate button');
    assert.ok(await dcgan.isVisible('#mode-control'), 'the BatchNorm mode control shows');
    assert.equal(await dcgan.inputValue('#mode'), 'test');
    assert.match(await dcgan.textContent('#grid-caption'), /^64 samples of seed 0 \(batch statistics of the 64 images\)$/);
    seed0 = await canvasPixels(dcgan, 'grid');
    assert.equal(`${seed0.width}x${seed0.height}`, '512x512', '8 x 8 cells of 64x64');
    const strip = await canvasPixels(dcgan, 'strip');
    assert.equal(`${strip.width}x${strip.height}`, '512x64', 'an 8-step strip');
    // Not one flat colour: the cells differ from each other.
    assert.ok(differing(cell(seed0, 0, 8), cell(seed0, 1, 8), 2) > 1000, 'samples 0 and 1 differ');
    // The same latents natively (lavapipe) up to the precision of log and cos.
    const out = file('dcgan-seed0');
    execFileSync(h.trainer(), ['generate', '--weights', path.join(h.repo, DCGAN_DIR, 'G_step3.safetensors'), '--seed', '0', '--count', '64', '--output', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let note = '';
    let worst = 0;
    for (const i of [0, 1, 9, 63]) {
      const native = decodePng(fs.readFileSync(path.join(out, `generated_${String(i).padStart(4, '0')}.png`)));
      note = compare(cell(seed0, i, 8), native, `sample ${i} against trainer generate`, DCGAN_TOLERANCE);
      worst = Math.max(worst, Number(/max \|diff\| (\d+)/.exec(note)[1]));
    }
    return `samples 0, 1, 9, 63 within ${worst}/255 of trainer generate --seed 0; ${ms} ms`;
  });

  await step('DCGAN: New samples draws seed 1 (other images); seed 0 again gives the same grid', dcgan, async () => {
    await h.resetStatus(dcgan);
    await dcgan.click('#new-samples');
    await h.waitDone(dcgan);
    assert.equal(await dcgan.inputValue('#gen-seed'), '1');
    assert.match(await dcgan.textContent('#grid-caption'), /^64 samples of seed 1 /);
    const seed1 = await canvasPixels(dcgan, 'grid');
    const changed = differing(seed0, seed1, 2);
    assert.ok(changed > seed0.rgba.length / 4, `seed 1 changes the grid (${changed} channels differ by more than 2)`);
    await h.resetStatus(dcgan);
    await dcgan.fill('#gen-seed', '0');
    await dcgan.dispatchEvent('#gen-seed', 'change');
    await h.waitDone(dcgan);
    const again = await canvasPixels(dcgan, 'grid');
    assert.equal(differing(seed0, again), 0, 'seed 0 twice gives the same pixels');
    return `seed 1: ${changed} of ${seed0.rgba.length} channels differ from seed 0 by more than 2; seed 0 again identical`;
  });

  await step('DCGAN: images of the reference\'s latents match its images within 1/255 (batch statistics and eval)', dcgan, async () => {
    const notes = [];
    // The mode is test after the previous step: each selection changes it.
    for (const [mode, key] of [['eval', 'gen_eval'], ['test', 'gen_train']]) {
      await h.resetStatus(dcgan);
      await dcgan.selectOption('#mode', mode);
      await h.waitDone(dcgan);
      await h.resetStatus(dcgan);
      await dcgan.evaluate((z) => window.cyclegan.generateLatents(z), Array.from(noise));
      await h.waitDone(dcgan);
      assert.match(await dcgan.textContent('#grid-caption'), /^5 images of the given latents/);
      notes.push(`${key}: ${compareTensorImages(await canvasPixels(dcgan, 'grid'), reference[key], key)}`);
    }
    return notes.join('; ');
  });

  await step('DCGAN: the reference\'s netG_epoch_0.pth through #weights-input matches gen_train', dcgan, async () => {
    // Saved after a training-mode pass: compare with batch statistics (the mode after the previous step).
    assert.equal(await dcgan.inputValue('#mode'), 'test');
    await h.resetStatus(dcgan);
    await dcgan.setInputFiles('#weights-input', path.join(h.repo, DCGAN_DIR, 'netG_epoch_0.pth'));
    await h.waitDone(dcgan);
    assert.match(await dcgan.textContent('#models'), /A → B: netG_epoch_0\.pth \(your file\), DCGAN dcgan nz 8 ngf 4/);
    await h.resetStatus(dcgan);
    await dcgan.evaluate((z) => window.cyclegan.generateLatents(z), Array.from(noise));
    await h.waitDone(dcgan);
    return compareTensorImages(await canvasPixels(dcgan, 'grid'), reference.gen_train, 'netG_epoch_0.pth gen_train');
  });

  await step('DCGAN eval: the interpolation runs from seed 0\'s first sample to seed 1\'s', dcgan, async () => {
    // After three iterations the running variances are far above the
    // activations' (the latents barely move the eval-mode images), so the
    // file's running statistics are set to a scale near the activations'.
    await h.resetStatus(dcgan);
    await dcgan.setInputFiles('#weights-input', file('G_eval.safetensors'));
    await h.waitDone(dcgan);
    await h.resetStatus(dcgan);
    await dcgan.selectOption('#mode', 'eval');
    await h.waitDone(dcgan);
    assert.match(await dcgan.textContent('#grid-caption'), /\(eval: running statistics\)$/);
    assert.match(await dcgan.textContent('#strip-caption'), /^From seed 0's first latent to seed 1's in 8 steps \(eval: running statistics\)$/);
    const grid0 = await canvasPixels(dcgan, 'grid');
    const strip = await canvasPixels(dcgan, 'strip');
    const start = compare(cell(strip, 0, 8), cell(grid0, 0, 8), 'first step against seed 0\'s first sample', 0);
    await h.resetStatus(dcgan);
    await dcgan.fill('#gen-seed', '1');
    await dcgan.click('#generate');
    await h.waitDone(dcgan);
    const grid1 = await canvasPixels(dcgan, 'grid');
    const end = compare(cell(strip, 7, 8), cell(grid1, 0, 8), 'last step against seed 1\'s first sample', 0);
    // The steps between move away from seed 0's image towards seed 1's.
    const [first, last] = [cell(grid0, 0, 8), cell(grid1, 0, 8)];
    const ends = differing(first, last);
    const away = [1, 4, 6].map((k) => differing(cell(strip, k, 8), first));
    assert.ok(ends > 0, 'the two seeds give different images');
    assert.ok(away.every((n) => n > 0), `every step between differs from the first (${away.join(', ')} channels)`);
    // Another pair of seeds and step count.
    await h.resetStatus(dcgan);
    await dcgan.fill('#interp-a', '5');
    await dcgan.fill('#interp-b', '9');
    await dcgan.fill('#interp-steps', '3');
    await dcgan.click('#interpolate');
    await h.waitDone(dcgan);
    const short = await canvasPixels(dcgan, 'strip');
    assert.equal(`${short.width}x${short.height}`, '192x64', 'a 3-step strip');
    return `start ${start}; end ${end}; the ends differ in ${ends} channels, steps 1, 4, 6 differ from the first in ${away.join(', ')}`;
  });

  await step('DCGAN: bad counts, wrong latents and translating with it each say why', dcgan, async () => {
    const request = (msg) => dcgan.evaluate((m) => window.cyclegan.request(m).then(() => 'no error', (e) => e.message), msg);
    assert.match(await request({ op: 'generate', slot: 'a2b', seed: 0, count: 0 }), /count 0 is out of range: ask for 1 to 256 images/);
    assert.match(await request({ op: 'generate', slot: 'a2b', seed: 0, count: 257 }), /count 257 is out of range/);
    assert.match(await request({ op: 'interpolate', slot: 'a2b', seedA: 0, seedB: 1, steps: 1 }), /steps 1 is out of range: ask for 2 to 256/);
    assert.match(await request({ op: 'generateLatents', slot: 'a2b', latents: [1, 2, 3] }), /3 latent values do not make whole latents of 8 values each/);
    assert.match(await request({ op: 'generateLatents', slot: 'a2b', latents: [0, 0, 0, 0, 0, 0, 0, NaN] }), /Latent value 7 is NaN/);
    assert.equal(await request({ op: 'generate', slot: 'a2b', seed: 3, count: 256 }), 'no error', '256 samples with batch statistics fit');
    await dcgan.setInputFiles('#image-input', file('input.png'));
    const text = await errorText(dcgan);
    assert.match(text, /The generator for a2b \(DCGAN dcgan nz 8 ngf 4, 3 output channels\) makes images from random latents; it does not translate images\. Use the Generate mode/);
    return text.slice(0, 120) + '…';
  });

  await step('a translator after DCGAN: the image panes return; generating with it says why', dcgan, async () => {
    await h.resetStatus(dcgan);
    await dcgan.setInputFiles('#weights-input', file('G_A.safetensors'));
    await h.waitDone(dcgan);
    assert.ok(await dcgan.isHidden('#generate-mode'), 'the Generate mode hides');
    assert.ok(await dcgan.isVisible('#drop'), 'the image panes show');
    compare(await h.outputPixels(dcgan), want.G_A(), 'A -> B after the DCGAN');
    const text = await dcgan.evaluate(() => window.cyclegan.request({ op: 'generate', slot: 'a2b', seed: 0, count: 4 }).then(() => 'no error', (e) => e.message));
    assert.match(text, /The generator for a2b \(CycleGAN ResNet resnet_6blocks ngf 8, norm instance\) translates images; it does not generate them from latents\. Choose an image/);
    return text.slice(0, 120) + '…';
  });
  await dcgan.close();

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
if (failures()) {
  console.log(`${failures()} browser test(s) failed`);
  process.exit(1);
}
console.log('all browser tests passed');
