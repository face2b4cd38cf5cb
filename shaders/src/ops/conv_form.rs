//! The forms of the forward convolution and the choice between them: a
//! pinned form, a measured one (autotuning), or the default rule.

use crate::context::{ConvKey, Gpu};
use crate::error::Result;
use crate::ops::conv2d::Conv2dParams;
use crate::ops::conv2d_winograd::{winograd_applies, Tile};

/// The algorithm that runs a forward convolution. For 3x3 stride-1
/// convolutions the gradients follow the forward pass's Winograd form
/// ([`conv2d_backward_input_form`](crate::ops::conv2d_backward_input_form),
/// [`conv2d_backward_weight_form`](crate::ops::conv2d_backward_weight_form));
/// other gradients run the direct kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConvForm {
    /// Register-blocked implicit GEMM (`wgsl/conv2d.wgsl`): any geometry.
    Direct,
    /// The direct kernel blocked as 4 channels x 8 pixels (`conv2d_narrow`):
    /// any geometry with at most 8 output channels (for at most 4, Direct's
    /// 8-channel block is mostly padding).
    Narrow,
    /// Winograd F(2x2, 3x3) (`wgsl/conv2d_winograd.wgsl`): 3x3 stride-1
    /// kernels; 16 instead of 36 multiplies per 2x2 output tile.
    Winograd2,
    /// Winograd F(4x4, 3x3) (`wgsl/conv2d_winograd.wgsl`): 3x3 stride-1
    /// kernels; 36 instead of 144 multiplies per 4x4 output tile, with larger
    /// transform coefficients (up to 8), so a larger rounding error.
    Winograd4,
    /// Winograd F(3x3, 4x4) (`wgsl/conv2d_winograd.wgsl`): 4x4 stride-1
    /// kernels (PatchGAN's stride-1 layer); 36 instead of 144 multiplies per
    /// 3x3 output tile, with F(4x4, 3x3)'s input transform.
    WinogradK4,
    /// Implicit GEMM tiled in workgroup memory (`conv2d_tiled`), 32 output
    /// channels x 32 pixels per workgroup of 64 invocations: any geometry
    /// with at least one whole tile ([`ConvForm::tile`]).
    Tiled32,
    /// [`ConvForm::Tiled32`] with 64 x 64 tiles and 256 invocations.
    Tiled64,
    /// [`ConvForm::Tiled32`] with 128 channels x 64 pixels per workgroup of
    /// 256 invocations (8 channels x 4 pixels each).
    Tiled128,
}

impl ConvForm {
    /// Every form.
    pub const ALL: [ConvForm; 8] = [
        ConvForm::Direct,
        ConvForm::Narrow,
        ConvForm::Winograd2,
        ConvForm::Winograd4,
        ConvForm::WinogradK4,
        ConvForm::Tiled32,
        ConvForm::Tiled64,
        ConvForm::Tiled128,
    ];

    /// The form's name, as the `GAN_KERNELS` environment variable takes it.
    pub fn name(self) -> &'static str {
        match self {
            ConvForm::Direct => "direct",
            ConvForm::Narrow => "narrow",
            ConvForm::Winograd2 => "winograd",
            ConvForm::Winograd4 => "winograd4",
            ConvForm::WinogradK4 => "winograd-k4",
            ConvForm::Tiled32 => "tiled-32x32",
            ConvForm::Tiled64 => "tiled-64x64",
            ConvForm::Tiled128 => "tiled-128x64",
        }
    }

    /// The form called `name` ([`ConvForm::name`]).
    pub fn parse(name: &str) -> Option<ConvForm> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether the form can run a convolution of input `xs` and weight `ws`
    /// ([C_out, C_in, KH, KW]) on this device.
    pub fn applies(self, gpu: &Gpu, xs: [usize; 4], ws: [usize; 4], p: &Conv2dParams) -> bool {
        match self {
            ConvForm::Direct => true,
            ConvForm::Tiled32 | ConvForm::Tiled64 | ConvForm::Tiled128 => {
                let (channels, pixels) = self.tile().expect("a tiled form has a tile");
                let out = |i: usize| crate::ops::conv2d::conv_out(xs[i], ws[i], p.stride, p.padding).unwrap_or(0);
                ws[0] >= channels && out(2) * out(3) >= pixels
            }
            ConvForm::Narrow => ws[0] <= 8,
            ConvForm::Winograd2 => winograd_applies(gpu, xs, ws, p, Tile::Two),
            ConvForm::Winograd4 => winograd_applies(gpu, xs, ws, p, Tile::Four),
            ConvForm::WinogradK4 => winograd_applies(gpu, xs, ws, p, Tile::K4),
        }
    }
}

