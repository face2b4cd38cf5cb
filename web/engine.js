// The engine over the wasm module (pkg/web.js): one WebGPU device, one
// generator per direction slot (a CycleGAN ResNet or a pix2pix U-Net that
// translates, or a DCGAN generator that generates, detected from the
// weights), requests run one at a time.
// It runs inside web/worker.js, or on the page itself where a browser offers
// WebGPU only there. Requests are {op, ...}; results are plain objects;
// events (device lost, module panic) go to the sink given to createEngine.

import init, { Translator, Training, set_panic_handler, has_webgpu, train_models } from '../pkg/web.js';

export function createEngine(emit) {
  let ready = null; // Promise<void> of the wasm module
  let translator = null; // Promise<Translator>
  let dead = null; // why the module cannot run any more (a panic)
  const weights = new Map(); // slot -> {bytes, name}: reloaded after a device loss
  let training = null; // the Training run (its own device), once started
  let kernels; // ?kernels= (the convolution forms), given by init
  let queue = Promise.resolve();

  function module() {
    ready ??= init().then(() =>
      set_panic_handler((message) => {
        dead = message;
        emit({ event: 'panic', message });
      }),
    );
    return ready;
  }

  async function device() {
    if (dead) throw new Error(`${dead}. Reload the page.`);
    await module();
    if (!translator) {
      const t = Translator.create((message) => {
        // Forget the lost device; the next request opens a new one and
        // reloads the generators from the bytes kept here.
        translator = null;
        emit({ event: 'lost', message });
      }, kernels);
      translator = t;
      t.catch(() => {
        if (translator === t) translator = null;
      });
      const tr = await t;
      for (const [slot, w] of weights) {
        if (!tr.has_generator(slot)) (await tr.load_generator(slot, w.bytes)).free();
      }
    }
    return translator;
  }

  const ops = {
    // kernels: how convolutions choose their form (`auto`, `autotune` or
    // a form's name), as the native GAN_KERNELS.
    async init({ kernels: choice } = {}) {
      kernels = choice ?? undefined;
      await module();
      if (!has_webgpu()) return { webgpu: false };
      const t = await device();
      // Browsers leave wgpu's adapter name empty; vendor and architecture
      // come from GPUAdapter.info.
      let vendor = '';
      try {
        const info = (await navigator.gpu.requestAdapter())?.info;
        vendor = [info?.vendor, info?.architecture, info?.device].filter(Boolean).join(' ');
      } catch {}
      const adapter = vendor ? `${vendor} · ${t.adapter()}` : t.adapter();
      return { webgpu: true, adapter, kernels: t.kernels(), maxBindingBytes: t.max_binding_bytes() };
    },
    // -> {models}: the models the Train mode offers (train_models).
    async models() {
      await module();
      return { models: JSON.parse(train_models()) };
    },
    // -> {description, info}: info as infoObject describes it.
    async load({ slot, bytes, name }) {
      const data = new Uint8Array(bytes);
      const t = await device();
      const info = infoObject(await t.load_generator(slot, data));
      weights.set(slot, { bytes: data, name });
      return { description: info.description, info };
    },
    async maxPixels({ slot }) {
      const t = await device();
      return { maxPixels: t.max_pixels(slot) };
    },
    // eval: running statistics and no dropout (test.py --eval); otherwise
    // batch statistics and dropout drawn from seed (test.py's default).
    // -> {pixels, attention, ...}: attention is U-GAT-IT's attention map
    // (RGBA8 of the same size), an empty buffer for other generators.
    async translate({ slot, rgba, width, height, eval: evalMode = false, seed = 0 }) {
      const t = await device();
      const result = await t.translate(slot, new Uint8Array(rgba), width, height, evalMode, seed);
      try {
        const pixels = result.pixels;
        const attention = result.attention;
        return {
          pixels: pixels.buffer,
          attention: attention.buffer,
          width: result.width,
          height: result.height,
          ms: result.ms,
          eval: result.eval,
          mode: result.mode,
          tuned: result.tuned,
          tuneMs: result.tune_ms,
          kernels: t.kernels(),
          transfer: [pixels.buffer, attention.buffer],
        };
      } finally {
        result.free();
      }
    },
    // DCGAN: `count` images of the latents `seed` draws; eval: running
    // statistics, otherwise the batch's. -> samples as samplesObject says.
    async generate({ slot, seed = 0, count = 64, eval: evalMode = false }) {
      const t = await device();
      return samplesObject(await t.generate(slot, seed, count, evalMode));
    },
    // DCGAN: `steps` images from seed A's first latent to seed B's.
    async interpolate({ slot, seedA = 0, seedB = 1, steps = 8, eval: evalMode = false }) {
      const t = await device();
      return samplesObject(await t.interpolate(slot, seedA, seedB, steps, evalMode));
    },
    // DCGAN: images of given latents (N x nz float32 values).
    async generateLatents({ slot, latents, eval: evalMode = false }) {
      const t = await device();
      return samplesObject(await t.generate_from_latents(slot, new Float32Array(latents), evalMode));
    },
    async simulateDeviceLoss() {
      (await device()).simulate_device_loss();
      return {};
    },

    // ---- training (web/train.js) ----
    // Starts a CycleGAN run: settings as trainer's options in snake_case;
    // images from `files` ([{domain: 0|1, name, blob}], each domain in path
    // order) or the demo domains; fresh, or resumed from a checkpoint zip.
    async trainStart({ settings, demo = false, files = [], checkpoint = null }) {
      await module();
      if (!has_webgpu()) throw new Error('This browser offers WebGPU on the page only, not in workers: training needs a worker.');
      training?.release();
      training = null;
      const t = await Training.create(JSON.stringify(settings), (message) => {
        if (training === t) training = null;
        emit({ event: 'lost', message, training: true });
      }, kernels);
      try {
        if (demo) t.use_demo();
        for (const f of files) {
          const { rgba, width, height } = await decode(f.blob, f.name);
          t.add_image(f.domain, rgba, width, height, f.name);
        }
        const note = await t.start(checkpoint ? new Uint8Array(checkpoint) : undefined);
        training = t;
        return { note, ...trainingState(t) };
      } catch (e) {
        t.release();
        throw e;
      }
    },
    // One iteration -> {iteration, epoch, lr, losses, ms, gpuBytes}.
    async trainStep() {
      const r = await run().step();
      try {
        return { iteration: r.iteration, epoch: r.epoch, lr: r.lr, losses: Array.from(r.losses), ms: r.ms, gpuBytes: training.gpu_bytes() };
      } finally {
        r.free();
      }
    },
    async trainSamples() {
      return samplesObject(await run().samples());
    },
    // The checkpoint zip (latest/), or one network's safetensors.
    async trainCheckpoint() {
      const bytes = await run().checkpoint();
      return { bytes: bytes.buffer, iteration: training.iteration(), transfer: [bytes.buffer] };
    },
    async trainNetwork({ name }) {
      const bytes = await run().network(name);
      return { bytes: bytes.buffer, transfer: [bytes.buffer] };
    },
    async trainSimulateDeviceLoss() {
      run().simulate_device_loss();
      return {};
    },
    async trainStop() {
      training?.release();
      training = null;
      return {};
    },
  };

  function run() {
    if (!training) throw new Error('No training run is active (the GPU device was lost or the run was stopped). Resume from the last saved checkpoint.');
    return training;
  }

  // Runs one request after the previous one has finished.
  return function request(msg) {
    const op = ops[msg.op];
    if (!op) return Promise.reject(new Error(`unknown engine request ${msg.op}`));
    // After a panic the call that trapped fails with "unreachable"; report
    // the panic's message instead.
    const run = queue.then(() => op(msg)).catch((e) => {
      throw dead ? new Error(`${dead}. Reload the page.`) : e;
    });
    queue = run.catch(() => {});
    return run;
  };
}

