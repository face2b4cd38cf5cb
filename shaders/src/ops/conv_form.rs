//! The forms of the forward convolution and the choice between them: a
//! pinned form, a measured one (autotuning, by the device's generic tuner
//! with the shape as its key), or the default rule; and the settings that
//! make that choice (`GAN_KERNELS`, [`Gpu::set_kernels`]).

use std::sync::{Arc, Mutex};

use crate::context::{AdapterClass, Gpu};
use crate::error::{Error, Result};
use crate::ops::conv2d::{conv2d_pack_weight, conv2d_packed_form};
use crate::ops::conv_forms::ConvForm;
use crate::ops::conv_geometry::{Conv2dParams, Padding};
use crate::tensor::Tensor;
use crate::tune::{time_candidates, LocalTuner, TuneCache, Tuned, Tuner};

/// Fewest input and output channels for which the default rule picks a
/// Winograd form: the residual blocks of ResNet generators of ngf 8 and up. In
/// narrower layers the transforms are a larger share of the work, and those
/// layers were not measured; they keep the direct kernel.
const WINOGRAD_MIN_CHANNELS: usize = 32;

/// The form [`conv2d_packed`](crate::ops::conv2d_packed) runs for input `xs`
/// and weight `ws`: the form pinned by [`Gpu::set_conv_form`] (natively, the
/// `GAN_KERNELS` environment variable) where it applies; else, natively with
/// [`Gpu::set_conv_autotune`] on, the fastest applicable form measured on this
/// device for this shape; else the default rule: Winograd F(4x4, 3x3) for
/// 3x3 stride-1 convolutions with at least 32 input and output channels (the
/// ResNet generator's residual blocks), F(3x3, 4x4) for such 4x4 stride-1
/// convolutions (PatchGAN's stride-1 layer), the narrow direct kernel for at most 4
/// output channels, the direct kernel for everything else.
pub fn conv2d_form(gpu: &Gpu, xs: [usize; 4], ws: [usize; 4], p: &Conv2dParams) -> ConvForm {
    let tuner = conv_tuner(gpu);
    let (pinned, autotune) = *tuner.choice.lock().unwrap();
    if let Some(form) = pinned {
        return if form.applies(gpu, xs, ws, p) { form } else { ConvForm::Direct };
    }
    if autotune {
        if let Some(form) = tuner.autotune(gpu, xs, ws, p) {
            return form;
        }
    }
    rule(gpu, xs, ws, p)
}

/// [`conv2d_form`] for the launchers: natively an error where `GAN_KERNELS`
/// names no form (until [`Gpu::set_kernels`] replaces its choice).
pub(crate) fn conv2d_form_checked(gpu: &Gpu, xs: [usize; 4], ws: [usize; 4], p: &Conv2dParams) -> Result<ConvForm> {
    if let Some(msg) = conv_tuner(gpu).setting_error.lock().unwrap().clone() {
        return Err(Error::Setting(msg));
    }
    Ok(conv2d_form(gpu, xs, ws, p))
}

fn rule(gpu: &Gpu, xs: [usize; 4], ws: [usize; 4], p: &Conv2dParams) -> ConvForm {
    let wide = ws[0] >= WINOGRAD_MIN_CHANNELS && ws[1] >= WINOGRAD_MIN_CHANNELS;
    if wide && ConvForm::Winograd4.applies(gpu, xs, ws, p) {
        ConvForm::Winograd4
    } else if wide && ConvForm::WinogradK4.applies(gpu, xs, ws, p) {
        ConvForm::WinogradK4
    } else if ws[0] <= 4 {
        ConvForm::Narrow
    } else {
        ConvForm::Direct
    }
}

/// What an autotuned convolution form is kept by: input and weight shapes,
/// stride, padding and its mode.
pub(crate) type ConvKey = ([usize; 4], [usize; 4], usize, usize, Padding);

/// One autotuned convolution shape: what was measured and what won.
#[derive(Clone, Debug, PartialEq)]
pub struct TunedConv {
    /// Input shape [N, C_in, H, W].
    pub input: [usize; 4],
    /// Weight shape [C_out, C_in, KH, KW].
    pub weight: [usize; 4],
    /// Stride.
    pub stride: usize,
    /// Padding on every side.
    pub padding: usize,
    /// Zero or reflect padding.
    pub padding_mode: Padding,
    /// Milliseconds per run of each applicable form (best of the timed
    /// runs); empty where the form came from the on-disk cache.
    pub ms: Vec<(ConvForm, f64)>,
    /// The fastest form, which every later convolution of this shape runs.
    pub form: ConvForm,
}