impl ConvForm {
    /// A tiled form's workgroup tile: (output channels, output pixels).
    /// The form applies where the convolution fills at least one tile along
    /// both: in a narrower layer most of each workgroup's work is padding.
    pub fn tile(self) -> Option<(usize, usize)> {
        // Each of the T x T invocations owns 4 * CQ channels x 4 pixels.
        self.tiled_launch().map(|(t, cq)| (4 * cq * t, 4 * t))
    }

    /// A tiled form's launch: (invocations per side of its square
    /// workgroup, vec4s of output channels per invocation).
    pub(crate) fn tiled_launch(self) -> Option<(usize, usize)> {
        match self {
            ConvForm::Tiled32 => Some((8, 1)),
            ConvForm::Tiled64 => Some((16, 1)),
            ConvForm::Tiled128 => Some((16, 2)),
            _ => None,
        }
    }
}

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
    if let Some(form) = gpu.conv_form() {
        return if form.applies(gpu, xs, ws, p) { form } else { ConvForm::Direct };
    }
    if gpu.conv_autotune() {
        if let Some(form) = autotune(gpu, xs, ws, p) {
            return form;
        }
    }
    rule(gpu, xs, ws, p)
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
    pub padding_mode: crate::ops::Padding,
    /// Milliseconds per run of each applicable form (best of the timed
    /// runs); empty where the form came from the on-disk cache.
    pub ms: Vec<(ConvForm, f64)>,
    /// The fastest form, which every later convolution of this shape runs.
    pub form: ConvForm,
}

impl TunedConv {
    pub(crate) fn new(
        input: [usize; 4],
        weight: [usize; 4],
        p: &Conv2dParams,
        ms: Vec<(ConvForm, f64)>,
        form: ConvForm,
    ) -> TunedConv {
        TunedConv { input, weight, stride: p.stride, padding: p.padding, padding_mode: p.padding_mode, ms, form }
    }
}

/// Timed runs per form after one warm-up run.
const TUNE_RUNS: usize = 2;

/// The convolution parameters a [`ConvKey`] stands for (no activation: the
/// measurement runs none).
fn key_params(&(_, _, stride, padding, padding_mode): &ConvKey) -> Conv2dParams {
    Conv2dParams { stride, padding, padding_mode, ..Default::default() }
}

/// The forms that can run this shape, in [`ConvForm::ALL`] order.
fn candidates(gpu: &Gpu, xs: [usize; 4], ws: [usize; 4], p: &Conv2dParams) -> Vec<ConvForm> {
    ConvForm::ALL.into_iter().filter(|f| f.applies(gpu, xs, ws, p)).collect()
}

