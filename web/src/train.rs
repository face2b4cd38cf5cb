//! Training in the browser over the same core as `trainer`
//! ([`shaders::train::Run`]): the same data order, augmentation, schedule,
//! step and checkpoint layout, so the same settings, images and seed give
//! the same run as `trainer` on the same kind of adapter, and a checkpoint
//! moves between the two as a zip of `latest/`.
//!
//! CycleGAN and DiscoGAN on two sets of images, pix2pix on A|B pairs and
//! DCGAN on one set of images, with the options and preprocessing of
//! `trainer --model ...`.

use std::rc::Rc;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use shaders::models::{Data, TrainOptions};
use shaders::nn::io::weights::StateDict;
use shaders::nn::layers::params::SplitMix64;
use shaders::nn::model::{Init, TrainState};
use shaders::ops::{image_to_tensor, tensor_to_image};
use shaders::train::checkpoint::{self, Manifest, FORMAT, LATEST};
use shaders::train::order::{derive_seed, rng, stream, Order, Position};
use shaders::train::transform::RgbImage;
use shaders::train::transform::{is_pair, split_pair, Direction, Preprocess};
use shaders::train::{demo, Run, Snapshot, Stepped};
use shaders::Gpu;
use wasm_bindgen::prelude::*;

use crate::{messages, now_ms, open_device, LostState, Scopes};

/// Parses the page's settings: JSON with `trainer`'s option names in
/// snake_case (as a checkpoint's manifest records them). Absent options take
/// `trainer`'s defaults, the model's own where it has them; then they are
/// checked as `trainer` checks them. The error names the value and the reason.
fn parse_settings(json: &str) -> Result<TrainOptions, String> {
    let bad = |e: String| format!("The training settings do not parse: {e}.");
    let map: Map<String, Value> = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    let mut o = TrainOptions::from_map(&map).map_err(bad)?;
    o.resolve(&|k| !map.contains_key(k), false).map_err(|e| format!("The training settings are not valid: {e}."))?;
    Ok(o)
}

/// The models the Train mode offers, as JSON (`shaders::models::page_catalog`):
/// `[{kind, label, data, shows, fixed, defaults}]`; the page builds its model
/// menu and chooses its controls from it.
#[wasm_bindgen]
pub fn train_models() -> String {
    shaders::models::page_catalog().to_string()
}

/// One finished iteration as the page shows it.
#[wasm_bindgen]
pub struct StepReport {
    iteration: f64,
    epoch: f64,
    lr: f64,
    losses: Vec<f32>,
    ms: f64,
}

#[wasm_bindgen]
impl StepReport {
    /// Iterations done in total.
    #[wasm_bindgen(getter)]
    pub fn iteration(&self) -> f64 {
        self.iteration
    }

    /// The epoch the iteration belonged to (from 1).
    #[wasm_bindgen(getter)]
    pub fn epoch(&self) -> f64 {
        self.epoch
    }

    /// Its learning rate.
    #[wasm_bindgen(getter)]
    pub fn lr(&self) -> f64 {
        self.lr
    }

    /// Its losses, in [`Training::loss_names`] order.
    #[wasm_bindgen(getter)]
    pub fn losses(&self) -> Vec<f32> {
        self.losses.clone()
    }

    /// Milliseconds from the upload of its images to the losses read back.
    #[wasm_bindgen(getter)]
    pub fn ms(&self) -> f64 {
        self.ms
    }
}

/// A CycleGAN training run on its own WebGPU device. Calls must not
/// overlap (the worker queues them); a step is finished, losses read back,
/// before the next one starts, so no more than one step's work is ever in
/// flight.
#[wasm_bindgen]
pub struct Training {
    gpu: Rc<Gpu>,
    lost: Arc<Mutex<LostState>>,
    settings: TrainOptions,
    images: [Vec<RgbImage>; 2],
    run: Option<Run>,
    last: Option<Stepped>,
}