impl TunedConv {
    fn new(&(input, weight, stride, padding, padding_mode): &ConvKey, tuned: Tuned<ConvForm>) -> TunedConv {
        TunedConv { input, weight, stride, padding, padding_mode, ms: tuned.ms, form: tuned.winner }
    }
}

/// How a device's convolutions choose their forms: the choice, and the
/// generic tuner keyed by shape with the forms as candidates. The device
/// keeps it in its tuners, made at the first convolution or setting.
struct ConvTuner {
    /// The form pinned wherever it applies, if any, and whether forms are
    /// measured; with neither, the default rule chooses.
    choice: Mutex<(Option<ConvForm>, bool)>,
    /// Natively, why `GAN_KERNELS` could not be used: every convolution
    /// reports it ([`conv2d_form_checked`]) until [`Gpu::set_kernels`]
    /// replaces the choice.
    setting_error: Mutex<Option<String>>,
    tuner: LocalTuner<ConvKey, ConvForm>,
    /// Natively, the file autotuned forms persist in (`None`: not kept).
    #[cfg(not(target_arch = "wasm32"))]
    cache_path: Mutex<Option<std::path::PathBuf>>,
}

impl Tuner for ConvTuner {
    fn deferred(&self) -> usize {
        self.tuner.deferred()
    }
}

/// The device's convolution tuner.
fn conv_tuner(gpu: &Gpu) -> Arc<ConvTuner> {
    gpu.tuners().get_or_init(|| ConvTuner::new(gpu))
}

impl ConvTuner {
    /// The choice `GAN_KERNELS` asks for natively, else the adapter's
    /// default; natively the on-disk cache at its default place.
    fn new(gpu: &Gpu) -> ConvTuner {
        let default = kernels_default(AdapterClass::of(gpu.adapter_info()));
        let (choice, setting_error) = match kernels_from_env() {
            Ok(choice) => (choice.unwrap_or(default), None),
            Err(msg) => (default, Some(msg)),
        };
        ConvTuner {
            choice: Mutex::new(choice),
            setting_error: Mutex::new(setting_error),
            tuner: LocalTuner::default(),
            #[cfg(not(target_arch = "wasm32"))]
            cache_path: Mutex::new(super::tune_cache::default_path()),
        }
    }

    /// The form autotuning chose for this shape: measured earlier on this
    /// [`Gpu`], or natively read from the on-disk cache ([`Gpu::set_tune_cache`])
    /// where an earlier run on this adapter and driver measured it, or measured
    /// now. `None` where only one form applies, and where the measurement is
    /// deferred ([`Gpu::autotune_deferred`]; the shape waits for
    /// [`autotune_pending`] and the rule serves until then).
    fn autotune(&self, gpu: &Gpu, xs: [usize; 4], ws: [usize; 4], p: &Conv2dParams) -> Option<ConvForm> {
        let candidates = candidates(gpu, xs, ws, p);
        let key = (xs, ws, p.stride, p.padding, p.padding_mode);
        let cache = self.cache(gpu);
        // A failed measurement leaves the choice to the rule; the error
        // itself surfaces from the convolution that follows.
        self.tuner.choose(&key, &candidates, cache.as_deref(), gpu.autotune_deferred(), async |now_ms| {
            self.tune(gpu, key, &candidates, cache.as_deref(), now_ms).await
        })
    }

    /// The on-disk cache hook: natively the file ([`Gpu::set_tune_cache`]),
    /// in a browser none (forms are measured once per page load).
    fn cache<'a>(&'a self, gpu: &'a Gpu) -> Option<Box<dyn TuneCache<ConvKey, ConvForm> + 'a>> {
        #[cfg(not(target_arch = "wasm32"))]
        return Some(Box::new(FormCache { gpu, path: &self.cache_path }));
        #[cfg(target_arch = "wasm32")]
        {
            let _ = gpu;
            None
        }
    }

    /// Times every candidate form of `key` on scratch tensors (pending work
    /// is submitted first, so it is not timed; see [`time_candidates`]),
    /// records the fastest and keeps it in `cache`, and returns it. `now_ms`
    /// is the clock: milliseconds from any fixed origin.
    async fn tune(
        &self,
        gpu: &Gpu,
        key: ConvKey,
        candidates: &[ConvForm],
        cache: Option<&dyn TuneCache<ConvKey, ConvForm>>,
        now_ms: &dyn Fn() -> f64,
    ) -> Result<ConvForm> {
        use crate::tensor::Tensor;
        let (xs, ws, ..) = key;
        let p = key_params(&key);
        gpu.finish().await?;
        let x = Tensor::zeros(gpu, &xs)?;
        let w = Tensor::zeros(gpu, &ws)?;
        let packed = conv2d_pack_weight(gpu, &w)?;
        let run = |form| conv2d_packed_form(gpu, form, &x, &packed, ws, None, &p).map(drop);
        let ms = time_candidates(candidates, run, async || gpu.finish().await, now_ms).await?;
        Ok(self.tuner.record(key, ms, cache).unwrap_or(ConvForm::Direct))
    }
}