/// The form autotuning chose for this shape: measured earlier on this
/// [`Gpu`], or natively read from the on-disk cache ([`Gpu::set_tune_cache`])
/// where an earlier run on this adapter and driver measured it, or measured
/// now. `None` where only one form applies, and where the measurement is
/// deferred ([`Gpu::autotune_deferred`]; the shape waits for
/// [`autotune_pending`] and the rule serves until then).
fn autotune(gpu: &Gpu, xs: [usize; 4], ws: [usize; 4], p: &Conv2dParams) -> Option<ConvForm> {
    let candidates = candidates(gpu, xs, ws, p);
    if candidates.len() < 2 {
        return None;
    }
    let key = (xs, ws, p.stride, p.padding, p.padding_mode);
    if let Some(t) = gpu.tuned_conv(&key) {
        return Some(t.form);
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let cached = gpu.tune_cache().and_then(|path| super::tune_cache::lookup(path, &gpu.describe(), &key));
        if let Some(form) = cached.filter(|f| candidates.contains(f)) {
            gpu.pin_tuned_conv(xs, ws, p, form);
            return Some(form);
        }
    }
    if gpu.autotune_deferred() {
        gpu.defer_tune(key);
        return None;
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let start = std::time::Instant::now();
        let now_ms = || start.elapsed().as_secs_f64() * 1e3;
        // A failed measurement leaves the choice to the rule; the error
        // itself surfaces from the convolution that follows.
        pollster::block_on(tune(gpu, key, candidates, &now_ms)).ok()
    }
    #[cfg(target_arch = "wasm32")]
    None
}

/// Times every candidate form of `key` on scratch tensors (one warm-up run,
/// then the best of [`TUNE_RUNS`], each submitted and awaited alone; pending
/// work is submitted first, so it is not timed), records the fastest on
/// `gpu` and natively in the on-disk cache, and returns it. `now_ms` is the
/// clock: milliseconds from any fixed origin.
async fn tune(gpu: &Gpu, key: ConvKey, candidates: Vec<ConvForm>, now_ms: &dyn Fn() -> f64) -> Result<ConvForm> {
    use crate::ops::{conv2d_pack_weight, conv2d_packed_form};
    use crate::tensor::Tensor;
    let (xs, ws, ..) = key;
    let p = key_params(&key);
    gpu.finish().await?;
    let x = Tensor::zeros(gpu, &xs)?;
    let w = Tensor::zeros(gpu, &ws)?;
    let packed = conv2d_pack_weight(gpu, &w)?;
    let mut ms = Vec::new();
    for &form in &candidates {
        drop(conv2d_packed_form(gpu, form, &x, &packed, ws, None, &p)?);
        gpu.finish().await?;
        let mut best = f64::INFINITY;
        for _ in 0..TUNE_RUNS {
            let start = now_ms();
            drop(conv2d_packed_form(gpu, form, &x, &packed, ws, None, &p)?);
            gpu.finish().await?;
            best = best.min(now_ms() - start);
        }
        ms.push((form, best));
    }
    let form = ms.iter().min_by(|a, b| a.1.total_cmp(&b.1)).map(|&(f, _)| f).unwrap_or(ConvForm::Direct);
    gpu.record_tuned_conv(key, TunedConv::new(xs, ws, &p, ms, form));
    // A cache that cannot be written costs a measurement next time, nothing more.
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(path) = gpu.tune_cache() {
        if let Err(e) = super::tune_cache::store(path, &gpu.describe(), &key, form) {
            eprintln!("warning: cannot keep the autotuned convolution forms in {}: {e}", path.display());
        }
    }
    Ok(form)
}

/// Measures the shapes whose autotuning was deferred ([`Gpu::autotune_deferred`],
/// as in a browser, where waiting for the GPU is asynchronous): every
/// convolution of those shapes runs the fastest form from then on. `now_ms`
/// is the clock (milliseconds from any fixed origin; `performance.now()` in a
/// browser). Returns how many shapes were measured.
pub async fn autotune_pending(gpu: &Gpu, now_ms: &dyn Fn() -> f64) -> Result<usize> {
    let mut measured = 0;
    for key in gpu.take_deferred_tunes() {
        if gpu.tuned_conv(&key).is_some() {
            continue;
        }
        let (xs, ws, ..) = key;
        tune(gpu, key, candidates(gpu, xs, ws, &key_params(&key)), now_ms).await?;
        measured += 1;
    }
    Ok(measured)
}
