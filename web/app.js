// The page: pick or drop an image, choose the direction, see input and
// output side by side (and a U-GAT-IT generator's attention map beside
// them), download the result, load other weights. Where the
// selected direction's weights are a DCGAN generator, the Generate mode
// replaces the image panes: a grid of samples from a seed, "New samples"
// (the next seed), and an interpolation between two seeds' latents.
// The Train mode (web/train.js) trains a CycleGAN in the same worker.
// The GPU work runs in web/worker.js (on the page only where workers lack
// WebGPU).
//
// URL parameters: ?weights=URL (a generator for the selected direction),
// ?weights_a=URL / ?weights_b=URL (the A->B / B->A generators; a whole
// U-GAT-IT checkpoint gives A->B its genA2B and B->A its genB2A),
// ?direction=a2b|b2a, ?mode=test|eval (the test-time mode of generators with
// BatchNorm or dropout; for DCGAN eval or the batch's statistics) and
// ?seed=N (their dropout seed, or DCGAN's seed of the samples). Without weights
// the bundled pair in web/models/ is used.

import { setupTraining } from './train.js';

const $ = (id) => document.getElementById(id);
const els = {
  image: $('image-input'),
  weights: $('weights-input'),
  direction: $('direction'),
  translate: $('translate'),
  download: $('download'),
  input: $('input'),
  output: $('output'),
  panes: $('drop'),
  attentionPane: $('attention-pane'),
  attention: $('attention'),
  downloadAttention: $('download-attention'),
  status: $('status'),
  error: $('error'),
  progress: $('progress'),
  adapter: $('adapter'),
  models: $('models'),
  weightsNote: $('weights-note'),
  architecture: $('architecture'),
  mode: $('mode'),
  modeControl: $('mode-control'),
  seed: $('seed'),
  seedControl: $('seed-control'),
  timing: $('timing'),
  drop: $('drop'),
  generateMode: $('generate-mode'),
  genSeed: $('gen-seed'),
  generate: $('generate'),
  newSamples: $('new-samples'),
  grid: $('grid'),
  gridCaption: $('grid-caption'),
  interpA: $('interp-a'),
  interpB: $('interp-b'),
  interpSteps: $('interp-steps'),
  interpolate: $('interpolate'),
  strip: $('strip'),
  stripCaption: $('strip-caption'),
};

// Samples in the grid, and its columns.
const SAMPLES = 64;
const GRID_COLUMNS = 8;

const DIRECTIONS = { a2b: 'A → B', b2a: 'B → A' };
const BUNDLED = { a2b: 'models/G_A.safetensors', b2a: 'models/G_B.safetensors' };
const WEIGHT_EXTENSIONS = /\.(safetensors|pth|pt|ckpt|bin)$/i;

const NO_WEBGPU =
  'This browser does not offer WebGPU (navigator.gpu is missing). ' +
  'Use a current Chrome or Edge (version 113 or later), Safari 26 or later, or Firefox 141 or later on Windows. ' +
  'On Linux, start Chrome with --enable-unsafe-webgpu or turn on chrome://flags/#enable-unsafe-webgpu. ' +
  'WebGPU also needs a secure page: open it over https or from http://localhost.';

// ---- status, progress and errors -------------------------------------------

function showStatus(text) {
  els.status.textContent = text;
}

function showProgress(fraction) {
  if (fraction === null) {
    els.progress.hidden = true;
    return;
  }
  els.progress.hidden = false;
  if (Number.isFinite(fraction)) els.progress.value = fraction;
  else els.progress.removeAttribute('value'); // indeterminate
}

function showError(text) {
  els.error.textContent = text;
  els.error.hidden = false;
}

function clearError() {
  els.error.hidden = true;
  els.error.textContent = '';
}

function message(e) {
  return (e && e.message) || String(e);
}

