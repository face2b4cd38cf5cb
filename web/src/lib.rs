//! The browser API over `shaders`: open a WebGPU device, load generators from
//! weight-file bytes (safetensors or PyTorch `.pth`; CycleGAN's ResNet,
//! pix2pix's U-Net, DCGAN's or U-GAT-IT's generator, the architecture
//! detected from the file), translate RGBA images in the reference's
//! test-time modes (with U-GAT-IT's attention map beside the result) or
//! generate images from latents (a seed, an interpolation between two
//! seeds, or given values), and report the adapter and the time each took.
//!
//! Every export returns `Result<_, JsError>` whose message says what happened
//! and what to try. Calls on one [`Translator`] should not overlap: WebGPU
//! error scopes are per device, so the JS side queues them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use shaders::models::detect_generator;
use shaders::nn::generator::{latents, Detected, Generator, LoadOptions, Rgba};
use shaders::nn::io::weights::StateDict;
use shaders::nn::layers::Mode;
use shaders::{wgpu, Gpu, GpuOptions};
use wasm_bindgen::prelude::*;

pub mod generate;
mod info;
mod messages;
pub mod train;

pub use info::GeneratorInfo;
pub use train::{StepReport, Training};

use messages::{NO_ADAPTER, NO_WEBGPU};

thread_local! {
    static PANIC_HANDLER: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
    /// The device-lost handler of each open device, by [`LostState::device`].
    static LOST_HANDLERS: RefCell<HashMap<u64, js_sys::Function>> = RefCell::default();
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(s: &str);
}

/// Routes Rust panics to `console.error` and to `handler(message)`, so the
/// page can say that the module stopped instead of hanging.
#[wasm_bindgen]
pub fn set_panic_handler(handler: Option<js_sys::Function>) {
    PANIC_HANDLER.with(|h| *h.borrow_mut() = handler);
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let msg = format!("Internal error in the WebAssembly module: {info}");
            console_error(&msg);
            PANIC_HANDLER.with(|h| {
                if let Some(f) = h.borrow().as_ref() {
                    let _ = f.call1(&JsValue::NULL, &JsValue::from_str(&msg));
                }
            });
        }));
    });
}

/// Whether this JS global (window or worker) exposes `navigator.gpu`.
#[wasm_bindgen]
pub fn has_webgpu() -> bool {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).unwrap_or(JsValue::UNDEFINED);
    !navigator.is_undefined()
        && js_sys::Reflect::get(&navigator, &"gpu".into()).is_ok_and(|g| !g.is_undefined() && !g.is_null())
}

/// `performance.now()` where there is one (window and workers), else `Date.now()`.
pub(crate) fn now_ms() -> f64 {
    let perf = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).unwrap_or(JsValue::UNDEFINED);
    js_sys::Reflect::get(&perf, &"now".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call0(&perf).ok())
        .and_then(|v| v.as_f64())
        .unwrap_or_else(js_sys::Date::now)
}

/// Device-loss state shared with wgpu's device-lost callback.
#[derive(Default)]
pub(crate) struct LostState {
    /// Why the device was lost, once it has been.
    pub(crate) reason: Option<String>,
    /// The device was freed on purpose; its loss is expected.
    pub(crate) released: bool,
}

/// Opens a WebGPU device with the WebGPU default limits; `on_lost(message)`
/// is called if it is later lost (driver reset, GPU memory pressure, tab in
/// the background too long). `kernels` (the page's `?kernels=`) chooses the
/// convolutions' forms as the native `GAN_KERNELS` does ([`Gpu::set_kernels`]).
pub(crate) async fn open_device(
    on_lost: Option<js_sys::Function>,
    kernels: Option<String>,
) -> Result<(Gpu, Arc<Mutex<LostState>>), JsError> {
    if !has_webgpu() {
        return Err(JsError::new(NO_WEBGPU));
    }
    let mut gpu = Gpu::new(GpuOptions::default()).await.map_err(|e| match e {
        shaders::Error::NoAdapter(_) => JsError::new(NO_ADAPTER),
        shaders::Error::RequestDevice(d) => JsError::new(&messages::request_device(&d)),
        e => JsError::new(&format!("Could not open WebGPU: {e}. Reload the page to try again.")),
    })?;
    if let Some(k) = kernels {
        gpu.set_kernels(&k).map_err(|e| JsError::new(&format!("?kernels: {e}")))?;
    }
    static DEVICES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let id = DEVICES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if let Some(f) = on_lost {
        LOST_HANDLERS.with(|h| h.borrow_mut().insert(id, f));
    }
    let lost: Arc<Mutex<LostState>> = Arc::default();
    let state = lost.clone();
    gpu.device.set_device_lost_callback(move |reason, message| {
        let mut s = state.lock().unwrap();
        let released = s.released;
        if !released {
            s.reason = Some(messages::device_lost(&format!("{reason:?}"), &message));
        }
        let text = s.reason.clone();
        drop(s);
        let handler = LOST_HANDLERS.with(|h| h.borrow_mut().remove(&id));
        if let (Some(f), Some(text), false) = (handler, text, released) {
            let _ = f.call1(&JsValue::NULL, &JsValue::from_str(&text));
        }
    });
    Ok((gpu, lost))
}

