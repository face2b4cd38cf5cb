//! Gradients of conv2d and conv_transpose2d (`wgsl/conv_backward.wgsl`; the
//! input gradients reuse the forward kernels of `wgsl/conv_transpose2d.wgsl`
//! and `wgsl/conv2d.wgsl`).
//!
//! `dy` is the gradient of the convolution's output before its activation:
//! the `activation` field of the parameters is ignored here.
//!
//! For k x k stride-1 convolutions the input gradient is itself a k x k
//! conv2d of dy with the filter rotated by 180 degrees and its channels
//! swapped (zero padding k - 1 - p; of the padded input, k - 1, for reflect
//! padding), so it takes the form [`conv2d_form`] chooses for that
//! convolution where that is a Winograd form (k = 3 or 4) or a tiled one,
//! which read the adjoint-packed weight with its taps reversed; otherwise
//! the transposed kernel. Its weight gradient takes the forward pass's
//! Winograd or tiled form where that runs ([`conv2d_backward_weight_form`]).

use crate::context::{AdapterClass, Gpu};
use crate::error::{Error, Result};
use crate::ops::conv2d::conv2d_pack_weight;
use crate::ops::conv2d::conv2d_tiled;
use crate::ops::conv2d_winograd::{conv2d_winograd, conv2d_winograd_backward_weight, Tile};
use crate::ops::conv_form::conv2d_form;
use crate::ops::conv_form::conv2d_packed;
use crate::ops::conv_forms::ConvForm;
use crate::ops::conv_geometry::conv_out;
use crate::ops::conv_geometry::{Conv2dParams, Padding};
use crate::ops::conv_transpose2d::{self, conv_transpose_out};
use crate::ops::conv_transpose2d::{conv_transpose2d_pack_weight, ConvTranspose2dParams};
use crate::ops::launch::{div_ceil, groups_1d, u32_of, Activation};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

params! {
    pub(super) struct Params for wgsl::CONV_BACKWARD as "Params" {
        n: u32,
        c_g: u32,
        h_g: u32,
        w_g: u32,
        c_a: u32,
        h_a: u32,
        w_a: u32,
        k_h: u32,
        k_w: u32,
        stride: u32,
        pad: u32,
        reflect: u32,
        split_len: u32,
        splits: u32,
        len: u32,
        _pad0: u32,
    }
}

/// Invocations per workgroup of the 1-D kernels (sum of splits, fold).
const WG_1D: usize = 64;

fn check_stride(op: &'static str, stride: usize) -> Result<()> {
    if stride == 0 {
        return Err(Error::shape(op, "stride must be at least 1"));
    }
    Ok(())
}

/// Checks conv2d operands and returns the output shape [N, C_out, H_out, W_out].
fn conv2d_out_shape(op: &'static str, xs: [usize; 4], ws: [usize; 4], p: &Conv2dParams) -> Result<[usize; 4]> {
    let [n, c_in, h, w] = xs;
    let [c_out, wc_in, kh, kw] = ws;
    check_stride(op, p.stride)?;
    if wc_in != c_in || ws.contains(&0) || xs.contains(&0) {
        return Err(Error::shape(op, format!("input {xs:?} does not fit weight {ws:?}")));
    }
    if p.padding_mode == Padding::Reflect && (p.padding >= h || p.padding >= w) {
        return Err(Error::shape(op, format!("reflect padding {} needs an input larger than {h}x{w}", p.padding)));
    }
    match (conv_out(h, kh, p.stride, p.padding), conv_out(w, kw, p.stride, p.padding)) {
        (Some(ho), Some(wo)) => Ok([n, c_out, ho, wo]),
        _ => Err(Error::shape(op, format!("kernel {kh}x{kw} is larger than input {h}x{w} padded by {}", p.padding))),
    }
}

/// Checks conv_transpose2d operands and returns the output shape.
fn conv_transpose2d_out_shape(
    op: &'static str,
    xs: [usize; 4],
    ws: [usize; 4],
    p: &ConvTranspose2dParams,
) -> Result<[usize; 4]> {
    let [n, c_in, h, w] = xs;
    let [wc_in, c_out, kh, kw] = ws;
    check_stride(op, p.stride)?;
    if wc_in != c_in || ws.contains(&0) || xs.contains(&0) || p.output_padding >= p.stride {
        return Err(Error::shape(
            op,
            format!(
                "input {xs:?} and weight {ws:?} with stride {} output_padding {} (must be < stride) do not fit",
                p.stride, p.output_padding
            ),
        ));
    }
    match (
        conv_transpose_out(h, kh, p.stride, p.padding, p.output_padding),
        conv_transpose_out(w, kw, p.stride, p.padding, p.output_padding),
    ) {
        (Some(ho), Some(wo)) => Ok([n, c_out, ho, wo]),
        _ => Err(Error::shape(op, format!("padding {} leaves no output for input {xs:?}, weight {ws:?}", p.padding))),
    }
}