window.addEventListener('error', (e) => showError(`Unexpected error: ${e.message}. Reload the page.`));
window.addEventListener('unhandledrejection', (e) => showError(`Unexpected error: ${message(e.reason)}. Reload the page.`));

// ---- the engine: in a worker, or on the page as a fallback ------------------

function workerEngine(onEvent) {
  return new Promise((resolve, reject) => {
    let worker;
    try {
      worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    } catch (e) {
      reject(e);
      return;
    }
    const pending = new Map();
    let next = 1;
    let started = false;
    const timer = setTimeout(() => {
      if (!started) reject(new Error('the worker did not start within 30 s'));
    }, 30000);
    const api = {
      where: 'a Web Worker',
      request(msg, transfer = []) {
        return new Promise((res, rej) => {
          const id = next++;
          pending.set(id, { res, rej });
          worker.postMessage({ id, ...msg }, transfer);
        });
      },
      terminate: () => worker.terminate(),
    };
    worker.onmessage = ({ data }) => {
      if (data.event === 'started') {
        started = true;
        clearTimeout(timer);
        resolve(api);
      } else if (data.event) {
        onEvent(data);
      } else {
        const p = pending.get(data.id);
        pending.delete(data.id);
        if (data.ok) p?.res(data);
        else p?.rej(new Error(data.error));
      }
    };
    worker.onerror = (e) => {
      e.preventDefault();
      const text = `The background worker failed (${e.message || 'its scripts could not be loaded'})`;
      if (!started) {
        clearTimeout(timer);
        reject(new Error(text));
        return;
      }
      for (const p of pending.values()) p.rej(new Error(`${text}. Reload the page.`));
      pending.clear();
      onEvent({ event: 'crash', message: `${text}. Reload the page.` });
    };
  });
}

async function pageEngine(onEvent) {
  let createEngine;
  try {
    ({ createEngine } = await import('./engine.js'));
  } catch (e) {
    throw new Error(
      `The app's WebAssembly module could not be loaded (${message(e)}). ` +
        'Serve the repository with a static file server (python3 -m http.server) and open it over http://localhost; ' +
        'if pkg/ is missing, run web/build.sh.',
    );
  }
  const request = createEngine(onEvent);
  return { where: 'the page (this browser has no WebGPU in workers)', request, terminate() {} };
}

function onEngineEvent(ev) {
  if (ev.event === 'lost' && ev.training) {
    showError(`${ev.message} Training stopped; resume it from the last saved step.`);
    window.dispatchEvent(new CustomEvent('engine-lost'));
  } else if (ev.event === 'lost') {
    showError(ev.message);
    showStatus('The GPU device was lost; the next translation opens a new one.');
  } else if (ev.event === 'panic') {
    showError(`${ev.message}. Reload the page.`);
    showStatus('Stopped.');
  } else if (ev.event === 'crash') {
    showError(ev.message);
    showStatus('Stopped.');
  }
}

async function startEngine() {
  if (!navigator.gpu) throw new Error(NO_WEBGPU);
  let engine;
  try {
    engine = await workerEngine(onEngineEvent);
  } catch (e) {
    console.warn(`Running on the page: ${message(e)}`);
    engine = await pageEngine(onEngineEvent);
  }
  const kernels = new URLSearchParams(location.search).get('kernels') ?? undefined;
  let info = await engine.request({ op: 'init', kernels });
  if (!info.webgpu) {
    // This browser exposes WebGPU on the page but not in workers.
    engine.terminate();
    engine = await pageEngine(onEngineEvent);
    info = await engine.request({ op: 'init', kernels });
  }
  const forms = kernels === undefined ? '' : ` Convolutions: ${info.kernels}.`;
  els.adapter.textContent = `GPU: ${info.adapter}. Running in ${engine.where}.${forms}`;
  return engine;
}

let enginePromise = null;

function engine() {
  enginePromise ??= startEngine();
  return enginePromise;
}

// ---- models ----------------------------------------------------------------