/// With autotuning on, measures the forms of the convolution shapes met
/// since the last measurement (a translation's, a sample grid's or a
/// training iteration's): (shapes measured, milliseconds).
pub(crate) async fn tune_deferred(gpu: &Gpu, lost: &Mutex<LostState>) -> Result<(u32, f64), JsError> {
    if gpu.deferred_tunes() == 0 {
        return Ok((0, 0.0));
    }
    let start = now_ms();
    let scopes = Scopes::push(&gpu.device);
    let result = shaders::ops::autotune_pending(gpu, &now_ms).await;
    let gpu_error = scopes.pop().await;
    if let Some(reason) = &lost.lock().unwrap().reason {
        return Err(JsError::new(reason));
    }
    let failure = |e: &dyn std::fmt::Display| {
        JsError::new(&messages::gpu_failure("measuring the convolution forms", &e.to_string()))
    };
    if let Some(e) = gpu_error {
        return Err(failure(&e));
    }
    let n = result.map_err(|e| failure(&e))?;
    Ok((n as u32, now_ms() - start))
}

/// A WebGPU device with the generators loaded into it, by slot name
/// (the app uses `"a2b"` and `"b2a"`).
#[wasm_bindgen]
pub struct Translator {
    gpu: Rc<Gpu>,
    nets: RefCell<HashMap<String, Rc<dyn Generator>>>,
    lost: Arc<Mutex<LostState>>,
}

/// One translated image, how long it took and the mode it ran in.
#[wasm_bindgen]
pub struct Translation {
    pixels: Vec<u8>,
    attention: Vec<u8>,
    width: u32,
    height: u32,
    ms: f64,
    eval: bool,
    mode: String,
    tuned: u32,
    tune_ms: f64,
}

#[wasm_bindgen]
impl Translation {
    /// RGBA8 pixels, `width * height * 4` bytes (a copy as a `Uint8Array`).
    #[wasm_bindgen(getter)]
    pub fn pixels(&self) -> Vec<u8> {
        self.pixels.clone()
    }

    /// U-GAT-IT's attention map, the generator's CAM heatmap as the
    /// reference's test images draw it (scaled to its own range, resized to
    /// the image, jet colours): RGBA8 of the same size as `pixels`, opaque;
    /// empty for generators without one.
    #[wasm_bindgen(getter)]
    pub fn attention(&self) -> Vec<u8> {
        self.attention.clone()
    }

    /// Width in pixels (the input's).
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels (the input's).
    #[wasm_bindgen(getter)]
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Milliseconds from upload to readback of the result, both included.
    #[wasm_bindgen(getter)]
    pub fn ms(&self) -> f64 {
        self.ms
    }

    /// Whether it ran in eval mode (running statistics, no dropout).
    #[wasm_bindgen(getter)]
    pub fn eval(&self) -> bool {
        self.eval
    }

    /// What the mode did, e.g. `test.py default: batch statistics, dropout
    /// seed 0` or `eval: running statistics, no dropout`; empty when the
    /// generator has no BatchNorm or dropout (both modes are the same).
    #[wasm_bindgen(getter)]
    pub fn mode(&self) -> String {
        self.mode.clone()
    }

    /// With autotuning: how many convolution shapes this translation met
    /// for the first time and whose forms were then measured (later
    /// translations run the fastest); 0 otherwise.
    #[wasm_bindgen(getter)]
    pub fn tuned(&self) -> u32 {
        self.tuned
    }

    /// Milliseconds that measurement took (after `ms`, not part of it).
    #[wasm_bindgen(getter)]
    pub fn tune_ms(&self) -> f64 {
        self.tune_ms
    }
}

/// Images a DCGAN generator made (`count` images of `width` x `height`), or
/// a training run's sample images side by side.
#[wasm_bindgen]
pub struct Samples {
    pixels: Vec<u8>,
    count: u32,
    width: u32,
    height: u32,
    ms: f64,
    eval: bool,
    mode: String,
}

impl Samples {
    /// A training run's sample images composed into `count` images of
    /// `width` x `height` side by side (`count * width` pixels wide).
    pub(crate) fn row(pixels: Vec<u8>, count: u32, width: u32, height: u32, ms: f64) -> Samples {
        Samples { pixels, count, width, height, ms, eval: false, mode: "one row, side by side".into() }
    }
}

#[wasm_bindgen]
impl Samples {
    /// RGBA8 pixels of the images one after another, each `width * height * 4`
    /// bytes row by row (a copy as a `Uint8Array`).
    #[wasm_bindgen(getter)]
    pub fn pixels(&self) -> Vec<u8> {
        self.pixels.clone()
    }

