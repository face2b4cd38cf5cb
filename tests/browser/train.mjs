// End-to-end test of the page's Train mode in headless Chromium (WebGPU on
// SwiftShader): a tiny CycleGAN trained from the page on the demo domains
// must follow `trainer` on the same data, settings and seed (losses within
// the tolerance below: two adapters, two f32 orders of summation); its
// checkpoint zip, downloaded from the page, must import and resume natively
// and continue as the uninterrupted native run does; a reload mid-run must
// resume from the browser's saved step exactly as the run would have gone
// on; a checkpoint `trainer` wrote must resume in the tab; pix2pix on A|B
// pairs (BatchNorm, dropout), DCGAN and DiscoGAN must follow `trainer` too;
// a lost device must offer the saved run; bad input (no
// images, an unreadable image, a size beyond the adapter's buffers, a file
// that is not a checkpoint) must show a message.
//
// node tests/browser/train.mjs   (after `npm ci` in tests/browser)
// E2E_ONLY=REGEX runs only the steps whose names match.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as h from './harness.mjs';
import { zipStored } from './pth.mjs';

// Relative tolerance of a loss against `trainer`'s (plus 1e-4 absolute): one
// step from the same state agrees to about 1e-6 between lavapipe and
// SwiftShader, and four steps from the same initial weights to about 1e-4;
// any difference of data, augmentation, initialisation or step changes a
// loss by 1e-2 or more. (Further on, Adam's early steps amplify the two
// adapters' rounding: parameters whose gradients are near zero move by a
// full step of either sign, so runs on two adapters part by about 1% within
// two more iterations; comparisons across adapters therefore start from the
// same state.)
const REL = 2e-3;
const ITERS = 4;
const only = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY) : null;
const dir = h.tempDir('train');
const file = (name) => path.join(dir, name);
const trainer = h.trainer();

// The settings of every run here, as the page's inputs and as trainer's flags.
const SETTINGS = { 'train-net-g': 'resnet_6blocks', 'train-ngf': 4, 'train-ndf': 4, 'train-load': 36, 'train-crop': 32, 'train-batch': 1, 'train-lr': 0.0002, 'train-epochs': 100, 'train-decay': 100, 'train-seed': 3 };
const FLAGS = ['--net-g', 'resnet_6blocks', '--ngf', '4', '--ndf', '4', '--load-size', '36', '--crop-size', '32', '--batch-size', '1', '--lr', '0.0002', '--n-epochs', '100', '--n-epochs-decay', '100', '--seed', '3', '--print-freq', '1', '--display-freq', '1000', '--save-latest-freq', '1000'];
const NAMES = ['D_A', 'G_A', 'cycle_A', 'idt_A', 'D_B', 'G_B', 'cycle_B', 'idt_B'];