// models[direction] = {label, origin, read(onProgress) -> ArrayBuffer, promise, description, info}
// (info: the architecture the engine detected, see engine.js infoObject).
const models = { a2b: null, b2a: null };

// The selected direction's architecture, and the test-time mode controls
// where its generator has BatchNorm or dropout (pix2pix's U-Net).
function renderArchitecture() {
  const dir = els.direction.value;
  const info = models[dir]?.info;
  els.architecture.textContent = info ? `Model (${DIRECTIONS[dir]}): ${info.description}` : '';
  const modes = Boolean(info?.hasTestModes);
  const generating = generates(dir);
  els.generateMode.hidden = !generating;
  for (const el of document.querySelectorAll('.translate-only')) el.hidden = generating;
  if (generating || !info?.attention) showAttention(null);
  els.modeControl.hidden = !modes;
  if (generating) {
    els.mode.options[0].textContent = 'batch statistics (as the reference\'s netG while training)';
    els.mode.options[1].textContent = 'eval: running statistics';
  } else if (modes) {
    const batch = info.norm === 'batch';
    const list = (...parts) => parts.filter(Boolean).join(', ');
    els.mode.options[0].textContent = `test.py default: ${list(batch && 'batch statistics', info.dropout && 'dropout')}`;
    els.mode.options[1].textContent = `eval: ${list(batch && 'running statistics', info.dropout && 'no dropout')}`;
  }
  els.seedControl.hidden = !(modes && info.dropout && els.mode.value === 'test');
}

// Whether the generator loaded for `dir` generates images (DCGAN) rather than translating them.
function generates(dir) {
  const info = models[dir]?.info;
  return Boolean(info) && info.translates === false;
}

// The test-time mode for the engine: {eval, seed}.
function testMode() {
  const seed = Math.floor(Number(els.seed.value));
  return { eval: els.mode.value === 'eval', seed: Number.isFinite(seed) ? Math.min(4294967295, Math.max(0, seed)) : 0 };
}

function renderModels() {
  const lines = Object.entries(DIRECTIONS).map(([dir, name]) => {
    const m = models[dir];
    if (!m) return `${name}: no generator; load a weights file with this direction selected`;
    const state = m.description ? m.description : m.promise ? 'loading…' : 'loads when this direction is used';
    return `${name}: ${m.label} (${m.origin}), ${state}`;
  });
  els.models.textContent = lines.join('\n');
  renderArchitecture();
  els.weightsNote.textContent = `A weights file you load becomes the ${DIRECTIONS[els.direction.value]} generator (the selected direction); a model file holds one generator (of a whole U-GAT-IT checkpoint, this direction's: genA2B or genB2A).`;
}

async function download(url, label, onProgress) {
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(
      `Could not download ${label} (${message(e)}). Check the address and the connection; ` +
        'a file on another site must allow cross-origin requests (CORS).',
    );
  }
  if (!res.ok) {
    throw new Error(`Could not download ${label}: the server answered HTTP ${res.status} ${res.statusText}.`);
  }
  const total = Number(res.headers.get('content-length')) || 0;
  if (!res.body) return res.arrayBuffer();
  const reader = res.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress(received, total);
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.length;
  }
  return bytes.buffer;
}

function urlModel(url, origin) {
  const name = decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() || url);
  return {
    label: name,
    origin,
    read: (onProgress) => download(url, name, onProgress),
  };
}

function bundledModel(dir) {
  const url = new URL(BUNDLED[dir], import.meta.url).href;
  const m = urlModel(url, 'bundled');
  const read = m.read;
  m.read = (onProgress) =>
    read(onProgress).catch((e) => {
      throw new Error(
        `${e.message} The bundled ${DIRECTIONS[dir]} model (web/${BUNDLED[dir]}) is not available in this copy of the site. ` +
          'Load a generator with "Weights" (.safetensors or .pth), or open the page with ?weights=URL.',
      );
    });
  return m;
}