    /// Number of images.
    #[wasm_bindgen(getter)]
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Width of each image in pixels (64 for DCGAN).
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height of each image in pixels (64 for DCGAN).
    #[wasm_bindgen(getter)]
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Milliseconds from drawing the latents to reading the images back.
    #[wasm_bindgen(getter)]
    pub fn ms(&self) -> f64 {
        self.ms
    }

    /// Whether BatchNorm used the file's running statistics.
    #[wasm_bindgen(getter)]
    pub fn eval(&self) -> bool {
        self.eval
    }

    /// What BatchNorm did, e.g. `batch statistics of the 64 images` or
    /// `eval: running statistics`.
    #[wasm_bindgen(getter)]
    pub fn mode(&self) -> String {
        self.mode.clone()
    }
}

/// Error scopes around one operation: WebGPU reports validation and
/// out-of-memory errors asynchronously, so each operation pops its own.
pub(crate) struct Scopes(Vec<wgpu::ErrorScopeGuard>);

impl Scopes {
    pub(crate) fn push(device: &wgpu::Device) -> Self {
        Scopes(vec![
            device.push_error_scope(wgpu::ErrorFilter::OutOfMemory),
            device.push_error_scope(wgpu::ErrorFilter::Validation),
            device.push_error_scope(wgpu::ErrorFilter::Internal),
        ])
    }

    /// The first error any scope caught.
    pub(crate) async fn pop(mut self) -> Option<wgpu::Error> {
        let mut first = None;
        while let Some(scope) = self.0.pop() {
            if let Some(e) = scope.pop().await {
                first.get_or_insert(e);
            }
        }
        first
    }
}

#[wasm_bindgen]
impl Translator {
    /// Opens a WebGPU device with the WebGPU default limits. `on_lost(message)`
    /// is called if the device is later lost (driver reset, GPU memory
    /// pressure, tab in the background too long).
    ///
    /// `kernels` chooses the convolutions' forms as the native
    /// `GAN_KERNELS` does: `auto` (also when absent: autotuning on GPUs, the
    /// default rule on software adapters), `rule`, `autotune` (each shape's
    /// forms are timed after the first translation that meets it, and the
    /// fastest runs from then on, for this page load), or a form's name to
    /// pin it (`direct`, `winograd4`, `tiled-64x64`, ...).
    pub async fn create(on_lost: Option<js_sys::Function>, kernels: Option<String>) -> Result<Translator, JsError> {
        let (gpu, lost) = open_device(on_lost, kernels).await?;
        Ok(Translator { gpu: Rc::new(gpu), nets: RefCell::default(), lost })
    }

    /// How the convolutions' forms are chosen: the default rule, the pinned
    /// form, or autotuning with the forms measured so far.
    pub fn kernels(&self) -> String {
        if let Some(f) = self.gpu.conv_form() {
            return format!("{} wherever it applies (pinned)", f.name());
        }
        if !self.gpu.conv_autotune() {
            return "the default rule".into();
        }
        let tuned = self.gpu.tuned_convs();
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for t in &tuned {
            match counts.iter_mut().find(|(n, _)| *n == t.form.name()) {
                Some((_, c)) => *c += 1,
                None => counts.push((t.form.name(), 1)),
            }
        }
        counts.sort();
        let forms: Vec<String> = counts.iter().map(|(n, c)| format!("{n} x{c}")).collect();
        match forms.is_empty() {
            true => "autotuned (nothing measured yet)".into(),
            false => format!("autotuned, {} shapes: {}", tuned.len(), forms.join(", ")),
        }
    }