function native(name, extra, { flags = FLAGS, names = NAMES } = {}) {
  execFileSync(trainer, ['--name', name, '--checkpoints-dir', dir, ...flags, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  return fs
    .readFileSync(path.join(dir, name, 'loss_log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .map((p) => ({ iteration: p.iters, losses: names.map((n) => p[n]) }));
}

// The worst relative difference of two loss histories, which must cover the same iterations.
function compareLosses(got, want, rel = REL, names = NAMES) {
  assert.deepEqual(got.map((p) => p.iteration), want.map((p) => p.iteration), 'the same iterations');
  let worst = 0;
  got.forEach((p, i) =>
    p.losses.forEach((v, k) => {
      const w = want[i].losses[k];
      const d = Math.abs(v - w);
      assert.ok(d <= 1e-4 + rel * Math.abs(w), `iteration ${p.iteration} ${names[k]}: ${v} here, ${w} expected`);
      worst = Math.max(worst, d / Math.max(Math.abs(w), 1e-6));
    }),
  );
  return worst;
}

const server = await h.serve({ __train: dir });
const app = (query = '') => `${server.url}/index.html?view=train&save_every=2&samples_every=2${query}`;
const { step, failures } = h.steps(only);

async function openTrain(page, query) {
  await page.goto(app(query));
  await page.waitForSelector('#train-view:not([hidden])');
  await page.waitForFunction(() => document.querySelector('#adapter').textContent !== '' || !document.querySelector('#error').hidden, null, { timeout: 120000 });
}

async function fill(page, stopAt) {
  for (const [id, v] of Object.entries(SETTINGS)) {
    if (id === 'train-net-g') await page.selectOption(`#${id}`, v);
    else await page.fill(`#${id}`, String(v));
  }
  await page.fill('#train-stop-at', String(stopAt));
}

// Waits until the run pauses (or #error shows) and returns the page's state.
async function waitPaused(page, iteration, timeout = 600000) {
  const r = await (
    await page.waitForFunction(
      (it) => {
        const error = document.querySelector('#error');
        if (!error.hidden) return { error: error.textContent };
        const s = window.cyclegan.training();
        return !s.running && s.run && s.run.iteration >= it && s.lastSave.iteration === s.run.iteration ? { ok: true } : false;
      },
      iteration,
      { timeout, polling: 250 },
    )
  ).jsonValue();
  if (r.error) throw new Error(`#error: ${r.error}`);
  return page.evaluate(() => JSON.parse(JSON.stringify(window.cyclegan.training())));
}

async function errorText(page, timeout = 120000) {
  await page.waitForSelector('#error:not([hidden])', { timeout });
  return page.textContent('#error');
}

const browser = await h.launch();
try {
  const page = await h.newPage(browser);
  let want; // trainer's losses, iterations 1..ITERS + 2
  let web; // the page's, iterations 1..ITERS

  await step(`the page trains ${ITERS} iterations on the demo domains and follows trainer`, page, async () => {
    want = native('native', ['--max-iters', String(ITERS + 2)]);
    await openTrain(page);
    await fill(page, ITERS);
    await page.click('#train-demo');
    const t0 = Date.now();
    await page.click('#train-start');
    const s = await waitPaused(page, ITERS);
    web = s.history;
    const worst = compareLosses(web, want.slice(0, ITERS));
    const stats = await page.textContent('#train-stats');
    assert.match(stats, /iteration 4 of 9600 · epoch 1 \(48 iterations each\)/);
    assert.match(stats, /GPU memory \d+ MiB/);
    const samples = await page.evaluate(() => [document.querySelector('#train-samples').width, document.querySelector('#train-samples').height]);
    assert.deepEqual(samples, [6 * 32, 32], 'six 32x32 sample images in a row');
    const rate = (ITERS / ((Date.now() - t0) / 1000)).toFixed(2);
    return `worst relative difference ${worst.toExponential(2)}; ${rate} it/s in headless Chromium (SwiftShader), start included; ${stats}`;
  });

  await step('the checkpoint zip imports natively and --continue-train takes the step the tab takes', page, async () => {
    assert.ok(web, 'needs the previous step');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#train-download-checkpoint')]);
    assert.match(download.suggestedFilename(), /^browser_latest_iter4\.zip$/);
    await download.saveAs(file('web.zip'));
    const [ga] = await Promise.all([page.waitForEvent('download'), page.click('#train-download-g-a')]);
    await ga.saveAs(file('G_A.safetensors'));
    const out = execFileSync(trainer, ['import', file('web.zip'), '--name', 'fromweb', '--checkpoints-dir', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(out, /fromweb\/latest/);
    // The import refuses to replace a checkpoint.
    assert.throws(() => execFileSync(trainer, ['import', file('web.zip'), '--name', 'fromweb', '--checkpoints-dir', dir], { stdio: 'pipe' }), /already exists/);
    // The tab goes on one step; trainer resumes the zip and takes the same one.
    await page.fill('#train-stop-at', String(ITERS + 1));
    await page.click('#train-start');
    const s = await waitPaused(page, ITERS + 1);
    const resumed = native('fromweb', ['--continue-train', '--max-iters', String(ITERS + 1)]);
    const worst = compareLosses(resumed, s.history.slice(ITERS));
    // The page's generator translates natively.
    execFileSync(trainer, ['translate', '--weights', file('G_A.safetensors'), '--input', path.join(dir, 'native', 'demo_data', 'trainA', 'day_000.png'), '--output', file('day_000_night.png')], { stdio: 'pipe' });
    return `iteration ${ITERS + 1} natively from the tab's checkpoint and in the tab: worst relative difference ${worst.toExponential(2)}`;
  });

  await step('a reload mid-run resumes from the saved step exactly', page, async () => {
    assert.ok(web, 'needs the first step');
    // The run saved at iteration 4; start it again from a fresh page: first 2 iterations, saved, then reload.
    await page.evaluate(() => new Promise((r) => { const q = indexedDB.deleteDatabase('gan-webgpu-train'); q.onsuccess = q.onerror = q.onblocked = () => r(); }));
    await openTrain(page);
    await fill(page, 2);
    await page.click('#train-demo');
    await page.click('#train-start');
    await waitPaused(page, 2);
    await page.reload();
    await page.waitForSelector('#train-resume-saved:not([hidden])', { timeout: 120000 });
    assert.match(await page.textContent('#train-saved'), /saved at iteration 2/);
    await page.fill('#train-stop-at', String(ITERS));
    await page.click('#train-resume-saved');
    const s = await waitPaused(page, ITERS);
    assert.deepEqual(s.history.map((p) => p.iteration), [1, 2, 3, 4], 'the saved history, then iterations 3 and 4');
    for (let i = 0; i < ITERS; i++) assert.deepEqual(s.history[i].losses, web[i].losses, `iteration ${i + 1} as the uninterrupted run's`);
    return 'iterations 3 and 4 after the reload are bit-identical to the uninterrupted run\'s';
  });

  await step('a lost device: #error says so, and the saved run resumes exactly', page, async () => {
    assert.ok(web, 'needs the first step');
    await page.evaluate(() => new Promise((r) => { const q = indexedDB.deleteDatabase('gan-webgpu-train'); q.onsuccess = q.onerror = q.onblocked = () => r(); }));
    await openTrain(page);
    await fill(page, 2);
    await page.click('#train-demo');
    await page.click('#train-start');
    await waitPaused(page, 2);
    await page.evaluate(() => window.cyclegan.simulateTrainingDeviceLoss());
    const lost = await errorText(page);
    assert.match(lost, /device was lost.*Training stopped; resume it from the last saved step/s);
    await page.waitForSelector('#train-resume-saved:not([hidden])', { timeout: 60000 });
    await page.fill('#train-stop-at', String(ITERS));
    await page.click('#train-resume-saved');
    const s = await waitPaused(page, ITERS);
    for (let i = 0; i < ITERS; i++) assert.deepEqual(s.history[i].losses, web[i].losses, `iteration ${i + 1} as the uninterrupted run's`);
    return lost.slice(0, 80);
  });

  await step('a checkpoint trainer wrote resumes in the tab', page, async () => {
    assert.ok(want, 'needs the first step');
    // trainer's latest/ at iteration ITERS + 2, zipped by the page's own format: use trainer's folder.
    const zip = zipFolder(path.join(dir, 'native', 'latest'));
    fs.writeFileSync(file('native.zip'), zip);
    await page.click('#train-demo');
    await page.fill('#train-stop-at', String(ITERS + 3));
    await page.setInputFiles('#train-resume-file', file('native.zip'));
    const s = await waitPaused(page, ITERS + 3);
    assert.equal(s.history[0].iteration, ITERS + 3);
    const more = native('native', ['--continue-train', '--max-iters', String(ITERS + 3)]);
    const worst = compareLosses(s.history, more.slice(-1));
    return `iteration ${ITERS + 3} in the tab after trainer's ${ITERS + 2}: worst relative difference ${worst.toExponential(2)}`;
  });

  const tuned = await h.newPage(browser);
  await step('?kernels=autotune: the forms are measured after iteration 1, the checkpoint records them, the run follows trainer', tuned, async () => {
    assert.ok(want, 'needs the first step');
    await openTrain(tuned, '&kernels=autotune');
    assert.match(await tuned.textContent('#adapter'), /Convolutions: autotuned \(nothing measured yet\)\.$/);
    await fill(tuned, 2);
    await tuned.click('#train-demo');
    await tuned.click('#train-start');
    const s = await waitPaused(tuned, 2);
    // Iteration 1 runs the default rule's forms, as trainer does; iteration 2
    // the measured ones, within the tolerance every form keeps.
    const worst = compareLosses(s.history, want.slice(0, 2));
    const [download] = await Promise.all([tuned.waitForEvent('download'), tuned.click('#train-download-checkpoint')]);
    await download.saveAs(file('tuned.zip'));
    execFileSync(trainer, ['import', file('tuned.zip'), '--name', 'tuned', '--checkpoints-dir', dir], { stdio: 'pipe' });
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'tuned', 'latest', 'manifest.json'), 'utf8'));
    const forms = manifest.conv_forms;
    assert.ok(forms && forms.adapter && forms.forms.length > 0, `conv_forms: ${JSON.stringify(forms)}`);
    assert.ok(forms.forms.every((f) => /^(direct|narrow|winograd|winograd4|winograd-k4|tiled-32x32|tiled-64x64|tiled-128x64)$/.test(f.form)));
    const counts = {};
    for (const f of forms.forms) counts[f.form] = (counts[f.form] ?? 0) + 1;
    return `${forms.forms.length} shapes measured (${JSON.stringify(counts)}); worst relative difference ${worst.toExponential(2)}`;
  });
  await tuned.close();

  await step('bad input: no images, an unreadable image, too large a size, not a checkpoint: #error', page, async () => {
    await openTrain(page);
    await fill(page, 1);
    await page.click('#train-start');
    const none = await errorText(page);
    assert.match(none, /Choose images for both domains/);
    fs.writeFileSync(file('broken.png'), 'not an image');
    fs.copyFileSync(path.join(dir, 'native', 'demo_data', 'trainA', 'day_000.png'), file('day.png'));
    await page.setInputFiles('#train-a', [file('broken.png')]);
    await page.setInputFiles('#train-b', [file('day.png')]);
    await page.click('#train-start');
    const broken = await errorText(page);
    assert.match(broken, /Could not read "broken.png" as an image/);
    await page.setInputFiles('#train-a', [file('day.png')]);
    await page.fill('#train-crop', '1024');
    await page.fill('#train-load', '1024');
    await page.fill('#train-ngf', '256');
    await page.click('#train-start');
    const large = await errorText(page);
    assert.match(large, /does not fit this GPU/);
    await page.setInputFiles('#train-resume-file', file('broken.png'));
    const bad = await errorText(page);
    assert.match(bad, /not a zip file/);
    return [none, broken, large, bad].map((t) => t.slice(0, 70)).join(' | ');
  });
  await step('pix2pix: the page trains on A|B pairs (BatchNorm, dropout) and follows trainer', page, async () => {
    const names = ['G_GAN', 'G_L1', 'D_real', 'D_fake'];
    const flags = ['--model', 'pix2pix', '--net-g', 'unet_128', '--ngf', '2', '--ndf', '2', '--load-size', '136', '--crop-size', '128', '--batch-size', '1', '--lr', '0.0002', '--n-epochs', '100', '--n-epochs-decay', '100', '--seed', '5', '--print-freq', '1', '--display-freq', '1000', '--save-latest-freq', '1000'];
    const pwant = native('p2p', ['--max-iters', '3'], { flags, names });
    const folder = path.join(dir, 'p2p', 'demo_data', 'train');
    const pairs = fs.readdirSync(folder).sort().map((f) => path.join(folder, f));
    await openTrain(page);
    await page.selectOption('#train-model', 'pix2pix');
    assert.ok(await page.isHidden('#train-b'), 'one set of pairs');
    await page.selectOption('#train-net-g', 'unet_128');
    for (const [id, v] of [['ngf', 2], ['ndf', 2], ['load', 136], ['crop', 128], ['batch', 1], ['lr', 0.0002], ['epochs', 100], ['decay', 100], ['seed', 5], ['stop-at', 3]]) {
      await page.fill(`#train-${id}`, String(v));
    }
    await page.setInputFiles('#train-a', pairs);
    await page.click('#train-start');
    const s = await waitPaused(page, 3);
    const worst = compareLosses(s.history, pwant, REL, names);
    const [g] = await Promise.all([page.waitForEvent('download'), page.click('#train-download-g-a')]);
    assert.equal(g.suggestedFilename(), 'G.safetensors');
    return `${pairs.length} pairs, unet_128: worst relative difference ${worst.toExponential(2)}`;
  });

  // DCGAN on trainer's demo shapes, DiscoGAN on the demo landscapes: the tab's first iterations follow trainer's.
  for (const model of ['dcgan', 'discogan']) {
    await step(`${model}: the page trains and follows trainer`, page, async () => {
      const flags = ['--model', model, '--ngf', '4', '--ndf', '4', '--batch-size', '4', '--lr', '0.0002', '--n-epochs', '25', '--n-epochs-decay', '0', '--seed', '5', '--print-freq', '1', '--display-freq', '1000', '--save-latest-freq', '1000', ...(model === 'dcgan' ? ['--nz', '8'] : [])];
      await openTrain(page);
      await page.selectOption('#train-model', model);
      for (const [id, v] of [['ngf', 4], ['ndf', 4], ['batch', 4], ['lr', 0.0002], ['epochs', 25], ['decay', 0], ['seed', 5], ['stop-at', 3]]) {
        await page.fill(`#train-${id}`, String(v));
      }
      let files = '';
      if (model === 'dcgan') {
        await page.fill('#train-nz', '8');
        native(`${model}-data`, ['--max-iters', '1'], { flags, names: [] });
        const folder = path.join(dir, `${model}-data`, 'demo_data', 'shapes');
        const images = fs.readdirSync(folder).sort().map((f) => path.join(folder, f));
        await page.setInputFiles('#train-a', images);
        files = `${images.length} images`;
      } else {
        await page.click('#train-demo');
        files = 'the demo domains';
      }
      await page.click('#train-start');
      const s = await waitPaused(page, 3);
      const names = s.run.lossNames;
      const want = native(model, ['--max-iters', '3'], { flags, names });
      const worst = compareLosses(s.history, want, REL, names);
      const grid = await page.evaluate(() => [document.querySelector('#train-samples').width, document.querySelector('#train-samples').height]);
      assert.deepEqual(grid, model === 'dcgan' ? [8 * 64, 8 * 64] : [6 * 64, 64], 'the sample grid');
      return `${files}: ${names.join(' ')} within ${worst.toExponential(2)}`;
    });
  }

  await step('no adapter (Chromium without --enable-unsafe-webgpu): Start says why', null, async () => {
    const bare = await h.launch({ webgpu: false });
    try {
      const p = await h.newPage(bare);
      await p.goto(app());
      await p.click('#train-demo');
      await p.click('#train-start');
      await p.waitForFunction(() => !window.cyclegan.training().running && !document.querySelector('#error').hidden, null, { timeout: 120000 });
      const text = await p.textContent('#error');
      assert.match(text, /WebGPU|adapter/);
      return text.slice(0, 90);
    } finally {
      await bare.close();
    }
  });
} finally {
  await browser.close();
  server.close();
}

// A zip of a folder's files under `latest/` (stored, as the page writes them).
function zipFolder(folder) {
  return zipStored(fs.readdirSync(folder).sort().map((name) => [`latest/${name}`, fs.readFileSync(path.join(folder, name))]));
}

if (failures()) {
  console.log(`${failures()} step(s) failed`);
  process.exit(1);
}
console.log('all train steps passed');