function fileModel(file) {
  return { label: file.name, origin: 'your file', read: () => file.arrayBuffer() };
}

const mb = (n) => (n / 1e6).toFixed(1);

function ensureModel(dir) {
  const m = models[dir];
  if (!m) {
    return Promise.reject(
      new Error(`There is no ${DIRECTIONS[dir]} generator. Select ${DIRECTIONS[dir]} and load a weights file (.safetensors or .pth).`),
    );
  }
  if (!m.promise) {
    m.promise = (async () => {
      const e = await engine();
      showStatus(`Loading ${m.label}…`);
      showProgress(NaN);
      const bytes = await m.read((got, total) => {
        showStatus(total ? `Loading ${m.label}: ${mb(got)} of ${mb(total)} MB` : `Loading ${m.label}: ${mb(got)} MB`);
        showProgress(total ? got / total : NaN);
      });
      showStatus(`Preparing ${m.label} on the GPU…`);
      const { description, info } = await e.request({ op: 'load', slot: dir, bytes, name: m.label }, [bytes]);
      m.description = description;
      m.info = info;
      renderModels();
      return m;
    })();
    m.promise
      .catch(() => {
        m.promise = null;
      })
      .finally(() => {
        showProgress(null);
        renderModels();
      });
    renderModels();
  }
  return m.promise;
}

async function loadWeightsFile(file) {
  const dir = els.direction.value;
  const previous = models[dir];
  clearError();
  models[dir] = fileModel(file);
  try {
    await ensureModel(dir);
    showStatus(`Loaded ${file.name} for ${DIRECTIONS[dir]}: ${models[dir].description}`);
    renderArchitecture();
  } catch (e) {
    models[dir] = previous;
    renderModels();
    showError(`${file.name}: ${message(e)}`);
    showStatus(`${file.name} was not loaded; ${DIRECTIONS[dir]} keeps its previous generator.`);
    return;
  }
  if (generates(dir)) generate({ samples: true, strip: true });
  else if (picture) translate();
}

// ---- images ----------------------------------------------------------------

let picture = null; // {bitmap, name}
let generation = 0;

async function loadImageFile(file) {
  clearError();
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, {
      imageOrientation: 'from-image',
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
    });
  } catch (e) {
    showError(`Could not read "${file.name}" as an image (${message(e)}). Choose a PNG, JPEG, WebP, GIF, BMP or AVIF file.`);
    showStatus('No image.');
    return;
  }
  picture?.bitmap.close();
  picture = { bitmap, name: file.name.replace(/\.[^.]*$/, '') || 'image' };
  drawInput(bitmap.width, bitmap.height);
  translate();
}

function drawInput(width, height) {
  const c = els.input;
  c.width = width;
  c.height = height;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  ctx.imageSmoothingQuality = 'high';
  ctx.clearRect(0, 0, width, height);
  ctx.drawImage(picture.bitmap, 0, 0, width, height);
  els.drop.classList.add('has-image');
  return ctx;
}

// The largest size with the input's aspect ratio whose pixel count, padded
// to multiples of `multiple` (4 for a ResNet, 2^num_downs for a U-Net), fits.
function fitSize(width, height, maxPixels, multiple) {
  const padded = (w, h) => Math.ceil(w / multiple) * multiple * Math.ceil(h / multiple) * multiple;
  let scale = 1;
  let [w, h] = [width, height];
  while (padded(w, h) > maxPixels && w > 4 && h > 4) {
    scale *= Math.min(0.99, Math.sqrt(maxPixels / padded(w, h)));
    [w, h] = [Math.max(1, Math.floor(width * scale)), Math.max(1, Math.floor(height * scale))];
  }
  return [w, h];
}