    /// One line naming the adapter and the kernel configuration chosen for it.
    pub fn adapter(&self) -> String {
        let info = self.gpu.adapter_info();
        let name = if info.name.is_empty() { "WebGPU adapter" } else { &info.name };
        let kind = match info.device_type {
            wgpu::DeviceType::Cpu => "software fallback adapter",
            _ => "hardware adapter",
        };
        format!("{name} ({kind}); kernels: {}", self.gpu.tuning().describe())
    }

    /// Largest storage binding the device grants, in bytes (WebGPU default: 128 MiB).
    pub fn max_binding_bytes(&self) -> f64 {
        self.gpu.max_binding_bytes() as f64
    }

    /// Parses a generator weight file (safetensors, or a PyTorch `.pth` zip or
    /// legacy checkpoint; nothing in it is executed), detects its
    /// architecture (ResNet, U-Net, DCGAN or U-GAT-IT, depth, width, norm),
    /// uploads it into `slot` (replacing what was there) and describes it.
    /// Of a whole U-GAT-IT checkpoint (`<dataset>_params_NNNNNNN.pt`, keys
    /// `genA2B.*`, `genB2A.*`, `disGA.*`, ...) slot `"b2a"` takes genB2A and
    /// any other slot genA2B.
    pub async fn load_generator(&self, slot: String, bytes: Vec<u8>) -> Result<GeneratorInfo, JsError> {
        self.check_lost()?;
        let sd = StateDict::load(&bytes).map_err(|e| JsError::new(&messages::bad_weights(&e.to_string())))?;
        drop(bytes);
        let opts = LoadOptions { b_to_a: slot == "b2a", ..LoadOptions::default() };
        let detected = detect_generator(sd, &opts).map_err(|e| match e {
            shaders::Error::Discriminator(d) => JsError::new(&messages::discriminator(&d)),
            e => JsError::new(&messages::bad_weights(&e.to_string())),
        })?;
        // Free the slot's previous network first: two large generators may not fit at once.
        self.nets.borrow_mut().remove(&slot);
        let generator = self.build(detected, "uploading the weights").await?;
        let info = GeneratorInfo::new(generator.summary().clone());
        self.nets.borrow_mut().insert(slot, generator);
        Ok(info)
    }

    /// Whether `slot` holds a generator.
    pub fn has_generator(&self, slot: &str) -> bool {
        self.nets.borrow().contains_key(slot)
    }

    /// The description of the generator in `slot` ([`GeneratorInfo::description`]).
    pub fn describe_generator(&self, slot: &str) -> Option<String> {
        self.nets.borrow().get(slot).map(|g| g.summary().description())
    }

    /// The architecture of the generator in `slot`, as [`Translator::load_generator`] returned it.
    pub fn generator_info(&self, slot: &str) -> Option<GeneratorInfo> {
        self.nets.borrow().get(slot).map(|g| GeneratorInfo::new(g.summary().clone()))
    }

    /// The largest image, in pixels of the padded image, the generator in
    /// `slot` can translate on this device (its widest activation must fit
    /// one storage binding).
    pub fn max_pixels(&self, slot: &str) -> Result<f64, JsError> {
        Ok(self.generator(slot)?.max_pixels(&self.gpu) as f64)
    }