// Where a run stands and what it names.
function trainingState(t) {
  return {
    iteration: t.iteration(),
    total: t.total_iterations(),
    perEpoch: t.iterations_per_epoch(),
    lossNames: t.loss_names(),
    visualNames: t.visual_names(),
    networks: t.network_names(),
    translator: t.translator(),
    settings: JSON.parse(t.settings()),
    counts: Array.from(t.image_counts()),
    gpuBytes: t.gpu_bytes(),
  };
}

// RGBA8 pixels of an image file, as the translate mode reads them (no colour
// conversion, alpha not premultiplied).
async function decode(blob, name) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch (e) {
    throw new Error(`Could not read "${name}" as an image (${errorText(e)}). Leave it out, or use PNG, JPEG, WebP, GIF or BMP files.`);
  }
  try {
    const { width, height } = bitmap;
    const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    return { rgba: new Uint8Array(ctx.getImageData(0, 0, width, height).data.buffer), width, height };
  } finally {
    bitmap.close();
  }
}

// A GeneratorInfo (freed here) as a plain object for postMessage.
function infoObject(info) {
  try {
    return {
      description: info.description,
      architecture: info.architecture,
      family: info.family,
      netName: info.net_name,
      ngf: info.ngf,
      norm: info.norm,
      dropout: info.dropout,
      hasTestModes: info.has_test_modes,
      sizeMultiple: info.size_multiple,
      translates: info.translates,
      nz: info.nz,
      attention: info.attention,
      fixedSize: info.fixed_size,
      parameters: info.parameters,
    };
  } finally {
    info.free();
  }
}

// Samples (freed here) as a plain object whose pixels buffer is transferred.
function samplesObject(samples) {
  try {
    const pixels = samples.pixels;
    return {
      pixels: pixels.buffer,
      count: samples.count,
      width: samples.width,
      height: samples.height,
      ms: samples.ms,
      eval: samples.eval,
      mode: samples.mode,
      transfer: [pixels.buffer],
    };
  } finally {
    samples.free();
  }
}

// Error text for postMessage: JsError and DOMException messages, or the value.
export function errorText(e) {
  if (e instanceof Error || (e && typeof e.message === 'string')) return e.message || String(e);
  return String(e);
}