fn expect_shape(op: &'static str, what: &str, t: &Tensor, want: [usize; 4]) -> Result<()> {
    if t.shape() != want {
        return Err(Error::shape(op, format!("{what} has shape {:?}, expected {want:?}", t.shape())));
    }
    Ok(())
}

/// Gradient of conv2d with respect to its input: dx [N, C_in, H, W] from
/// dy [N, C_out, H_out, W_out], weight [C_out, C_in, KH, KW] and the input's shape.
pub fn conv2d_backward_input(
    gpu: &Gpu,
    dy: &Tensor,
    weight: &Tensor,
    input_shape: [usize; 4],
    p: &Conv2dParams,
) -> Result<Tensor> {
    let ws = weight.nchw("conv2d_backward_input", "weight")?;
    // The conv2d weight [C_out, C_in, KH, KW] is the conv_transpose2d weight
    // [C_in_t = C_out, C_out_t = C_in, KH, KW] of the adjoint operator.
    let packed = conv_transpose2d_pack_weight(gpu, weight)?;
    conv2d_backward_input_packed(gpu, dy, &packed, ws, input_shape, p)
}

/// [`conv2d_backward_input`] with the weight already packed by
/// [`conv_transpose2d_pack_weight`] (the adjoint's layout); `weight_shape` is
/// its PyTorch shape [C_out, C_in, KH, KW].
pub fn conv2d_backward_input_packed(
    gpu: &Gpu,
    dy: &Tensor,
    packed: &Tensor,
    weight_shape: [usize; 4],
    input_shape: [usize; 4],
    p: &Conv2dParams,
) -> Result<Tensor> {
    const OP: &str = "conv2d_backward_input";
    let ws = weight_shape;
    let ys = conv2d_out_shape(OP, input_shape, ws, p)?;
    expect_shape(OP, "dy", dy, ys)?;
    let [n, c_in, h, w] = input_shape;
    let [c_out, _, kh, kw] = ws;
    if packed.len() != kh * kw * c_out * div_ceil(c_in, 8) * 8 {
        return Err(Error::shape(OP, format!("packed weight {:?} does not match {ws:?}", packed.shape())));
    }
    let transpose = |pad: usize, h_out: usize, w_out: usize| {
        let params = conv_transpose2d::Params {
            n: u32_of(OP, "N", n)?,
            c_in: u32_of(OP, "C_out", c_out)?,
            h_in: ys[2] as u32,
            w_in: ys[3] as u32,
            c_out: u32_of(OP, "C_in", c_in)?,
            h_out: u32_of(OP, "H", h_out)?,
            w_out: u32_of(OP, "W", w_out)?,
            k_h: kh as u32,
            k_w: kw as u32,
            stride: p.stride as u32,
            pad: u32_of(OP, "padding", pad)?,
            c_out8: (div_ceil(c_in, 8) * 8) as u32,
            ..bytemuck::Zeroable::zeroed()
        };
        conv_transpose2d::launch(gpu, OP, dy, packed, &crate::ops::launch::dummy(gpu)?, &params)
    };
    // The rotated-filter convolution's Winograd or tiled form, where it is chosen.
    let rotated = match rotated(gpu, input_shape, ws, p) {
        Some((q, form)) => Some(match winograd_tile(form) {
            Some(tile) => conv2d_winograd(gpu, dy, packed, [c_in, c_out, kh, kw], None, &q, tile, true)?,
            None => conv2d_tiled(gpu, form, dy, packed, [c_in, c_out, kh, kw], None, &q, true)?,
        }),
        None => None,
    };
    // As a transposed convolution of dy (stride s, padding p) the output size
    // is (H_out - 1) * s - 2p + KH + output_padding, so the input size needs
    //   output_padding = H - ((H_out - 1) * s - 2p + KH) = (H + 2p - KH) mod s,
    // always < s; the last output_padding rows (and any row between taps when
    // KH < s) are seen by no output and get gradient 0, which the transposed
    // kernel writes wherever no tap lands. Its size is given per axis here.
    match p.padding_mode {
        Padding::Zero => rotated.map_or_else(|| transpose(p.padding, h, w), Ok),
        Padding::Reflect => {
            // Gradient of the padded input (conv with pad 0), then the fold.
            let pad = p.padding;
            let padded = match rotated {
                Some(g) => g,
                None => transpose(0, h + 2 * pad, w + 2 * pad)?,
            };
            let dx = Tensor::empty(gpu, &input_shape)?;
            let params = Params {
                n: n as u32,
                c_a: c_in as u32,
                h_a: h as u32,
                w_a: w as u32,
                pad: pad as u32,
                ..bytemuck::Zeroable::zeroed()
            };
            let pipeline = gpu.pipeline(&wgsl::CONV_BACKWARD, "conv2d_backward_input_fold", &[])?;
            let groups = groups_1d(gpu, OP, dx.len(), WG_1D)?;
            gpu.dispatch(OP, pipeline, &params, &[(1, &padded), (3, &dx)], groups)?;
            Ok(dx)
        }
    }
}