async function translate() {
  if (!picture) {
    showStatus('Choose or drop an image.');
    return;
  }
  const gen = ++generation;
  const dir = els.direction.value;
  const current = () => gen === generation;
  clearError();
  els.download.disabled = true;
  els.downloadAttention.disabled = true;
  els.timing.textContent = '';
  let tick = null;
  try {
    await ensureModel(dir);
    const e = await engine();
    if (!current()) return;
    const { maxPixels } = await e.request({ op: 'maxPixels', slot: dir });
    const { width: w0, height: h0 } = picture.bitmap;
    // The full U-GAT-IT model takes only its own image size: the input is scaled to it.
    const fixed = models[dir].info?.fixedSize;
    const [w, h] = fixed ? [fixed, fixed] : fitSize(w0, h0, maxPixels, models[dir].info?.sizeMultiple ?? 4);
    const ctx = drawInput(w, h);
    const rgba = ctx.getImageData(0, 0, w, h).data.buffer;
    const start = performance.now();
    const label = `Translating ${w}×${h} (${DIRECTIONS[dir]})`;
    showStatus(`${label}…`);
    tick = setInterval(() => {
      if (current()) showStatus(`${label}… ${Math.round((performance.now() - start) / 1000)} s`);
    }, 1000);
    const r = await e.request({ op: 'translate', slot: dir, rgba, width: w, height: h, ...testMode() }, [rgba]);
    const ms = Math.round(performance.now() - start);
    if (!current()) return;
    const out = els.output;
    out.width = r.width;
    out.height = r.height;
    out.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(r.pixels), r.width, r.height), 0, 0);
    els.download.disabled = false;
    showAttention(r);
    const scaled =
      w === w0 && h === h0
        ? ''
        : fixed
          ? ` Scaled from ${w0}×${h0} to ${fixed}×${fixed}, the only size this generator takes.`
          : ` Scaled down from ${w0}×${h0} to fit this GPU's buffer limit.`;
    const mode = r.mode ? ` (${r.mode})` : '';
    const tuned = r.tuned
      ? ` Then measured the convolution forms of ${r.tuned} new shapes in ${Math.round(r.tuneMs)} ms; later translations run the fastest (${r.kernels}).`
      : '';
    els.timing.textContent = `${DIRECTIONS[dir]} with ${models[dir].label}${mode}; GPU work (upload, network, readback) ${Math.round(r.ms)} ms.${scaled}${tuned}`;
    showStatus(`Done in ${ms} ms`);
  } catch (err) {
    if (current()) {
      showError(message(err));
      showStatus('Translation failed.');
    }
  } finally {
    clearInterval(tick);
  }
}

// Draws a translation's attention map (U-GAT-IT) beside the output and
// shows its pane, or hides the pane where `r` has none (null, or an empty
// attention buffer).
function showAttention(r) {
  const has = Boolean(r?.attention?.byteLength);
  els.attentionPane.hidden = !has;
  els.downloadAttention.hidden = !has;
  els.downloadAttention.disabled = !has;
  els.panes.classList.toggle('with-attention', has);
  if (!has) return;
  const canvas = els.attention;
  canvas.width = r.width;
  canvas.height = r.height;
  canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(r.attention), r.width, r.height), 0, 0);
}