    /// Translates `width` x `height` RGBA8 pixels with the generator in
    /// `slot`; the result has the same size and keeps the input's alpha.
    /// The sides are reflect-padded to the multiple the generator needs and
    /// cropped back.
    ///
    /// Without `eval_mode` (the default) it runs as the reference's test.py does
    /// without `--eval`: BatchNorm normalizes with the image's own statistics
    /// and dropout is on, drawn from `seed` (default 0), so a seed gives the
    /// same output every time. With `eval_mode` it runs as `test.py --eval`:
    /// BatchNorm uses the file's running statistics and dropout is off. A
    /// generator without BatchNorm or dropout (CycleGAN's, U-GAT-IT's) gives
    /// the same output in both.
    ///
    /// A U-GAT-IT generator also gives its attention map
    /// ([`Translation::attention`]); its light model takes any size (padded
    /// to a multiple of 4, at least 8), its full model only its own image size.
    pub async fn translate(
        &self,
        slot: String,
        rgba: Vec<u8>,
        width: u32,
        height: u32,
        eval_mode: Option<bool>,
        seed: Option<u32>,
    ) -> Result<Translation, JsError> {
        self.check_lost()?;
        let (eval, seed) = (eval_mode.unwrap_or(false), seed.unwrap_or(0));
        let (w, h) = (width as usize, height as usize);
        if w == 0 || h == 0 || rgba.len() != w * h * 4 {
            return Err(JsError::new(&format!(
                "The image data does not match its size: {width}x{height} RGBA needs {} bytes, got {}. Try another image.",
                w * h * 4,
                rgba.len()
            )));
        }
        let generator = self.generator(&slot)?;
        let summary = generator.summary();
        if !summary.translates() {
            return Err(JsError::new(&messages::generator_not_translator(&slot, &summary.architecture)));
        }
        let fixed = summary.fixed_size;
        if fixed != 0 && (w, h) != (fixed, fixed) {
            return Err(JsError::new(&messages::fixed_size(width, height, fixed, &summary.architecture)));
        }
        let (pw, ph) = summary.padded(w, h);
        let limit = generator.max_pixels(&self.gpu);
        if pw.saturating_mul(ph) > limit {
            return Err(JsError::new(&messages::too_large(
                width,
                height,
                limit,
                &summary.net_name,
                summary.size_multiple,
            )));
        }
        let start = now_ms();
        // Mode::TEST leaves the running statistics as loaded, so eval mode always uses the file's.
        let mode = if eval { Mode::EVAL } else { Mode::TEST };
        let scopes = Scopes::push(&self.gpu.device);
        let image = Rgba { pixels: &rgba, width: w, height: h };
        let result = generator.translate(&self.gpu, image, mode, seed.into()).await;
        let gpu_error = scopes.pop().await;
        let ms = now_ms() - start;
        self.check_lost()?;
        if let Some(e) = gpu_error {
            return Err(JsError::new(&messages::gpu_failure("translating", &e.to_string())));
        }
        let out = result.map_err(|e| JsError::new(&messages::gpu_failure("translating", &e.to_string())))?;
        let mode = summary.mode_description(eval, seed.into());
        let (tuned, tune_ms) = tune_deferred(&self.gpu, &self.lost).await?;
        let attention = out.attention.unwrap_or_default();
        Ok(Translation { pixels: out.pixels, attention, width, height, ms, eval, mode, tuned, tune_ms })
    }

    /// `count` (1 to 256) images from the DCGAN generator in `slot`, of the
    /// latents [count, nz, 1, 1] that `seed` draws (the same as `trainer
    /// generate --seed`, up to the precision of the GPU's log and cos); the
    /// first `k` latents of a seed are the same for any count.
    ///
    /// Without `eval_mode` (the default) BatchNorm uses the statistics of the
    /// batch, as the reference's netG does while training, so an image
    /// depends on the others in its batch; with `eval_mode` it uses the
    /// file's running statistics and each image depends on its latent only.
    pub async fn generate(
        &self,
        slot: String,
        seed: u32,
        count: u32,
        eval_mode: Option<bool>,
    ) -> Result<Samples, JsError> {
        let count = generate::check_count("count", count as usize, 1).map_err(|e| JsError::new(&e))?;
        self.sample(&slot, eval_mode.unwrap_or(false), count, |gpu, nz| latents(gpu, count, nz, seed.into())).await
    }

    /// `steps` (2 to 256) images from the DCGAN generator in `slot` along the
    /// straight line between the first latents of `seed_a` and `seed_b`
    /// (z = (1 - t) z_a + t z_b, t evenly from 0 to 1, computed on the GPU):
    /// in eval mode the ends are the first images [`Translator::generate`]
    /// makes for the two seeds. Modes as in [`Translator::generate`]; with
    /// batch statistics the steps share theirs.
    pub async fn interpolate(
        &self,
        slot: String,
        seed_a: u32,
        seed_b: u32,
        steps: u32,
        eval_mode: Option<bool>,
    ) -> Result<Samples, JsError> {
        let steps =
            generate::check_count("steps", steps as usize, generate::MIN_STEPS).map_err(|e| JsError::new(&e))?;
        self.sample(&slot, eval_mode.unwrap_or(false), steps, |gpu, nz| {
            generate::interpolation_latents(gpu, nz, seed_a.into(), seed_b.into(), steps)
        })
        .await
    }