/// For a stride-1 conv2d with a square kernel whose rotated-filter
/// convolution (see the module docs) [`conv2d_form`] runs in a Winograd or a
/// tiled form: that convolution's parameters (zero padding k - 1 - p, or
/// k - 1 for the padded input of reflect padding) and its form. `None` where
/// the transposed kernel serves.
fn rotated(
    gpu: &Gpu,
    input_shape: [usize; 4],
    weight_shape: [usize; 4],
    p: &Conv2dParams,
) -> Option<(Conv2dParams, ConvForm)> {
    let [c_out, c_in, kh, kw] = weight_shape;
    if p.stride != 1 || kh != kw {
        return None;
    }
    let pad = match p.padding_mode {
        Padding::Zero => (kh - 1).checked_sub(p.padding)?,
        Padding::Reflect => kh - 1,
    };
    let ys = conv2d_out_shape("conv2d_backward_input", input_shape, weight_shape, p).ok()?;
    let q = Conv2dParams { stride: 1, padding: pad, padding_mode: Padding::Zero, activation: Activation::None };
    let form = conv2d_form(gpu, ys, [c_in, c_out, kh, kw], &q);
    (winograd_tile(form).is_some() || form.tile().is_some()).then_some((q, form))
}

/// The tile of a Winograd form; `None` for the direct forms.
fn winograd_tile(form: ConvForm) -> Option<Tile> {
    match form {
        ConvForm::Winograd2 => Some(Tile::Two),
        ConvForm::Winograd4 => Some(Tile::Four),
        ConvForm::WinogradK4 => Some(Tile::K4),
        ConvForm::Direct | ConvForm::Narrow | ConvForm::Tiled32 | ConvForm::Tiled64 | ConvForm::Tiled128 => None,
    }
}

/// The form [`conv2d_backward_input`] runs for input `input_shape` and
/// weight `weight_shape`: for a stride-1 convolution with a square kernel,
/// the form [`conv2d_form`] picks for the rotated-filter convolution of dy
/// where that is a Winograd or a tiled form; otherwise [`ConvForm::Direct`],
/// the transposed convolution kernel.
pub fn conv2d_backward_input_form(
    gpu: &Gpu,
    input_shape: [usize; 4],
    weight_shape: [usize; 4],
    p: &Conv2dParams,
) -> ConvForm {
    rotated(gpu, input_shape, weight_shape, p).map_or(ConvForm::Direct, |(_, form)| form)
}

/// Gradient of conv2d with respect to its weight: dW [C_out, C_in, KH, KW]
/// from the input x [N, C_in, H, W] and dy [N, C_out, H_out, W_out].
pub fn conv2d_backward_weight(
    gpu: &Gpu,
    x: &Tensor,
    dy: &Tensor,
    weight_shape: [usize; 4],
    p: &Conv2dParams,
) -> Result<Tensor> {
    const OP: &str = "conv2d_backward_weight";
    let xs = x.nchw(OP, "input")?;
    let ys = conv2d_out_shape(OP, xs, weight_shape, p)?;
    expect_shape(OP, "dy", dy, ys)?;
    let form = conv2d_backward_weight_form(gpu, xs, weight_shape, p);
    if let Some(tile) = winograd_tile(form) {
        return conv2d_winograd_backward_weight(gpu, x, dy, weight_shape, p, tile);
    }
    let geometry = WeightGrad {
        op: OP,
        g: dy,
        g_shape: ys,
        a: x,
        a_shape: xs,
        kernel: [weight_shape[2], weight_shape[3]],
        stride: p.stride,
        pad: p.padding,
        reflect: p.padding_mode == Padding::Reflect,
    };
    weight_grad(gpu, &geometry, form)
}

