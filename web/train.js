// The page's Train mode: a CycleGAN trained in the engine's worker (the
// `Training` API of the wasm module, the same core as `trainer`), one step
// at a time so the page stays responsive and no more than one step's work
// is ever in flight. It shows iterations per second, a loss plot and the
// step's sample images; pauses and resumes; downloads the generators as
// .safetensors and the whole run as a checkpoint zip (`latest/`, which
// `trainer import` + `trainer --continue-train` resume natively), and
// resumes such a zip, from the page or from `trainer`. The run is saved in
// IndexedDB (the settings, the image files and the latest checkpoint), so a
// reload or a lost device resumes from the last saved step.
//
// URL parameters: ?view=train opens this mode; ?save_every=N saves every N
// iterations (default 50, and at least once a minute); ?samples_every=N
// draws the samples every N iterations (default 10).

const $ = (id) => document.getElementById(id);

const DB = 'gan-webgpu-train';
const STORE = 'runs';
const KEY = 'current';
const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

// ---- IndexedDB ---------------------------------------------------------------

function openDb() {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function dbDo(mode, f) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const r = f(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(r?.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('the browser aborted the write'));
    });
  } finally {
    db.close();
  }
}

const dbGet = () => dbDo('readonly', (s) => s.get(KEY));
const dbPut = (value) => dbDo('readwrite', (s) => s.put(value, KEY));
const dbDelete = () => dbDo('readwrite', (s) => s.delete(KEY));

// ---- the mode ------------------------------------------------------------------

