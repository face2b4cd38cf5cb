//! 2-D convolution (`wgsl/conv2d.wgsl`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::conv2d_winograd::{conv2d_winograd, Tile};
use crate::ops::conv_forms::ConvForm;
use crate::ops::conv_geometry::{conv_out, Conv2dParams, Padding};
use crate::ops::launch::{bias_binding, div_ceil, groups_1d, u32_of};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

params! {
    pub(super) struct Params for wgsl::CONV2D as "Params" {
        n: u32,
        c_in: u32,
        h_in: u32,
        w_in: u32,
        c_out: u32,
        h_out: u32,
        w_out: u32,
        k_h: u32,
        k_w: u32,
        stride: u32,
        pad: u32,
        reflect: u32,
        has_bias: u32,
        act: u32,
        slope: f32,
        c_out8: u32,
        flip: u32,
        // Pads the struct to a multiple of 16 bytes.
        _pad0: u32,
        _pad1: u32,
        _pad2: u32,
    }
}

const OP: &str = "conv2d";

fn params_for(x: [usize; 4], w: [usize; 4], p: &Conv2dParams) -> Result<Params> {
    let [n, c_in, h, wd] = x;
    let [c_out, wc_in, kh, kw] = w;
    if wc_in != c_in {
        return Err(Error::shape(OP, format!("input {x:?} has {c_in} channels but weight {w:?} expects {wc_in}")));
    }
    if p.stride == 0 {
        return Err(Error::shape(OP, "stride must be at least 1"));
    }
    if p.padding_mode == Padding::Reflect && (p.padding >= h || p.padding >= wd) {
        return Err(Error::shape(OP, format!("reflect padding {} needs an input larger than {}x{}", p.padding, h, wd)));
    }
    let (Some(h_out), Some(w_out)) = (conv_out(h, kh, p.stride, p.padding), conv_out(wd, kw, p.stride, p.padding))
    else {
        return Err(Error::shape(
            OP,
            format!("kernel {kh}x{kw} is larger than input {h}x{wd} padded by {}", p.padding),
        ));
    };
    let (act, slope) = p.activation.code();
    Ok(Params {
        n: u32_of(OP, "N", n)?,
        c_in: u32_of(OP, "C_in", c_in)?,
        h_in: u32_of(OP, "H", h)?,
        w_in: u32_of(OP, "W", wd)?,
        c_out: u32_of(OP, "C_out", c_out)?,
        h_out: h_out as u32,
        w_out: w_out as u32,
        k_h: kh as u32,
        k_w: kw as u32,
        stride: p.stride as u32,
        pad: p.padding as u32,
        reflect: (p.padding_mode == Padding::Reflect) as u32,
        has_bias: 0,
        act,
        slope,
        c_out8: div_ceil(c_out, 8) as u32 * 8,
        flip: 0,
        _pad0: 0,
        _pad1: 0,
        _pad2: 0,
    })
}

/// Packs a PyTorch-layout conv2d weight [C_out, C_in, KH, KW] into the
/// kernel's [KH*KW, C_in, C_out rounded up to 8] layout.
pub fn conv2d_pack_weight(gpu: &Gpu, weight: &Tensor) -> Result<Tensor> {
    let [c_out, c_in, kh, kw] = weight.nchw(OP, "weight")?;
    let c_out8 = div_ceil(c_out, 8) * 8;
    let packed = Tensor::empty(gpu, &[kh * kw, c_in, c_out8])?;
    let params = Params {
        c_in: c_in as u32,
        c_out: c_out as u32,
        k_h: kh as u32,
        k_w: kw as u32,
        c_out8: c_out8 as u32,
        ..bytemuck::Zeroable::zeroed()
    };
    let pipeline = gpu.pipeline(&wgsl::CONV2D, "conv2d_pack_weight", &[])?;
    let groups = groups_1d(gpu, OP, packed.len(), 64)?;
    gpu.dispatch(OP, pipeline, &params, &[(1, weight), (4, &packed)], groups)?;
    Ok(packed)
}

/// [`conv2d_packed`] by the given form; an error where the form does not
/// apply ([`ConvForm::applies`]).
pub fn conv2d_packed_form(
    gpu: &Gpu,
    form: ConvForm,
    x: &Tensor,
    packed: &Tensor,
    weight_shape: [usize; 4],
    bias: Option<&Tensor>,
    p: &Conv2dParams,
) -> Result<Tensor> {
    check_packed(packed, weight_shape)?;
    match form {
        ConvForm::Direct => conv2d_direct(gpu, x, packed, weight_shape, bias, p, false),
        ConvForm::Narrow => conv2d_direct(gpu, x, packed, weight_shape, bias, p, true),
        ConvForm::Winograd2 => conv2d_winograd(gpu, x, packed, weight_shape, bias, p, Tile::Two, false),
        ConvForm::Winograd4 => conv2d_winograd(gpu, x, packed, weight_shape, bias, p, Tile::Four, false),
        ConvForm::WinogradK4 => conv2d_winograd(gpu, x, packed, weight_shape, bias, p, Tile::K4, false),
        ConvForm::Tiled32 | ConvForm::Tiled64 | ConvForm::Tiled128 => {
            conv2d_tiled(gpu, form, x, packed, weight_shape, bias, p, false)
        }
    }
}