/// Natively, the autotuned forms on disk (`ops/tune_cache.rs`), per adapter
/// and driver ([`Gpu::describe`]).
#[cfg(not(target_arch = "wasm32"))]
struct FormCache<'a> {
    gpu: &'a Gpu,
    path: &'a Mutex<Option<std::path::PathBuf>>,
}

#[cfg(not(target_arch = "wasm32"))]
impl TuneCache<ConvKey, ConvForm> for FormCache<'_> {
    fn lookup(&self, key: &ConvKey) -> Option<ConvForm> {
        let path = self.path.lock().unwrap().clone()?;
        super::tune_cache::lookup(&path, &self.gpu.describe(), key).and_then(|name| ConvForm::parse(&name))
    }

    fn store(&self, key: &ConvKey, form: ConvForm) {
        let Some(path) = self.path.lock().unwrap().clone() else { return };
        if let Err(e) = super::tune_cache::store(&path, &self.gpu.describe(), key, form.name()) {
            eprintln!("warning: cannot keep the autotuned convolution forms in {}: {e}", path.display());
        }
    }
}

/// The convolution parameters a [`ConvKey`] stands for (no activation: the
/// measurement runs none).
fn key_params(&(_, _, stride, padding, padding_mode): &ConvKey) -> Conv2dParams {
    Conv2dParams { stride, padding, padding_mode, ..Default::default() }
}

/// The forms that can run this shape, in [`ConvForm::ALL`] order.
fn candidates(gpu: &Gpu, xs: [usize; 4], ws: [usize; 4], p: &Conv2dParams) -> Vec<ConvForm> {
    ConvForm::ALL.into_iter().filter(|f| f.applies(gpu, xs, ws, p)).collect()
}

/// Measures the shapes whose autotuning was deferred ([`Gpu::autotune_deferred`],
/// as in a browser, where waiting for the GPU is asynchronous): every
/// convolution of those shapes runs the fastest form from then on. `now_ms`
/// is the clock (milliseconds from any fixed origin; `performance.now()` in a
/// browser). Returns how many shapes were measured.
pub async fn autotune_pending(gpu: &Gpu, now_ms: &dyn Fn() -> f64) -> Result<usize> {
    let tuner = conv_tuner(gpu);
    let cache = tuner.cache(gpu);
    tuner
        .tuner
        .tune_deferred(async |key: ConvKey| {
            let (xs, ws, ..) = key;
            let candidates = candidates(gpu, xs, ws, &key_params(&key));
            tuner.tune(gpu, key, &candidates, cache.as_deref(), now_ms).await.map(drop)
        })
        .await
}

/// The convolutions' kernel choice on a device (kept in its tuners, not
/// in the device itself).
impl Gpu {
    /// The convolution form pinned for every layer it applies to, if any
    /// ([`conv2d_form`]).
    pub fn conv_form(&self) -> Option<ConvForm> {
        conv_tuner(self).choice.lock().unwrap().0
    }

    /// Pins a convolution form (`None`: the default rule picks per layer).
    pub fn set_conv_form(&mut self, form: Option<ConvForm>) {
        conv_tuner(self).choice.lock().unwrap().0 = form;
    }

    /// Sets the kernel choice by name, as `GAN_KERNELS` takes it: `auto`
    /// (the adapter's default: autotuning on GPUs, the rule on CPU
    /// adapters), `rule` (the default rule), `autotune`, or a form's name to pin.
    pub fn set_kernels(&mut self, value: &str) -> Result<()> {
        let choice = parse_kernels(value)
            .map_err(|names| {
                Error::Setting(format!(
                    "kernels {value:?} names no convolution form; use one of {names}, autotune, rule or auto"
                ))
            })?
            .unwrap_or_else(|| kernels_default(self.tuning().class));
        let tuner = conv_tuner(self);
        *tuner.choice.lock().unwrap() = choice;
        *tuner.setting_error.lock().unwrap() = None;
        Ok(())
    }

    /// Whether convolution forms are chosen by measurement (by default on
    /// GPUs, not on CPU adapters; see [`Gpu::set_kernels`]).
    pub fn conv_autotune(&self) -> bool {
        conv_tuner(self).choice.lock().unwrap().1
    }

    /// Turns autotuning of convolution forms on or off: with it on (and no
    /// form pinned), the first convolution of each shape times every
    /// applicable form and the fastest runs from then on.
    pub fn set_conv_autotune(&mut self, on: bool) {
        conv_tuner(self).choice.lock().unwrap().1 = on;
    }