fn js(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

#[wasm_bindgen]
impl Training {
    /// Opens a device and checks `settings` (JSON, `trainer`'s option names
    /// in snake_case, as a checkpoint manifest records them). `on_lost(message)` is called if the
    /// device is lost later. `kernels` chooses the convolutions' forms as
    /// [`Translator::create`](crate::Translator::create)'s does; with
    /// autotuning the shapes met by an iteration are measured after it (the
    /// first iteration runs the default rule's forms), the checkpoint records
    /// the forms chosen, and a run resumed on the same adapter takes them.
    pub async fn create(
        settings: String,
        on_lost: Option<js_sys::Function>,
        kernels: Option<String>,
    ) -> Result<Training, JsError> {
        let settings = parse_settings(&settings).map_err(|e| JsError::new(&e))?;
        let (gpu, lost) = open_device(on_lost, kernels).await?;
        Ok(Training { gpu: Rc::new(gpu), lost, settings, images: [Vec::new(), Vec::new()], run: None, last: None })
    }

    /// The settings in effect, as JSON (defaults filled in).
    pub fn settings(&self) -> String {
        serde_json::to_string(&self.settings).unwrap_or_default()
    }

    /// Adds an RGBA8 image to domain 0 (A) or 1 (B). Add each domain's
    /// images in the order of their file paths, as `trainer` reads a folder.
    pub fn add_image(
        &mut self,
        domain: u32,
        rgba: Vec<u8>,
        width: u32,
        height: u32,
        name: String,
    ) -> Result<(), JsError> {
        self.check_not_started()?;
        let d = usize::try_from(domain)
            .ok()
            .filter(|&d| d < 2)
            .ok_or_else(|| JsError::new("The domain is 0 (A) or 1 (B)."))?;
        let (w, h) = (width as usize, height as usize);
        if w == 0 || h == 0 || rgba.len() != w * h * 4 {
            return Err(JsError::new(&format!(
                "{name}: the image data does not match its size {width}x{height}; try another image."
            )));
        }
        let t = &self.settings;
        let smallest = match t.preprocess {
            Preprocess::Crop => t.crop_size,
            _ => 16,
        };
        if width.min(height) < smallest {
            return Err(JsError::new(&format!(
                "{name} is {width}x{height}, smaller than the {smallest}-pixel crop the settings take; leave it out or \
                 lower the crop size."
            )));
        }
        let rgb: Vec<u8> = rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        let img = RgbImage::from_raw(width, height, rgb).ok_or_else(|| JsError::new("image buffer size"))?;
        self.images[d].push(img);
        Ok(())
    }

    /// Fills both domains with the built-in demo (procedural day and night
    /// landscapes, the same pixels as `trainer`'s demo data).
    pub fn use_demo(&mut self) -> Result<(), JsError> {
        self.check_not_started()?;
        for (d, night) in [(0, false), (1, true)] {
            self.images[d] = (0..demo::COUNT).map(|i| demo::image(i, night)).collect();
        }
        Ok(())
    }

    /// Images in domain A and B.
    pub fn image_counts(&self) -> Vec<u32> {
        self.images.iter().map(|v| v.len() as u32).collect()
    }

    /// Builds the model: fresh weights from the seed, or everything from a
    /// checkpoint zip (`latest/` as the page or `trainer` saved it, whose
    /// settings then replace these). Returns a note for the page (e.g. that
    /// the domains changed since the checkpoint), or an empty string.
    pub async fn start(&mut self, checkpoint: Option<Vec<u8>>) -> Result<String, JsError> {
        self.check_lost()?;
        self.check_not_started()?;
        let mut note = String::new();
        let (init, rng_state, pos) = match checkpoint {
            None => {
                let s = &self.settings;
                (Init::Fresh(derive_seed(s.seed, stream::INIT, 0)), rng(s.seed, stream::POOL, 0), Position::start())
            }
            Some(zip) => {
                let (manifest, state, n) = self.read_checkpoint(&zip)?;
                if manifest.images != n {
                    note = format!(
                        "The checkpoint was trained on {:?} images in A and B; there are {n:?} now, so the data order \
                         differs from the interrupted run's.",
                        manifest.images
                    );
                }
                if let Some(forms) = &manifest.conv_forms {
                    let pinned = forms.apply(&self.gpu);
                    if pinned > 0 {
                        note = format!(
                            "{note}{}{pinned} autotuned convolution forms taken from the checkpoint, as the \
                             interrupted run chose.",
                            if note.is_empty() { "" } else { " " }
                        );
                    }
                }
                (Init::Resume(state), SplitMix64(manifest.rng), manifest.position)
            }
        };
        self.check_data()?;
        let s = &self.settings;
        let spec = s.checked_spec();
        let limit = spec.max_pixels(&self.gpu, s);
        let pixels = s.batch_size * (s.crop_size as usize).pow(2);
        if pixels > limit {
            return Err(JsError::new(&format!(
                "A batch of {} crops of {c}x{c} does not fit this GPU: the generator's widest activation would exceed \
                 the {} MiB a WebGPU buffer may hold. Lower the crop size, the batch size or ngf.",
                s.batch_size,
                self.gpu.max_binding_bytes() >> 20,
                c = s.crop_size
            )));
        }
        let order = if spec.data().takes_domains() {
            Order::unaligned(self.images[0].len(), self.images[1].len(), s.batch_size, s.serial_batches, s.seed)
        } else {
            Order::aligned(self.images[0].len(), s.batch_size, s.serial_batches, s.seed)
        };
        let schedule = s.schedule();
        let scopes = Scopes::push(&self.gpu.device);
        let model = spec.build(&self.gpu, s, init);
        let gpu_error = scopes.pop().await;
        self.check_lost()?;
        if let Some(e) = gpu_error {
            return Err(JsError::new(&messages::gpu_failure("building the networks", &e.to_string())));
        }
        let model = model.map_err(|e| JsError::new(&format!("The checkpoint does not fit these networks: {e}.")))?;
        self.run = Some(Run { model, rng: rng_state, pos, order, schedule });
        Ok(note)
    }

    /// Whether [`Training::start`] has built the model.
    pub fn started(&self) -> bool {
        self.run.is_some()
    }

    /// Iterations done.
    pub fn iteration(&self) -> f64 {
        self.run.as_ref().map_or(0.0, |r| r.pos.total_iters as f64)
    }

    /// Iterations of the whole schedule.
    pub fn total_iterations(&self) -> f64 {
        self.run.as_ref().map_or(0.0, |r| r.total_iters() as f64)
    }

    /// Iterations per epoch.
    pub fn iterations_per_epoch(&self) -> f64 {
        self.run.as_ref().map_or(0.0, |r| r.iters_per_epoch() as f64)
    }

    /// The loss names, in [`StepReport::losses`] order.
    pub fn loss_names(&self) -> Vec<String> {
        self.settings.checked_spec().info().losses.iter().map(|s| s.to_string()).collect()
    }

    /// The names of the sample images, in [`Training::samples`] order.
    pub fn visual_names(&self) -> Vec<String> {
        self.settings.checked_spec().info().visuals.iter().map(|s| s.to_string()).collect()
    }

    /// The model's networks, as [`Training::network`] names them.
    pub fn network_names(&self) -> Vec<String> {
        self.settings.checked_spec().info().networks.iter().map(|s| s.to_string()).collect()
    }

    /// The network that translates A to B (or generates), the one to download first.
    pub fn translator(&self) -> String {
        self.settings.checked_spec().info().translator.to_string()
    }

    /// GPU memory the run's tensors hold now, in bytes.
    pub fn gpu_bytes(&self) -> f64 {
        self.gpu.tensor_bytes_allocated() as f64
    }

    /// One iteration: the next batch, as `trainer` would take it, through
    /// the model's step; waits for its losses.
    pub async fn step(&mut self) -> Result<StepReport, JsError> {
        self.check_lost()?;
        let start = now_ms();
        let run = self.run.as_mut().ok_or_else(|| JsError::new("Start the run first."))?;
        if run.finished() {
            return Err(JsError::new("The run has finished its schedule; download the generators or the checkpoint."));
        }
        let transform = self.settings.transform();
        let picks = run.picks();
        let mut batch = [Vec::new(), Vec::new()];
        let mut size = (0, 0);
        let b_to_a = self.settings.direction == Direction::BtoA;
        let data = self.settings.checked_spec().data();
        for p in &picks {
            // Unaligned: image p.a of A and p.b of B; aligned: the halves of pair p.a, one crop and flip;
            // one set of images (DCGAN): image p.a.
            let sources = if data == Data::Aligned {
                let (a, b) = split_pair(&self.images[0][p.a], b_to_a);
                vec![(a, p.a, p.augment_a), (b, p.a, p.augment_a)]
            } else if data == Data::Single {
                vec![(self.images[0][p.a].clone(), p.a, p.augment_a)]
            } else {
                vec![(self.images[0][p.a].clone(), p.a, p.augment_a), (self.images[1][p.b].clone(), p.b, p.augment_b)]
            };
            for (d, (source, index, seed)) in sources.into_iter().enumerate() {
                let img = transform
                    .apply(source, seed)
                    .map_err(|e| JsError::new(&format!("Image {} of domain {}: {e}.", index + 1, ["A", "B"][d])))?;
                if size != (0, 0) && img.dimensions() != size {
                    return Err(JsError::new(
                        "The images of one batch differ in size after preprocessing; use batch size 1 or a \
                         preprocessing that crops.",
                    ));
                }
                size = img.dimensions();
                batch[d].extend(img.pixels().flat_map(|px| [px[0], px[1], px[2], 255]));
            }
        }
        let (w, h, n) = (size.0 as usize, size.1 as usize, picks.len());
        let scopes = Scopes::push(&self.gpu.device);
        let stepped = (|| {
            let a = image_to_tensor(&self.gpu, &batch[0], n, w, h)?;
            let b = if batch[1].is_empty() { a.clone() } else { image_to_tensor(&self.gpu, &batch[1], n, w, h)? };
            run.step(&self.gpu, &a, &b)
        })();
        let losses = match &stepped {
            Ok(s) => Some(s.out.losses.read(&self.gpu).await),
            Err(_) => None,
        };
        let gpu_error = scopes.pop().await;
        if let Some(reason) = &self.lost.lock().unwrap().reason {
            return Err(JsError::new(reason));
        }
        if let Some(e) = gpu_error {
            return Err(JsError::new(&messages::gpu_failure("training", &e.to_string())));
        }
        let stepped = stepped.map_err(|e| JsError::new(&messages::gpu_failure("training", &e.to_string())))?;
        let losses = losses
            .expect("read after a step")
            .map_err(|e| JsError::new(&messages::gpu_failure("training", &e.to_string())))?;
        let iteration = run.pos.total_iters;
        let names = self.settings.checked_spec().info().losses;
        if let Some((name, v)) = names.iter().zip(&losses).find(|(_, v)| !v.is_finite()) {
            return Err(JsError::new(&format!(
                "Training diverged at iteration {iteration}: loss {name} is {v}. Resume from the last saved checkpoint \
                 with a lower learning rate."
            )));
        }
        // Autotuning: the shapes this iteration met for the first time.
        crate::tune_deferred(&self.gpu, &self.lost).await?;
        let report = StepReport {
            iteration: iteration as f64,
            epoch: stepped.epoch as f64,
            lr: stepped.lr,
            losses,
            ms: now_ms() - start,
        };
        self.last = Some(stepped);
        Ok(report)
    }

    /// The sample images of the last step as one RGBA8 image: the first
    /// image of each of [`Training::visual_names`] side by side (real,
    /// translated, reconstructed, ...), or for a model that generates
    /// (DCGAN) its fixed latents' images, 8 a row. DCGAN's sample pass runs
    /// in training mode and updates G's running statistics, as the
    /// reference's `netG(fixed_noise)` and `trainer`'s sample grids do.
    pub async fn samples(&mut self) -> Result<crate::Samples, JsError> {
        self.check_lost()?;
        let start = now_ms();
        let (Some(run), Some(last)) = (self.run.as_mut(), self.last.as_ref()) else {
            return Err(JsError::new("No step has run yet."));
        };
        let batch_grid = run.model.info().batch_grid;
        let visuals = run.model.sample_visuals(&self.gpu, &last.out).map_err(js)?;
        // Tiles of RGBA8 bytes: every image of the generated batch, or the first of each visual.
        let mut tiles = Vec::new();
        if batch_grid {
            let v = visuals.last().ok_or_else(|| JsError::new("The model returned no sample images."))?;
            let bytes = tensor_to_image(&self.gpu, v).await.map_err(js)?;
            let size = bytes.len() / v.shape()[0];
            tiles.extend(bytes.chunks_exact(size).map(|c| c.to_vec()));
        } else {
            for v in &visuals {
                let s = v.shape();
                tiles.push(
                    tensor_to_image(&self.gpu, &v.view(0, &[1, s[1], s[2], s[3]]).map_err(js)?).await.map_err(js)?,
                );
            }
        }
        let shape = visuals[0].shape();
        let (w, h) = (shape[3], shape[2]);
        let columns = if batch_grid { 8.min(tiles.len()) } else { tiles.len() };
        let rows = tiles.len().div_ceil(columns);
        let width = columns * w;
        let mut pixels = vec![0u8; width * rows * h * 4];
        for (k, tile) in tiles.iter().enumerate() {
            let (x0, y0) = ((k % columns) * w, (k / columns) * h);
            for y in 0..h {
                let dst = ((y0 + y) * width + x0) * 4;
                pixels[dst..dst + w * 4].copy_from_slice(&tile[y * w * 4..(y + 1) * w * 4]);
            }
        }
        Ok(crate::Samples::row(pixels, 1, width as u32, (rows * h) as u32, now_ms() - start))
    }

    /// The whole run as a checkpoint zip: `latest/` with the networks,
    /// optimizers, image pools and manifest, which `trainer --continue-train`
    /// resumes once unzipped into `<checkpoints-dir>/<name>/` (or `trainer
    /// import`), and [`Training::start`] resumes here.
    pub async fn checkpoint(&self) -> Result<Vec<u8>, JsError> {
        let snapshot = self.snapshot().await?;
        if let Some(bad) = checkpoint::first_non_finite(&snapshot.state) {
            return Err(JsError::new(&format!("The model holds a non-finite value ({bad}); it is not saved.")));
        }
        let files = checkpoint::state_files(&snapshot.state, self.settings.checked_spec().info().networks.len(), true);
        let mut manifest = Manifest {
            format: FORMAT,
            kind: LATEST.into(),
            position: snapshot.position,
            rng: snapshot.rng,
            lr: snapshot.lr,
            architecture: self.settings.checked_spec().architecture(&self.settings),
            images: [self.images[0].len(), self.images[1].len()],
            options: self.settings.clone(),
            files: Default::default(),
            conv_forms: shaders::train::checkpoint::ConvForms::of(&self.gpu),
        };
        checkpoint::to_zip(&files, &mut manifest).map_err(js)
    }

    /// One network of the run (CycleGAN's `G_A`, `G_B`, `D_A` or `D_B`;
    /// pix2pix's `G` or `D`) as a
    /// `.safetensors` file in the reference's layout, which `trainer
    /// translate` and the page's Translate mode load.
    pub async fn network(&self, name: String) -> Result<Vec<u8>, JsError> {
        let snapshot = self.snapshot().await?;
        Ok(snapshot.state.get(&name).map_err(js)?.to_safetensors())
    }

    /// Destroys the device without marking it released, as a driver reset
    /// would; for testing the page's device-lost path.
    pub fn simulate_device_loss(&self) {
        self.gpu.device.destroy();
    }

    /// Frees the device now; its loss is not reported.
    pub fn release(self) {
        self.lost.lock().unwrap().released = true;
        drop(self.run);
        self.gpu.release_pooled();
        self.gpu.device.destroy();
    }
}

impl Training {
    /// The run's state read back.
    async fn snapshot(&self) -> Result<Snapshot, JsError> {
        self.check_lost()?;
        let run = self.run.as_ref().ok_or_else(|| JsError::new("Start the run first."))?;
        run.snapshot(&self.gpu).await.map_err(|e| JsError::new(&messages::gpu_failure("saving", &e.to_string())))
    }

    fn check_lost(&self) -> Result<(), JsError> {
        match &self.lost.lock().unwrap().reason {
            Some(reason) => Err(JsError::new(reason)),
            None => Ok(()),
        }
    }

    /// The images the model needs: two domains, one set of images, or A|B pairs.
    fn check_data(&self) -> Result<(), JsError> {
        let [a, b] = &self.images;
        let spec = self.settings.checked_spec();
        match spec.data() {
            Data::Unaligned | Data::UnalignedOrHalves => {
                for (d, imgs) in [("A", a), ("B", b)] {
                    if imgs.is_empty() {
                        return Err(JsError::new(&format!(
                            "Domain {d} has no images: add some, or use the demo domains."
                        )));
                    }
                }
            }
            Data::Single => {
                if a.is_empty() || !b.is_empty() {
                    return Err(JsError::new(&format!(
                        "{} trains on one set of images: add them as domain A and leave domain B empty.",
                        spec.title()
                    )));
                }
            }
            Data::Aligned => {
                if a.is_empty() || !b.is_empty() {
                    return Err(JsError::new(&format!(
                        "{} trains on one set of A|B pairs (each image the input and its target side by side): add \
                         them as domain A and leave domain B empty.",
                        spec.title()
                    )));
                }
                if let Some((i, img)) = a.iter().enumerate().find(|(_, img)| !is_pair(img.dimensions())) {
                    let (w, h) = img.dimensions();
                    return Err(JsError::new(&format!(
                        "Image {} is {w}x{h}: an A|B pair is two squares side by side, so its width must be even and \
                         twice its height.",
                        i + 1
                    )));
                }
            }
        }
        Ok(())
    }

    fn check_not_started(&self) -> Result<(), JsError> {
        if self.run.is_some() {
            return Err(JsError::new("The run has started; its images and settings are fixed."));
        }
        Ok(())
    }

    /// The manifest and state of a checkpoint zip, checked against the
    /// images; its settings replace the run's.
    fn read_checkpoint(&mut self, zip: &[u8]) -> Result<(Manifest<TrainOptions>, TrainState, [usize; 2]), JsError> {
        let bad = |e: String| JsError::new(&format!("This checkpoint cannot be resumed: {e}."));
        let (json, files) = checkpoint::from_zip(zip).map_err(|e| bad(e.to_string()))?;
        let manifest: Manifest<TrainOptions> =
            serde_json::from_slice(&json).map_err(|e| bad(format!("manifest.json: {e}")))?;
        if manifest.format != FORMAT {
            return Err(bad(format!("format {} is not the supported {FORMAT}", manifest.format)));
        }
        if manifest.kind != LATEST {
            return Err(bad("it is an epoch checkpoint, which holds the networks only; choose a latest/ zip".into()));
        }
        let mut manifest = manifest;
        // Options the page left out of older manifests take the model's defaults.
        manifest.options.resolve(&|_| false, false).map_err(bad)?;
        let arch = manifest.options.checked_spec().architecture(&manifest.options);
        if arch != manifest.architecture {
            return Err(bad(format!("its manifest says {} but its settings build {arch}", manifest.architecture)));
        }
        self.settings = manifest.options.clone();
        let info = self.settings.checked_spec().info();
        let names = info.networks.iter().chain(info.state);
        let mut state = TrainState::default();
        for name in names {
            let file = format!("{name}.safetensors");
            let bytes = &files.iter().find(|(n, _)| *n == file).ok_or_else(|| bad(format!("{file} is missing")))?.1;
            state.files.push((name.to_string(), StateDict::load(bytes).map_err(|e| bad(format!("{file}: {e}")))?));
        }
        let n = [self.images[0].len(), self.images[1].len()];
        Ok((manifest, state, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_trainers_options_and_name_what_is_wrong() {
        let s = parse_settings(r#"{"net_g": "resnet_6blocks", "ngf": 32, "ndf": 32}"#).unwrap();
        assert_eq!(s.checked_spec().architecture(&s), "resnet_6blocks ngf 32, n_layers_d 3 ndf 32");
        assert_eq!((s.crop_size, s.load_size, s.batch_size), (256, 286, 1));
        let err = |json: &str| parse_settings(json).unwrap_err();
        assert!(err(r#"{"model": "unit"}"#).contains("there is no model `unit`"));
        assert!(err(r#"{"net_g": "vgg"}"#).contains("`vgg` is not a generator"));
        assert!(err(r#"{"crop_size": 130, "load_size": 143}"#).contains("must be a multiple of 4"));
        assert!(err(r#"{"crop_size": 20, "load_size": 24, "n_layers_d": 3}"#).contains("too small for a discriminator"));
        parse_settings(r#"{"crop_size": 24, "load_size": 24, "n_layers_d": 3}"#).unwrap();
        assert!(err(r#"{"crop_size": 512}"#).contains("larger than --load-size 286"));
        assert!(err(r#"{"ngf": 0}"#).contains("--ngf must be at least 1"));
        assert!(err(r#"{"n_epochs": 0, "n_epochs_decay": 0}"#).contains("at least 1"));
        assert!(err(r#"{"ngf": "x"}"#).contains("do not parse"));
    }

    #[test]
    fn each_model_takes_its_defaults() {
        let s = parse_settings(r#"{"model": "pix2pix", "ngf": 64, "ndf": 64, "crop_size": 256, "load_size": 286}"#)
            .unwrap();
        assert_eq!(s.checked_spec().architecture(&s), "pix2pix unet_256 ngf 64, n_layers_d 3 ndf 64, norm batch");
        let d = parse_settings(r#"{"model": "dcgan", "nz": 8, "ngf": 4, "ndf": 4, "batch_size": 2}"#).unwrap();
        assert_eq!(d.checked_spec().architecture(&d), "dcgan nz 8 ngf 4 ndf 4");
        assert_eq!((d.preprocess, d.load_size, d.crop_size, d.no_flip), (Preprocess::CenterCrop, 64, 64, true));
        // DCGAN's reference defaults where the page gives none: 25 epochs at a constant rate.
        assert_eq!((d.batch_size, d.n_epochs, d.n_epochs_decay), (2, 25, 0));
        assert!(parse_settings(r#"{"model": "dcgan", "image_size": 128}"#).unwrap_err().contains("64x64"));
        assert!(parse_settings(r#"{"direction": "up"}"#).unwrap_err().contains("do not parse"));
        let u = parse_settings(r#"{"model": "ugatit", "light": true, "ch": 4, "crop_size": 96}"#).unwrap();
        assert_eq!(u.checked_spec().architecture(&u), "ugatit light ch 4 n_res 4");
        assert!(u.transform().bilinear);
    }

    #[test]
    fn a_native_manifest_gives_its_settings() {
        // Options as `trainer` saves them: every flag, some unset (null).
        let json = r#"{"model": "cycle_gan", "name": "run", "net_g": null, "ngf": 8, "ndf": 16, "n_layers_d": 3,
            "load_size": 286, "crop_size": 256, "preprocess": "resize_and_crop", "no_flip": false,
            "serial_batches": false, "batch_size": 1, "lr": 0.0002, "beta1": 0.5, "n_epochs": 100,
            "n_epochs_decay": 100, "lambda_a": 10.0, "lambda_b": 10.0, "lambda_identity": 0.5, "pool_size": null,
            "seed": 0, "norm": "instance", "gan_mode": "lsgan", "display_freq": 400, "domain_a": "/data/A"}"#;
        let s = parse_settings(json).unwrap();
        assert_eq!(s.checked_spec().architecture(&s), "resnet_9blocks ngf 8, n_layers_d 3 ndf 16");
        assert_eq!(s.get::<shaders::models::image_to_image::NetOptions>().pool_size, Some(50));
    }

    #[test]
    fn checkpoints_of_earlier_versions_still_resume() {
        // The manifests the page and trainer wrote before the models owned their options.
        for name in ["page_cycle_gan", "cycle_gan", "pix2pix", "dcgan", "discogan", "ugatit"] {
            let path = format!("{}/../tests/fixtures/manifests/{name}.json", env!("CARGO_MANIFEST_DIR"));
            let mut m: Manifest<TrainOptions> = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            m.options.resolve(&|_| false, false).unwrap();
            assert_eq!(m.options.checked_spec().architecture(&m.options), m.architecture, "{name}");
        }
    }
}