fn check_packed(packed: &Tensor, ws: [usize; 4]) -> Result<()> {
    if packed.len() != ws[2] * ws[3] * ws[1] * div_ceil(ws[0], 8) * 8 {
        return Err(Error::shape(OP, format!("packed weight {:?} does not match weight shape {ws:?}", packed.shape())));
    }
    Ok(())
}

/// The output tensor and the parameters of the direct and tiled kernels,
/// with the bias binding (a dummy where there is none).
fn direct_setup(
    gpu: &Gpu,
    x: &Tensor,
    weight_shape: [usize; 4],
    bias: Option<&Tensor>,
    p: &Conv2dParams,
) -> Result<(Params, Tensor, Tensor)> {
    let xs = x.nchw(OP, "input")?;
    let mut params = params_for(xs, weight_shape, p)?;
    let c_out = weight_shape[0];
    let (bias, has_bias) = bias_binding(gpu, OP, bias, c_out)?;
    params.has_bias = has_bias;
    let y = Tensor::empty(gpu, &[xs[0], c_out, params.h_out as usize, params.w_out as usize])?;
    Ok((params, y, bias))
}

/// The workgroup-memory tiled kernel (`conv2d_tiled`) of a tiled `form`.
/// With `flip`, `packed` is instead a filter to rotate by 180 degrees: a
/// conv2d weight [C_in', C_out', KH, KW] packed by
/// [`conv_transpose2d_pack_weight`](crate::ops::conv_transpose2d_pack_weight),
/// which makes this conv2d's input gradient for stride 1 (`weight_shape`
/// is then [C_out', C_in', KH, KW], the rotated filter's). The callers have
/// checked the packed weight's size.
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv2d_tiled(
    gpu: &Gpu,
    form: ConvForm,
    x: &Tensor,
    packed: &Tensor,
    weight_shape: [usize; 4],
    bias: Option<&Tensor>,
    p: &Conv2dParams,
    flip: bool,
) -> Result<Tensor> {
    let Some((tile, cq)) = form.tiled_launch() else {
        return Err(Error::shape(OP, format!("{} is not a tiled form", form.name())));
    };
    let (mut params, y, bias) = direct_setup(gpu, x, weight_shape, bias, p)?;
    params.flip = flip as u32;
    let pipeline = gpu.pipeline(&wgsl::CONV2D, "conv2d_tiled", &[("TILE", tile as f64), ("CQ", cq as f64)])?;
    let pixels = params.h_out as usize * params.w_out as usize;
    let groups = [
        u32_of(OP, "workgroups", div_ceil(pixels, 4 * tile))?,
        u32_of(OP, "workgroups", div_ceil(weight_shape[0], 4 * cq * tile))?,
        params.n,
    ];
    gpu.dispatch(OP, pipeline, &params, &[(1, x), (2, packed), (3, &bias), (4, &y)], groups)?;
    Ok(y)
}

/// The register-blocked kernel: 8 channels x 4 pixels per invocation, or with
/// `narrow` 4 channels x 8 pixels.
fn conv2d_direct(
    gpu: &Gpu,
    x: &Tensor,
    packed: &Tensor,
    weight_shape: [usize; 4],
    bias: Option<&Tensor>,
    p: &Conv2dParams,
    narrow: bool,
) -> Result<Tensor> {
    let (params, y, bias) = direct_setup(gpu, x, weight_shape, bias, p)?;
    let bias = &bias;
    let c_out = weight_shape[0];
    let (h_out, w_out) = (params.h_out as usize, params.w_out as usize);
    let t = gpu.tuning();
    let (pipeline, groups) = if narrow {
        let pipeline = gpu.pipeline(&wgsl::CONV2D, "conv2d_narrow", &[("WG_PIX", t.conv_wg_pixels as f64)])?;
        let groups = [
            u32_of(OP, "workgroups", div_ceil(div_ceil(h_out * w_out, 8), t.conv_wg_pixels as usize))?,
            u32_of(OP, "workgroups", div_ceil(c_out, 4))?,
            params.n,
        ];
        (pipeline, groups)
    } else {
        let pipeline = gpu.pipeline(
            &wgsl::CONV2D,
            "conv2d",
            &[("WG_PIX", t.conv_wg_pixels as f64), ("WG_CH", t.conv_wg_channels as f64)],
        )?;
        let groups = [
            u32_of(OP, "workgroups", div_ceil(div_ceil(h_out * w_out, 4), t.conv_wg_pixels as usize))?,
            u32_of(OP, "workgroups", div_ceil(div_ceil(c_out, 8), t.conv_wg_channels as usize))?,
            params.n,
        ];
        (pipeline, groups)
    };
    gpu.dispatch(OP, pipeline, &params, &[(1, x), (2, packed), (3, bias), (4, &y)], groups)?;
    Ok(y)
}