/// The form [`conv2d_backward_weight`] runs for input `input_shape` and
/// weight `weight_shape`: the forward pass's where that is a Winograd form
/// (the same transforms, the GEMM reducing over tiles instead of channels)
/// or a tiled one (`conv2d_backward_weight_tiled`, its tile over output x
/// input channels); otherwise [`ConvForm::Direct`], the split-K
/// weight-gradient kernel.
pub fn conv2d_backward_weight_form(
    gpu: &Gpu,
    input_shape: [usize; 4],
    weight_shape: [usize; 4],
    p: &Conv2dParams,
) -> ConvForm {
    let form = conv2d_form(gpu, input_shape, weight_shape, p);
    if winograd_tile(form).is_some() || form.tile().is_some() {
        form
    } else {
        ConvForm::Direct
    }
}

/// Gradient of conv_transpose2d with respect to its weight: dW
/// [C_in, C_out, KH, KW] from the input x [N, C_in, H, W] and dy [N, C_out, H_out, W_out].
pub fn conv_transpose2d_backward_weight(
    gpu: &Gpu,
    x: &Tensor,
    dy: &Tensor,
    weight_shape: [usize; 4],
    p: &ConvTranspose2dParams,
) -> Result<Tensor> {
    const OP: &str = "conv_transpose2d_backward_weight";
    let xs = x.nchw(OP, "input")?;
    let ys = conv_transpose2d_out_shape(OP, xs, weight_shape, p)?;
    expect_shape(OP, "dy", dy, ys)?;
    // dW[ci, co, ky, kx] = sum x[n, ci, iy, ix] * dy[n, co, iy*s - p + ky, ix*s - p + kx]:
    // x is read on the grid, dy through the taps with zero padding.
    let geometry = WeightGrad {
        op: OP,
        g: x,
        g_shape: xs,
        a: dy,
        a_shape: ys,
        kernel: [weight_shape[2], weight_shape[3]],
        stride: p.stride,
        pad: p.padding,
        reflect: false,
    };
    weight_grad(gpu, &geometry, ConvForm::Direct)
}

/// Operands of the weight-gradient kernel (see `wgsl/conv_backward.wgsl`).
struct WeightGrad<'a> {
    op: &'static str,
    g: &'a Tensor,
    g_shape: [usize; 4],
    a: &'a Tensor,
    a_shape: [usize; 4],
    kernel: [usize; 2],
    stride: usize,
    pad: usize,
    reflect: bool,
}

/// Number of splits of a reduction over `rows` rows of `row_len` elements,
/// for a launch of `groups` workgroups without splitting, each split's
/// partial result holding `len` values.
fn choose_splits(gpu: &Gpu, rows: usize, row_len: usize, groups: usize, len: usize) -> usize {
    // Enough workgroups to fill the adapter, each reducing at least a few
    // thousand products: CPU adapters run one workgroup per thread, GPUs
    // want tens of thousands of invocations in flight.
    let (target_groups, min_len) = match gpu.tuning().class {
        AdapterClass::Cpu => (128, 2048),
        AdapterClass::Gpu => (1024, 512),
    };
    let by_occupancy = div_ceil(target_groups, groups.max(1));
    let by_length = (rows * row_len / min_len).max(1);
    let by_memory = (gpu.max_binding_bytes() as usize / (4 * len)).max(1);
    let max_groups = gpu.limits().max_compute_workgroups_per_dimension as usize;
    by_occupancy.min(by_length).min(by_memory).min(max_groups).min(rows).max(1)
}