export function setupTraining({ engine, showError, clearError, message, onShow }) {
  const els = {
    view: $('train-view'),
    model: $('train-model'),
    a: $('train-a'),
    aDir: $('train-a-dir'),
    b: $('train-b'),
    bDir: $('train-b-dir'),
    demo: $('train-demo'),
    data: $('train-data'),
    netG: $('train-net-g'),
    direction: $('train-direction'),
    imageSize: $('train-image-size'),
    nz: $('train-nz'),
    ngf: $('train-ngf'),
    ndf: $('train-ndf'),
    load: $('train-load'),
    crop: $('train-crop'),
    batch: $('train-batch'),
    lr: $('train-lr'),
    epochs: $('train-epochs'),
    decay: $('train-decay'),
    seed: $('train-seed'),
    stopAt: $('train-stop-at'),
    start: $('train-start'),
    pause: $('train-pause'),
    resumeFile: $('train-resume-file'),
    resumeSaved: $('train-resume-saved'),
    discard: $('train-discard'),
    saved: $('train-saved'),
    stats: $('train-stats'),
    plot: $('train-plot'),
    samples: $('train-samples'),
    samplesCaption: $('train-samples-caption'),
    gA: $('train-download-g-a'),
    gB: $('train-download-g-b'),
    checkpoint: $('train-download-checkpoint'),
  };
  const params = new URLSearchParams(location.search);
  const saveEvery = Math.max(1, Number(params.get('save_every')) || 50);
  const samplesEvery = Math.max(1, Number(params.get('samples_every')) || 10);

  // The data: {demo: true} or {files: [{domain, name, blob}]} per domain.
  const data = { demo: false, files: [[], []] };
  // The run: state from the engine, the loss history, timing.
  let run = null; // {iteration, total, perEpoch, lossNames, visualNames, networks, translator, settings, counts}
  let history = []; // [{iteration, losses}]
  let running = false;
  let lastSave = { iteration: -1, time: 0 };
  let times = []; // wall-clock times of recent steps

  const status = (text) => {
    els.stats.textContent = text;
  };

  // The models the engine offers (its `models` op, from each model's own
  // page form): {kind, label, data, shows, fixed, defaults}. The model menu,
  // the controls shown and their starting values all come from it.
  let models = [];
  const current = () => models.find((m) => m.kind === els.model.value);
  // 'unaligned' (two sets of images), 'aligned' (A|B pairs) or 'single' (one set).
  const dataKind = () => current()?.data ?? 'unaligned';
  const pairs = () => dataKind() === 'aligned';
  const oneSet = () => dataKind() !== 'unaligned';
  // The form's controls by option key; those marked data-option in the page
  // are shown only for the models whose form shows that option.
  const CONTROLS = {
    net_g: els.netG,
    direction: els.direction,
    image_size: els.imageSize,
    nz: els.nz,
    ngf: els.ngf,
    ndf: els.ndf,
    load_size: els.load,
    crop_size: els.crop,
    batch_size: els.batch,
    n_epochs: els.epochs,
    n_epochs_decay: els.decay,
  };
  const fixed = (el) => Boolean(current()?.fixed.some((k) => CONTROLS[k] === el));
  const catalog = engine()
    .then((e) => e.request({ op: 'models' }))
    .then((r) => {
      models = r.models;
      const chosen = els.model.value;
      els.model.replaceChildren(...models.map((m) => new Option(m.label, m.kind)));
      if (models.some((m) => m.kind === chosen)) els.model.value = chosen;
      showModel();
    });
  catalog.catch((err) => showError(`Could not list the models (${message(err)}). Reload the page.`));

  function describeData() {
    if (data.demo) return 'Demo domains: 48 daytime landscapes (A) and 48 night landscapes (B), 80×80.';
    const [a, b] = data.files.map((f) => f.length);
    if (pairs()) return a ? `${a} A|B pairs.` : 'No pairs chosen: pick the A|B pair images (input and target side by side).';
    if (oneSet()) return a ? `${a} images.` : 'No images chosen: pick the images to learn to generate.';
    if (!a && !b) return 'No images chosen: pick domains A and B, or use the demo (day and night landscapes).';
    return `Domain A: ${a} images; domain B: ${b} images.`;
  }

  // New data after a run has started begins a new run (the saved one stays
  // until the new one saves).
  function newRun() {
    if (!run) return;
    run = null;
    history = [];
    plot();
    engine().then((e) => e.request({ op: 'trainStop' })).catch(() => {});
    setRunning(false);
    status('New data: press Start for a new run.');
  }

  function setFiles(domain, list) {
    newRun();
    const files = Array.from(list ?? []).filter((f) => f.type.startsWith('image/') || /\.(png|jpe?g|webp|gif|bmp)$/i.test(f.name));
    // trainer reads a folder in path order: the same order here.
    const key = (f) => f.webkitRelativePath || f.name;
    files.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
    data.demo = false;
    data.files[domain] = files.map((f) => ({ domain, name: key(f), blob: f }));
    els.data.textContent = describeData();
  }

  function settings() {
    const int = (el, what) => {
      const v = Number(el.value);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${what} is "${el.value}"; enter a whole number.`);
      return v;
    };
    const lr = Number(els.lr.value);
    if (!(lr > 0 && lr < 1)) throw new Error(`The learning rate is "${els.lr.value}"; enter a number between 0 and 1.`);
    return {
      model: els.model.value,
      name: 'browser',
      net_g: els.netG.value,
      direction: els.direction.value,
      image_size: int(els.imageSize, 'The image size'),
      nz: int(els.nz, 'nz'),
      ngf: int(els.ngf, 'ngf'),
      ndf: int(els.ndf, 'ndf'),
      load_size: int(els.load, 'The load size'),
      crop_size: int(els.crop, 'The crop size'),
      batch_size: int(els.batch, 'The batch size'),
      lr,
      n_epochs: int(els.epochs, 'Epochs'),
      n_epochs_decay: int(els.decay, 'Decay epochs'),
      seed: int(els.seed, 'The seed'),
    };
  }

  function showSettings(s) {
    els.model.value = s.model;
    showModel();
    if (s.net_g) els.netG.value = s.net_g;
    els.direction.value = s.direction ?? 'AtoB';
    els.imageSize.value = s.image_size ?? 64;
    els.nz.value = s.nz ?? 100;
    els.ngf.value = s.ngf;
    els.ndf.value = s.ndf;
    els.load.value = s.load_size;
    els.crop.value = s.crop_size;
    els.batch.value = s.batch_size;
    els.lr.value = s.lr;
    els.epochs.value = s.n_epochs;
    els.decay.value = s.n_epochs_decay;
    els.seed.value = s.seed;
  }

  function setRunning(on) {
    running = on;
    els.pause.disabled = !on;
    els.start.textContent = run ? 'Resume' : 'Start';
    els.start.disabled = on;
    for (const el of [els.a, els.aDir, els.b, els.bDir, els.demo, els.resumeFile, els.resumeSaved]) el.disabled = on;
    for (const el of [els.model, els.netG, els.direction, els.imageSize, els.nz, els.ngf, els.ndf, els.load, els.crop, els.batch, els.lr, els.epochs, els.decay, els.seed]) {
      el.disabled = on || Boolean(run) || fixed(el);
    }
    for (const el of [els.gA, els.gB, els.checkpoint]) el.disabled = on || !run || run.iteration === 0;
  }

  const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

  function showStats(last) {
    const rate = times.length > 1 ? (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000) : null;
    const parts = [
      `iteration ${run.iteration} of ${run.total}`,
      `epoch ${Math.floor(run.iteration / run.perEpoch) + 1} (${run.perEpoch} iterations each)`,
    ];
    if (rate) parts.push(`${rate.toFixed(2)} it/s`);
    if (last) parts.push(`lr ${last.lr.toPrecision(3)}`, `last step ${Math.round(last.ms)} ms`);
    parts.push(`GPU memory ${mib(run.gpuBytes)}`);
    status(`${running ? 'Training' : 'Paused'}: ${parts.join(' · ')}`);
  }

  function plot() {
    const c = els.plot;
    const ctx = c.getContext('2d');
    const [w, h] = [c.width, c.height];
    ctx.clearRect(0, 0, w, h);
    if (!run || history.length === 0) return;
    const pad = { l: 44, r: 8, t: 8, b: 22 };
    const xs = history.map((p) => p.iteration);
    const all = history.flatMap((p) => p.losses).filter(Number.isFinite);
    const [x0, x1] = [xs[0], Math.max(xs[xs.length - 1], xs[0] + 1)];
    const [y0, y1] = [Math.min(0, ...all), Math.max(...all, 1e-6)];
    const X = (x) => pad.l + ((x - x0) / (x1 - x0)) * (w - pad.l - pad.r);
    const Y = (y) => h - pad.b - ((y - y0) / (y1 - y0)) * (h - pad.t - pad.b);
    ctx.strokeStyle = '#888';
    ctx.fillStyle = getComputedStyle(document.body).color;
    ctx.font = '11px system-ui, sans-serif';
    ctx.strokeRect(pad.l, pad.t, w - pad.l - pad.r, h - pad.t - pad.b);
    ctx.fillText(y1.toPrecision(3), 2, pad.t + 10);
    ctx.fillText(y0.toPrecision(3), 2, h - pad.b);
    ctx.fillText(String(x0), pad.l, h - 6);
    ctx.fillText(String(x1), w - pad.r - 30, h - 6);
    run.lossNames.forEach((name, k) => {
      ctx.strokeStyle = COLORS[k % COLORS.length];
      ctx.beginPath();
      history.forEach((p, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, X(p.iteration), Y(p.losses[k])));
      ctx.stroke();
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fillText(name, pad.l + 6 + (k % 4) * 70, pad.t + 12 + Math.floor(k / 4) * 12);
    });
  }

  async function drawSamples() {
    const e = await engine();
    const r = await e.request({ op: 'trainSamples' });
    const c = els.samples;
    c.width = r.width * r.count;
    c.height = r.height;
    c.style.setProperty('--w', c.width);
    c.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(r.pixels), c.width, c.height), 0, 0);
    els.samplesCaption.textContent = `Samples at iteration ${run.iteration}: ${run.visualNames.join(', ')}`;
  }

  function download(bytes, name, type) {
    const url = URL.createObjectURL(new Blob([bytes], { type }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  async function save() {
    const e = await engine();
    const { bytes, iteration } = await e.request({ op: 'trainCheckpoint' });
    const files = data.demo ? [] : data.files.flat();
    lastSave = { iteration, time: Date.now() };
    try {
      await dbPut({ settings: run.settings, demo: data.demo, files, checkpoint: bytes, iteration, history, savedAt: Date.now() });
      els.saved.textContent = `Saved in this browser at iteration ${iteration}: a reload resumes from here.`;
    } catch (err) {
      // Training goes on; the user keeps progress by downloading checkpoints.
      els.saved.textContent = `Could not save the run in this browser at iteration ${iteration} (${message(err)}); download the checkpoint to keep it.`;
    }
    return bytes;
  }

  async function loop() {
    const e = await engine();
    const stopAt = els.stopAt.value === '' ? Infinity : Number(els.stopAt.value);
    lastSave.time = Date.now();
    try {
      while (running && run.iteration < run.total && run.iteration < stopAt) {
        const r = await e.request({ op: 'trainStep' });
        run.iteration = r.iteration;
        run.gpuBytes = r.gpuBytes;
        history.push({ iteration: r.iteration, losses: r.losses });
        times.push(performance.now());
        if (times.length > 20) times.shift();
        plot();
        showStats(r);
        if (r.iteration % samplesEvery === 0 || history.length === 1) await drawSamples();
        if (r.iteration % saveEvery === 0 || Date.now() - lastSave.time > 60000) await save();
      }
      if (lastSave.iteration !== run.iteration) await save();
      if (run.iteration >= run.total) status(`Finished: ${run.total} iterations. Download the generators or the checkpoint.`);
    } catch (err) {
      showError(`Training stopped: ${message(err)}`);
    }
    setRunning(false);
    if (run && run.iteration < run.total) showStats(null);
    window.dispatchEvent(new CustomEvent('train-paused', { detail: { iteration: run?.iteration } }));
  }

  // Starts (or resumes from checkpoint bytes) a run in the engine.
  async function begin(checkpoint = null, restored = null) {
    clearError();
    try {
      await catalog; // the model menu
    } catch (err) {
      showError(message(err));
      status('Not started.');
      return;
    }
    let s;
    try {
      s = settings();
    } catch (err) {
      showError(message(err));
      return;
    }
    if (pairs() && (data.demo || !data.files[0].length)) {
      showError('Choose the A|B pair images (each the input and its target side by side) before starting.');
      return;
    }
    if (oneSet() && (data.demo || !data.files[0].length)) {
      showError('Choose the images to learn to generate before starting.');
      return;
    }
    if (!oneSet() && !data.demo && !(data.files[0].length && data.files[1].length)) {
      showError('Choose images for both domains A and B, or use the demo domains, before starting.');
      return;
    }
    setRunning(true);
    status(checkpoint ? 'Reading the checkpoint and the images…' : 'Reading the images and building the networks…');
    try {
      const e = await engine();
      const files = data.demo ? [] : data.files.flat();
      run = await e.request({ op: 'trainStart', settings: s, demo: data.demo, files, checkpoint });
      showSettings(run.settings);
      history = restored?.history?.filter((p) => p.iteration <= run.iteration) ?? [];
      times = [];
      lastSave = { iteration: checkpoint ? run.iteration : -1, time: Date.now() };
      els.data.textContent = `${describeData()} ${run.note}`.trim();
      plot();
      showStats(null);
    } catch (err) {
      run = null;
      setRunning(false);
      showError(message(err));
      status('Not started.');
      return;
    }
    loop();
  }

  // Dropped files and folders (read recursively, each file named by its path).
  async function droppedFiles(dt) {
    const entries = Array.from(dt.items ?? [])
      .map((item) => item.webkitGetAsEntry?.())
      .filter(Boolean);
    if (!entries.length) return Array.from(dt.files ?? []);
    const out = [];
    const walk = async (entry, prefix) => {
      if (entry.isFile) {
        const file = await new Promise((res, rej) => entry.file(res, rej));
        Object.defineProperty(file, 'webkitRelativePath', { value: `${prefix}${file.name}` });
        out.push(file);
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        for (;;) {
          const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
          if (!batch.length) break;
          for (const e of batch) await walk(e, `${prefix}${entry.name}/`);
        }
      }
    };
    for (const e of entries) await walk(e, '');
    return out;
  }
  for (const [domain, zone] of [[0, $('train-drop-a')], [1, $('train-drop-b')]]) {
    for (const type of ['dragenter', 'dragover']) {
      zone.addEventListener(type, (e) => {
        e.preventDefault();
        zone.classList.add('dragging');
      });
    }
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', async (e) => {
      e.preventDefault();
      zone.classList.remove('dragging');
      if (running) return;
      try {
        setFiles(domain, await droppedFiles(e.dataTransfer));
      } catch (err) {
        showError(`Could not read the dropped files (${message(err)}).`);
      }
    });
  }
  // A model of A|B pairs or of one set of images takes domain A only; the
  // controls of options the model's form does not show are hidden.
  function showModel() {
    const model = current();
    if (!model) return;
    for (const el of document.querySelectorAll('#train-view .b-only')) el.hidden = oneSet();
    for (const el of document.querySelectorAll('#train-view [data-option]')) el.hidden = !model.shows.includes(el.dataset.option);
    for (const el of Object.values(CONTROLS)) el.disabled = running || Boolean(run) || fixed(el);
    els.demo.hidden = oneSet();
    els.gB.hidden = oneSet();
    const p = pairs();
    els.gA.textContent = p ? 'Download G (A → B)' : oneSet() ? 'Download G' : 'Download G_A (A → B)';
    const what = p ? ['A|B pair images…', 'A|B pairs folder…', 'Drop the A|B pair images or their folder here'] : oneSet() ? ['Images…', 'Folder…', 'Drop the images or their folder here'] : ['Domain A images…', 'Domain A folder…', "Drop domain A's images or folder here"];
    [$('train-a-label').textContent, $('train-a-dir-label').textContent, $('train-drop-a').textContent] = what;
    els.data.textContent = describeData();
  }
  els.model.addEventListener('change', () => {
    newRun();
    data.demo = false;
    data.files = [[], []];
    for (const [key, value] of Object.entries(current()?.defaults ?? {})) {
      if (CONTROLS[key]) CONTROLS[key].value = value;
    }
    showModel();
  });
  els.a.addEventListener('change', () => setFiles(0, els.a.files));
  els.aDir.addEventListener('change', () => setFiles(0, els.aDir.files));
  els.b.addEventListener('change', () => setFiles(1, els.b.files));
  els.bDir.addEventListener('change', () => setFiles(1, els.bDir.files));
  els.demo.addEventListener('click', () => {
    newRun();
    data.demo = true;
    data.files = [[], []];
    els.data.textContent = describeData();
  });
  els.start.addEventListener('click', () => {
    if (!run) {
      begin();
      return;
    }
    clearError();
    setRunning(true);
    loop();
  });
  els.pause.addEventListener('click', () => {
    running = false;
    els.pause.disabled = true;
    status('Pausing after this step…');
  });
  els.resumeFile.addEventListener('change', async () => {
    clearError();
    const f = els.resumeFile.files?.[0];
    els.resumeFile.value = '';
    if (!f) return;
    run = null;
    begin(await f.arrayBuffer());
  });
  els.resumeSaved.addEventListener('click', async () => {
    clearError();
    const saved = await dbGet();
    if (!saved) return;
    await catalog.catch(() => {});
    data.demo = saved.demo;
    data.files = [0, 1].map((d) => saved.files.filter((f) => f.domain === d));
    showSettings(saved.settings);
    run = null;
    els.resumeSaved.hidden = true;
    begin(saved.checkpoint, saved);
  });
  els.discard.addEventListener('click', async () => {
    await dbDelete();
    els.resumeSaved.hidden = els.discard.hidden = true;
    els.saved.textContent = 'The saved run was discarded.';
  });
  const networkDownload = (name) => async () => {
    try {
      // A model with one generator (G) downloads its translator.
      const net = run?.networks.includes(name) ? name : run?.translator ?? name;
      const { bytes } = await (await engine()).request({ op: 'trainNetwork', name: net });
      download(bytes, `${net}.safetensors`, 'application/octet-stream');
    } catch (err) {
      showError(message(err));
    }
  };
  els.gA.addEventListener('click', networkDownload('G_A'));
  els.gB.addEventListener('click', networkDownload('G_B'));
  els.checkpoint.addEventListener('click', async () => {
    try {
      const { bytes, iteration } = await (await engine()).request({ op: 'trainCheckpoint' });
      download(bytes, `${run.settings.name}_latest_iter${iteration}.zip`, 'application/zip');
    } catch (err) {
      showError(message(err));
    }
  });
  // A lost device ends the run; the saved checkpoint resumes it.
  window.addEventListener('engine-lost', () => {
    if (!run) return;
    running = false;
    run = null;
    offerSaved();
  });

  async function offerSaved() {
    let saved = null;
    try {
      saved = await dbGet();
    } catch (err) {
      els.saved.textContent = `Runs cannot be saved in this browser (${message(err)}); download checkpoints instead.`;
      return;
    }
    if (!saved) return;
    const when = new Date(saved.savedAt).toLocaleString();
    els.saved.textContent = `A run saved at iteration ${saved.iteration} (${when}) can be resumed.`;
    els.resumeSaved.hidden = els.discard.hidden = false;
    els.resumeSaved.disabled = false;
  }

  function show(train) {
    els.view.hidden = !train;
    for (const el of document.querySelectorAll('.run-view')) el.hidden = train;
    $('view-train').classList.toggle('current', train);
    $('view-run').classList.toggle('current', !train);
    $('view-train').setAttribute('aria-pressed', String(train));
    $('view-run').setAttribute('aria-pressed', String(!train));
    onShow?.(train);
  }
  $('view-train').addEventListener('click', () => show(true));
  $('view-run').addEventListener('click', () => show(false));
  if (params.get('view') === 'train') show(true);
  setRunning(false);
  offerSaved();

  // For tests: the run's state and loss history.
  return {
    state: () => ({ running, run, history, lastSave }),
  };
}