    /// Natively, the file autotuned forms are kept in across runs, per
    /// adapter and driver (`GAN_TUNE_CACHE`, else the user's cache folder;
    /// see `ops/tune_cache.rs`); `None` keeps them for this process only.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn set_tune_cache(&mut self, path: Option<std::path::PathBuf>) {
        *conv_tuner(self).cache_path.lock().unwrap() = path;
    }

    /// Natively, the file autotuned forms are kept in, if any.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn tune_cache(&self) -> Option<std::path::PathBuf> {
        conv_tuner(self).cache_path.lock().unwrap().clone()
    }

    /// The convolution shapes autotuned so far, with their timings and winners.
    pub fn tuned_convs(&self) -> Vec<TunedConv> {
        conv_tuner(self).tuner.results().into_iter().map(|(key, t)| TunedConv::new(&key, t)).collect()
    }

    /// Makes autotuning choose `form` for convolutions of this shape without
    /// measuring (e.g. the forms a checkpoint recorded, so a resumed run
    /// computes as the interrupted one did). A form that does not apply to
    /// the shape is ignored; returns whether `form` was pinned.
    pub fn pin_tuned_conv(&self, input: [usize; 4], weight: [usize; 4], p: &Conv2dParams, form: ConvForm) -> bool {
        if !form.applies(self, input, weight, p) {
            return false;
        }
        conv_tuner(self).tuner.pin((input, weight, p.stride, p.padding, p.padding_mode), form);
        true
    }
}

/// What `GAN_KERNELS` asks for, natively: a pinned form, `autotune`, `rule`,
/// or (`None`: unset, empty or `auto`) the adapter's default; the error
/// message where it names no form.
fn kernels_from_env() -> std::result::Result<Option<(Option<ConvForm>, bool)>, String> {
    #[cfg(not(target_arch = "wasm32"))]
    if let Ok(v) = std::env::var("GAN_KERNELS") {
        return parse_kernels(&v).map_err(|names| {
            format!("GAN_KERNELS={v:?} names no convolution form; use one of {names}, autotune, rule or auto")
        });
    }
    Ok(None)
}

/// A kernel choice (`GAN_KERNELS`'s values), case and surrounding blanks
/// ignored: `rule` for the default rule, `autotune`, or a form's name, as
/// (pinned form, autotune); `auto` or empty as `None`, the adapter's default
/// ([`kernels_default`]). The error lists the forms' names.
fn parse_kernels(v: &str) -> std::result::Result<Option<(Option<ConvForm>, bool)>, String> {
    let v = v.trim().to_lowercase();
    match v.as_str() {
        "" | "auto" => Ok(None),
        "rule" => Ok(Some((None, false))),
        "autotune" => Ok(Some((None, true))),
        _ => ConvForm::parse(&v).map(|f| Some((Some(f), false))).ok_or_else(|| {
            let names: Vec<&str> = ConvForm::ALL.iter().map(|f| f.name()).collect();
            names.join(", ")
        }),
    }
}

/// The kernel choice where none is given: autotuning on GPUs, whose fastest
/// forms (the tiled ones among them) only measurement can tell; the default
/// rule, measured once on such adapters and written down, on CPU adapters
/// (lavapipe, SwiftShader), so results there never depend on timing.
fn kernels_default(class: AdapterClass) -> (Option<ConvForm>, bool) {
    (None, class == AdapterClass::Gpu)
}

/// y = act(conv2d(x, weight) + bias): x [N, C_in, H, W], weight
const OP: &str = "conv2d";

/// [C_out, C_in, KH, KW] (PyTorch layout), bias [C_out].
pub fn conv2d(gpu: &Gpu, x: &Tensor, weight: &Tensor, bias: Option<&Tensor>, p: &Conv2dParams) -> Result<Tensor> {
    let ws = weight.nchw(OP, "weight")?;
    let packed = conv2d_pack_weight(gpu, weight)?;
    conv2d_packed(gpu, x, &packed, ws, bias, p)
}

/// [`conv2d`] with a weight already packed by [`conv2d_pack_weight`];
/// `weight_shape` is the PyTorch shape it was packed from. The form that runs
/// is [`conv2d_form`](crate::ops::conv2d_form)'s choice.
pub fn conv2d_packed(
    gpu: &Gpu,
    x: &Tensor,
    packed: &Tensor,
    weight_shape: [usize; 4],
    bias: Option<&Tensor>,
    p: &Conv2dParams,
) -> Result<Tensor> {
    let form = conv2d_form_checked(gpu, x.nchw(OP, "input")?, weight_shape, p)?;
    conv2d_packed_form(gpu, form, x, packed, weight_shape, bias, p)
}