/// The weight gradient `d` describes by a split-K reduction: the
/// register-blocked kernel, or for a tiled `form` the GEMM tiled in
/// workgroup memory (`conv2d_backward_weight_tiled`, split by pixels); the
/// splits' partials summed in fixed order.
fn weight_grad(gpu: &Gpu, d: &WeightGrad, form: ConvForm) -> Result<Tensor> {
    let op = d.op;
    let [n, c_g, h_g, w_g] = d.g_shape;
    let [_, c_a, h_a, w_a] = d.a_shape;
    let [kh, kw] = d.kernel;
    let taps = kh * kw;
    let len = c_g * c_a * taps;
    // The kernel, its workgroups per tap and whether it splits by rows of g
    // (the direct kernel) or by pixels (the tiled one).
    let (pipeline, groups_x, by_rows) = match form.tiled_launch() {
        Some((tile, cq)) => {
            let pipeline = gpu.pipeline(
                &wgsl::CONV_BACKWARD,
                "conv2d_backward_weight_tiled",
                &[("TILE", tile as f64), ("CQ", cq as f64)],
            )?;
            (pipeline, div_ceil(c_g, 4 * cq * tile) * div_ceil(c_a, 4 * tile), false)
        }
        None => {
            let wg = gpu.tuning().conv_wg_pixels as usize;
            // 8 x 8 (g x a channel) blocks where both sides have 8 channels or
            // more; else 8 x 4, or 4 x 8 where that computes fewer padding channels
            // (C_g small: 3 at the generator's tail, 1 at PatchGAN's).
            let padded = |bg: usize, ba: usize| div_ceil(c_g, bg) * bg * div_ceil(c_a, ba) * ba;
            let square = c_g >= 8 && c_a >= 8;
            let wide_a = !square && padded(4, 8) < padded(8, 4);
            let (bg, ba) = match (square, wide_a) {
                (true, _) => (8, 8),
                (false, true) => (4, 8),
                (false, false) => (8, 4),
            };
            let pipeline = gpu.pipeline(
                &wgsl::CONV_BACKWARD,
                op,
                &[("WG", wg as f64), ("WIDE_A", wide_a as u8 as f64), ("SQUARE", square as u8 as f64)],
            )?;
            (pipeline, div_ceil(div_ceil(c_g, bg) * div_ceil(c_a, ba), wg), true)
        }
    };
    let rows = n * h_g;
    let splits = choose_splits(gpu, rows, w_g, groups_x * taps, len);
    let split_rows = div_ceil(rows, splits);
    let splits = div_ceil(rows, split_rows);
    let split_len = if by_rows { split_rows } else { split_rows * w_g };
    let dw = Tensor::empty(gpu, &[c_g, c_a, kh, kw])?;
    let partial = if splits > 1 { Tensor::empty(gpu, &[splits, len])? } else { dw.clone() };
    let params = Params {
        n: u32_of(op, "N", n)?,
        c_g: u32_of(op, "channels", c_g)?,
        h_g: u32_of(op, "height", h_g)?,
        w_g: u32_of(op, "width", w_g)?,
        c_a: u32_of(op, "channels", c_a)?,
        h_a: u32_of(op, "height", h_a)?,
        w_a: u32_of(op, "width", w_a)?,
        k_h: u32_of(op, "KH", kh)?,
        k_w: u32_of(op, "KW", kw)?,
        stride: u32_of(op, "stride", d.stride)?,
        pad: u32_of(op, "padding", d.pad)?,
        reflect: d.reflect as u32,
        split_len: u32_of(op, "split length", split_len)?,
        splits: splits as u32,
        len: u32_of(op, "weight size", len)?,
        _pad0: 0,
    };
    let groups = [u32_of(op, "workgroups", groups_x)?, u32_of(op, "workgroups", taps)?, splits as u32];
    gpu.dispatch(op, pipeline, &params, &[(1, d.g), (2, d.a), (3, &partial)], groups)?;
    if splits > 1 {
        sum_splits(gpu, op, &partial, &dw, splits, len)?;
    }
    Ok(dw)
}

/// out[i] = sum over s of partial[s, i], in order of s.
fn sum_splits(gpu: &Gpu, op: &'static str, partial: &Tensor, out: &Tensor, splits: usize, len: usize) -> Result<()> {
    let params = Params { splits: splits as u32, len: u32_of(op, "length", len)?, ..bytemuck::Zeroable::zeroed() };
    let pipeline = gpu.pipeline(&wgsl::CONV_BACKWARD, "conv_backward_sum_splits", &[])?;
    let groups = groups_1d(gpu, op, len, WG_1D)?;
    gpu.dispatch(op, pipeline, &params, &[(1, partial), (3, out)], groups)
}