// Saves `canvas` as <image>_<direction><suffix>.png.
function downloadCanvas(canvas, suffix, what) {
  const dir = els.direction.value;
  canvas.toBlob((blob) => {
    if (!blob) {
      showError(`The browser could not encode the ${what} as PNG. Try again, or right-click the ${what} to save it.`);
      return;
    }
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${picture?.name ?? 'image'}_${dir === 'a2b' ? 'AtoB' : 'BtoA'}${suffix}.png`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
  }, 'image/png');
}

function downloadResult() {
  downloadCanvas(els.output, '', 'result');
}

// ---- Generate mode (DCGAN) ---------------------------------------------------

function seedOf(input) {
  const v = Math.floor(Number(input.value));
  const seed = Number.isFinite(v) ? Math.min(4294967295, Math.max(0, v)) : 0;
  input.value = String(seed);
  return seed;
}

// Draws `count` images of width x height (RGBA8, one after another) on
// `canvas`, `columns` per row, without gaps.
function drawImages(canvas, r, columns) {
  const cols = Math.min(columns, r.count);
  const rows = Math.ceil(r.count / cols);
  canvas.width = cols * r.width;
  canvas.height = rows * r.height;
  canvas.style.setProperty('--w', String(canvas.width));
  const ctx = canvas.getContext('2d');
  const size = r.width * r.height * 4;
  const pixels = new Uint8ClampedArray(r.pixels);
  for (let i = 0; i < r.count; i++) {
    const image = new ImageData(pixels.slice(i * size, (i + 1) * size), r.width, r.height);
    ctx.putImageData(image, (i % cols) * r.width, Math.floor(i / cols) * r.height);
  }
}

// Runs the Generate mode's requests: the grid of samples of the seed,
// the interpolation strip, or images of given `latents` in the grid.
async function generate({ samples = false, strip = false, latents = null } = {}) {
  const gen = ++generation;
  const dir = els.direction.value;
  const current = () => gen === generation;
  clearError();
  els.timing.textContent = '';
  const start = performance.now();
  const notes = [];
  try {
    await ensureModel(dir);
    if (!current()) return;
    if (!generates(dir)) {
      throw new Error(
        `The ${DIRECTIONS[dir]} generator (${models[dir].info.description}) translates images; it does not generate them from latents. ` +
          'Choose an image to translate, or load DCGAN generator weights (netG_epoch_N.pth or a DCGAN .safetensors) to generate images.',
      );
    }
    const e = await engine();
    const evalMode = els.mode.value === 'eval';
    if (samples || latents) {
      const seed = seedOf(els.genSeed);
      showStatus(latents ? 'Generating from the given latents…' : `Generating ${SAMPLES} samples of seed ${seed}…`);
      const r = latents
        ? await e.request({ op: 'generateLatents', slot: dir, latents, eval: evalMode })
        : await e.request({ op: 'generate', slot: dir, seed, count: SAMPLES, eval: evalMode });
      if (!current()) return;
      drawImages(els.grid, r, GRID_COLUMNS);
      els.gridCaption.textContent = latents ? `${r.count} images of the given latents (${r.mode})` : `${r.count} samples of seed ${seed} (${r.mode})`;
      notes.push(`${r.count} images in ${Math.round(r.ms)} ms`);
    }
    if (strip) {
      const [a, b] = [seedOf(els.interpA), seedOf(els.interpB)];
      const steps = Math.floor(Number(els.interpSteps.value)) || 0;
      showStatus(`Interpolating from seed ${a} to seed ${b} in ${steps} steps…`);
      const r = await e.request({ op: 'interpolate', slot: dir, seedA: a, seedB: b, steps, eval: evalMode });
      if (!current()) return;
      drawImages(els.strip, r, r.count);
      els.stripCaption.textContent = `From seed ${a}'s first latent to seed ${b}'s in ${r.count} steps (${r.mode})`;
      notes.push(`${r.count} interpolation steps in ${Math.round(r.ms)} ms`);
    }
    els.timing.textContent = `${DIRECTIONS[dir]} with ${models[dir].label}; GPU work: ${notes.join(', ')}.`;
    showStatus(`Generated in ${Math.round(performance.now() - start)} ms`);
  } catch (err) {
    if (current()) {
      showError(message(err));
      showStatus('Generating failed.');
    }
  }
}

// ---- wiring ----------------------------------------------------------------

function openFile(file) {
  if (!file) return;
  if (WEIGHT_EXTENSIONS.test(file.name)) loadWeightsFile(file);
  else loadImageFile(file);
}

els.image.addEventListener('change', () => {
  loadImageFile(els.image.files[0]);
  els.image.value = '';
});
els.weights.addEventListener('change', () => {
  const f = els.weights.files[0];
  els.weights.value = '';
  if (f) loadWeightsFile(f);
});
els.direction.addEventListener('change', () => {
  renderModels();
  const dir = els.direction.value;
  if (generates(dir)) generate({ samples: true, strip: true });
  else if (picture) translate();
  else
    ensureModel(dir)
      .then(() => {
        if (generates(dir)) generate({ samples: true, strip: true });
      })
      .catch((e) => showError(message(e)));
});
els.translate.addEventListener('click', () => translate());
for (const control of [els.mode, els.seed]) {
  control.addEventListener('change', () => {
    renderArchitecture();
    if (generates(els.direction.value)) generate({ samples: true, strip: true });
    else if (picture) translate();
  });
}
els.generate.addEventListener('click', () => generate({ samples: true }));
els.genSeed.addEventListener('change', () => generate({ samples: true }));
els.newSamples.addEventListener('click', () => {
  els.genSeed.value = String((seedOf(els.genSeed) + 1) % 4294967296);
  generate({ samples: true });
});
els.interpolate.addEventListener('click', () => generate({ strip: true }));
els.download.addEventListener('click', downloadResult);
els.downloadAttention.addEventListener('click', () => downloadCanvas(els.attention, '_attention', 'attention map'));
for (const type of ['dragenter', 'dragover']) {
  document.addEventListener(type, (e) => {
    e.preventDefault();
    els.drop.classList.add('dragging');
  });
}
document.addEventListener('dragleave', (e) => {
  if (!e.relatedTarget) els.drop.classList.remove('dragging');
});
document.addEventListener('drop', (e) => {
  e.preventDefault();
  els.drop.classList.remove('dragging');
  // In the Train mode, files go to the domain they are dropped on (web/train.js).
  if (!$('train-view').hidden) return;
  openFile(e.dataTransfer?.files?.[0]);
});

let training = null;

function start() {
  training = setupTraining({ engine, showError, clearError, message });
  const params = new URLSearchParams(location.search);
  const dir = params.get('direction');
  if (dir in DIRECTIONS) els.direction.value = dir;
  if (['test', 'eval'].includes(params.get('mode'))) els.mode.value = params.get('mode');
  if (params.has('seed')) {
    els.seed.value = params.get('seed');
    els.genSeed.value = params.get('seed');
  }
  models.a2b = params.has('weights_a') ? urlModel(params.get('weights_a'), '?weights_a') : bundledModel('a2b');
  models.b2a = params.has('weights_b') ? urlModel(params.get('weights_b'), '?weights_b') : bundledModel('b2a');
  if (params.has('weights')) models[els.direction.value] = urlModel(params.get('weights'), '?weights');
  renderModels();
  showStatus('Starting WebGPU…');
  const slow = setTimeout(() => showStatus('Still waiting for WebGPU to start… (if this lasts, reload the page)'), 20000);
  engine()
    .finally(() => clearTimeout(slow))
    .then(() => ensureModel(els.direction.value))
    .then(() => {
      if (generates(els.direction.value)) generate({ samples: true, strip: true });
      else if (!picture) showStatus('Ready: choose or drop an image.');
    })
    .catch((e) => {
      showError(message(e));
      showStatus('Not ready.');
    });
}

// For tests: destroys the GPU device as a driver reset would; draws the
// images of given latents (N x nz numbers) in the grid; sends one request
// to the engine as the page does.
window.cyclegan = {
  training: () => training.state(),
  simulateDeviceLoss: async () => (await engine()).request({ op: 'simulateDeviceLoss' }),
  simulateTrainingDeviceLoss: async () => (await engine()).request({ op: 'trainSimulateDeviceLoss' }),
  generateLatents: (latents) => generate({ latents: Array.from(latents) }),
  request: async (msg) => {
    const { transfer, ...r } = await (await engine()).request(msg);
    if (r.pixels) r.pixels = Array.from(new Uint8Array(r.pixels));
    return r;
  },
};

start();