    /// Images from the DCGAN generator in `slot` for given latents: N x nz
    /// finite values (N from 1 to 256), latent after latent, as a
    /// [N, nz, 1, 1] tensor holds them. Modes as in [`Translator::generate`].
    pub async fn generate_from_latents(
        &self,
        slot: String,
        latents: Vec<f32>,
        eval_mode: Option<bool>,
    ) -> Result<Samples, JsError> {
        let nz = self.sampler(&slot)?.summary().nz;
        let count = generate::latent_count(&latents, nz).map_err(|e| JsError::new(&e))?;
        self.sample(&slot, eval_mode.unwrap_or(false), count, |gpu, nz| {
            shaders::Tensor::from_slice(gpu, &[count, nz, 1, 1], &latents)
        })
        .await
    }

    /// Frees the generators and the device now rather than when the garbage
    /// collector gets to it; the device's loss that follows is not reported.
    pub fn release(self) {
        self.lost.lock().unwrap().released = true;
        self.nets.borrow_mut().clear();
        self.gpu.release_pooled();
        self.gpu.device.destroy();
    }

    /// Destroys the device without marking it released, as a driver reset
    /// would; for testing the page's device-lost path.
    pub fn simulate_device_loss(&self) {
        self.gpu.device.destroy();
    }
}

impl Translator {
    fn generator(&self, slot: &str) -> Result<Rc<dyn Generator>, JsError> {
        self.nets.borrow().get(slot).cloned().ok_or_else(|| {
            JsError::new(&format!(
                "No generator is loaded for {slot}. Load a weights file (.safetensors or .pth) first."
            ))
        })
    }

    /// The generator in `slot`, which must generate rather than translate.
    fn sampler(&self, slot: &str) -> Result<Rc<dyn Generator>, JsError> {
        let generator = self.generator(slot)?;
        if generator.summary().translates() {
            return Err(JsError::new(&messages::translator_not_generator(slot, &generator.summary().architecture)));
        }
        Ok(generator)
    }

    /// Runs the generator in `slot` on the `count` latents `latents(gpu, nz)`
    /// makes, inside error scopes, and reads the images back.
    async fn sample(
        &self,
        slot: &str,
        eval: bool,
        count: usize,
        latents: impl FnOnce(&Gpu, usize) -> shaders::Result<shaders::Tensor>,
    ) -> Result<Samples, JsError> {
        self.check_lost()?;
        let generator = self.sampler(slot)?;
        let summary = generator.summary();
        let (per_image, max_binding) = (generator.bytes_per_sample(), self.gpu.max_binding_bytes());
        let batch = generate::batch_size(per_image, &summary.architecture, count, eval, max_binding)
            .map_err(|e| JsError::new(&e))?;
        let start = now_ms();
        let scopes = Scopes::push(&self.gpu.device);
        let result = match latents(&self.gpu, summary.nz) {
            Ok(z) => generate::images(&self.gpu, &*generator, &z, eval, batch).await,
            Err(e) => Err(e),
        };
        let gpu_error = scopes.pop().await;
        let ms = now_ms() - start;
        self.check_lost()?;
        if let Some(e) = gpu_error {
            return Err(JsError::new(&messages::gpu_failure("generating", &e.to_string())));
        }
        let (pixels, width, height) =
            result.map_err(|e| JsError::new(&messages::gpu_failure("generating", &e.to_string())))?;
        let mode = info::sample_mode(eval, count);
        tune_deferred(&self.gpu, &self.lost).await?;
        Ok(Samples { pixels, count: count as u32, width: width as u32, height: height as u32, ms, eval, mode })
    }

    fn check_lost(&self) -> Result<(), JsError> {
        match &self.lost.lock().unwrap().reason {
            Some(reason) => Err(JsError::new(reason)),
            None => Ok(()),
        }
    }

    /// Builds a detected generator inside error scopes; `what` names the
    /// operation in messages.
    async fn build(&self, detected: Detected, what: &str) -> Result<Rc<dyn Generator>, JsError> {
        let scopes = Scopes::push(&self.gpu.device);
        let built = detected.build(&self.gpu);
        let flushed = built.is_ok().then(|| self.gpu.flush());
        let gpu_error = scopes.pop().await;
        self.check_lost()?;
        let net = built.map_err(|e| match e {
            shaders::Error::Network(_) | shaders::Error::Weights(_) | shaders::Error::Shape { .. } => {
                JsError::new(&messages::bad_weights(&e.to_string()))
            }
            e => JsError::new(&messages::gpu_failure(what, &e.to_string())),
        })?;
        if let Some(Err(e)) = flushed {
            return Err(JsError::new(&messages::gpu_failure(what, &e.to_string())));
        }
        if let Some(e) = gpu_error {
            return Err(JsError::new(&messages::gpu_failure(what, &e.to_string())));
        }
        Ok(Rc::from(net))
    }
}