fn bias_grad(gpu: &Gpu, op: &'static str, dy: &Tensor) -> Result<Tensor> {
    let [n, c, h, w] = dy.nchw(op, "dy")?;
    let hw = h * w;
    let wg = gpu.tuning().conv_wg_pixels as usize;
    let groups_x = div_ceil(c, wg);
    // Each invocation sums one chunk of one plane; a chunk index yields N * C partials.
    let chunks = choose_splits(gpu, hw, 1, groups_x * n, c * n);
    let chunk = div_ceil(hw, chunks);
    let chunks = div_ceil(hw, chunk);
    let splits = n * chunks;
    let db = Tensor::empty(gpu, &[c])?;
    let partial = if splits > 1 { Tensor::empty(gpu, &[splits, c])? } else { db.clone() };
    let params = Params {
        n: u32_of(op, "N", n)?,
        c_g: u32_of(op, "C", c)?,
        h_g: u32_of(op, "H", h)?,
        w_g: u32_of(op, "W", w)?,
        split_len: u32_of(op, "chunk", chunk)?,
        splits: u32_of(op, "splits", splits)?,
        len: c as u32,
        ..bytemuck::Zeroable::zeroed()
    };
    let pipeline = gpu.pipeline(&wgsl::CONV_BACKWARD, "conv2d_backward_bias", &[("WG", wg as f64)])?;
    let groups = [u32_of(op, "workgroups", groups_x)?, chunks as u32, u32_of(op, "workgroups", n)?];
    gpu.dispatch(op, pipeline, &params, &[(1, dy), (3, &partial)], groups)?;
    if splits > 1 {
        sum_splits(gpu, op, &partial, &db, splits, c)?;
    }
    Ok(db)
}

/// Gradient of conv2d with respect to its bias: db [C_out], the sum of dy
/// [N, C_out, H_out, W_out] over batch and pixels.
pub fn conv2d_backward_bias(gpu: &Gpu, dy: &Tensor) -> Result<Tensor> {
    bias_grad(gpu, "conv2d_backward_bias", dy)
}

/// Gradient of conv_transpose2d with respect to its bias: db [C_out] (the
/// same sum as [`conv2d_backward_bias`]).
pub fn conv_transpose2d_backward_bias(gpu: &Gpu, dy: &Tensor) -> Result<Tensor> {
    bias_grad(gpu, "conv_transpose2d_backward_bias", dy)
}

/// Gradient of conv_transpose2d with respect to its input: dx [N, C_in, H, W]
/// from dy [N, C_out, H_out, W_out] and weight [C_in, C_out, KH, KW].
pub fn conv_transpose2d_backward_input(
    gpu: &Gpu,
    dy: &Tensor,
    weight: &Tensor,
    p: &ConvTranspose2dParams,
) -> Result<Tensor> {
    let ws = weight.nchw("conv_transpose2d_backward_input", "weight")?;
    conv_transpose2d_backward_input_packed(gpu, dy, &conv2d_pack_weight(gpu, weight)?, ws, p)
}

/// [`conv_transpose2d_backward_input`] with the weight already packed by
/// [`conv2d_pack_weight`] (read as a conv2d weight); `weight_shape` is its
/// PyTorch shape [C_in, C_out, KH, KW].
pub fn conv_transpose2d_backward_input_packed(
    gpu: &Gpu,
    dy: &Tensor,
    packed: &Tensor,
    weight_shape: [usize; 4],
    p: &ConvTranspose2dParams,
) -> Result<Tensor> {
    const OP: &str = "conv_transpose2d_backward_input";
    let ys = dy.nchw(OP, "dy")?;
    let ws = weight_shape;
    check_stride(OP, p.stride)?;
    // dx = conv2d(dy, w) with stride s, padding p (zeros): the transposed
    // weight [C_in, C_out, KH, KW] is a conv2d weight [C_out_conv = C_in,
    // C_in_conv = C_out]. Its output size (H_out + 2p - KH) / s + 1 is H
    // because H_out = (H - 1) * s - 2p + KH + output_padding, output_padding < s.
    let conv = Conv2dParams {
        stride: p.stride,
        padding: p.padding,
        padding_mode: Padding::Zero,
        activation: Activation::None,
    };
    let xs = conv2d_out_shape(OP, ys, [ws[0], ws[1], ws[2], ws[3]], &conv)?;
    if conv_transpose2d_out_shape(OP, xs, ws, p)? != ys {
        return Err(Error::shape(
            OP,
            format!(
                "dy {ys:?} is not the output of conv_transpose2d with weight {ws:?}, stride {} padding {} output_padding {}",
                p.stride, p.padding, p.output_padding
            ),
        ));
    }
    conv2d_packed(gpu, dy, packed, ws, None, &conv)
}
