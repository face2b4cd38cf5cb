//! Transposed 2-D convolution (`wgsl/conv_transpose2d.wgsl`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::launch::{bias_binding, div_ceil, groups_1d, u32_of, Activation};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

/// Geometry and epilogue of a transposed convolution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvTranspose2dParams {
    /// Stride along both axes.
    pub stride: usize,
    /// Padding removed from every side of the full output.
    pub padding: usize,
    /// Extra rows and columns added at the bottom and right (< stride).
    pub output_padding: usize,
    /// Activation applied after the bias.
    pub activation: Activation,
}

impl Default for ConvTranspose2dParams {
    fn default() -> Self {
        ConvTranspose2dParams { stride: 1, padding: 0, output_padding: 0, activation: Activation::None }
    }
}

params! {
    /// The uniform of `wgsl/conv_transpose2d.wgsl` (also launched by conv2d's
    /// input gradient, with an output size chosen per axis).
    pub(crate) struct Params for wgsl::CONV_TRANSPOSE2D as "Params" {
        pub(crate) n: u32,
        pub(crate) c_in: u32,
        pub(crate) h_in: u32,
        pub(crate) w_in: u32,
        pub(crate) c_out: u32,
        pub(crate) h_out: u32,
        pub(crate) w_out: u32,
        pub(crate) k_h: u32,
        pub(crate) k_w: u32,
        pub(crate) stride: u32,
        pub(crate) pad: u32,
        pub(crate) has_bias: u32,
        pub(crate) act: u32,
        pub(crate) slope: f32,
        pub(crate) c_out8: u32,
        pub(crate) _pad0: u32,
    }
}

const OP: &str = "conv_transpose2d";

/// Output size along one axis: (size - 1) * stride - 2 * pad + k + output_padding.
pub(crate) fn conv_transpose_out(size: usize, k: usize, stride: usize, pad: usize, out_pad: usize) -> Option<usize> {
    ((size - 1) * stride + k + out_pad).checked_sub(2 * pad).filter(|&o| o > 0)
}

/// Packs a PyTorch-layout transposed-convolution weight [C_in, C_out, KH, KW]
/// into the kernel's [KH*KW, C_in, C_out rounded up to 8] layout.
pub fn conv_transpose2d_pack_weight(gpu: &Gpu, weight: &Tensor) -> Result<Tensor> {
    let [c_in, c_out, kh, kw] = weight.nchw(OP, "weight")?;
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
    let pipeline = gpu.pipeline(&wgsl::CONV_TRANSPOSE2D, "conv_transpose2d_pack_weight", &[])?;
    let groups = groups_1d(gpu, OP, packed.len(), 64)?;
    gpu.dispatch(OP, pipeline, &params, &[(1, weight), (4, &packed)], groups)?;
    Ok(packed)
}

/// y = act(conv_transpose2d(x, weight) + bias): x [N, C_in, H, W], weight
/// [C_in, C_out, KH, KW] (PyTorch layout), bias [C_out].
pub fn conv_transpose2d(
    gpu: &Gpu,
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    p: &ConvTranspose2dParams,
) -> Result<Tensor> {
    let ws = weight.nchw(OP, "weight")?;
    let packed = conv_transpose2d_pack_weight(gpu, weight)?;
    conv_transpose2d_packed(gpu, x, &packed, ws, bias, p)
}

/// [`conv_transpose2d`] with a weight already packed by
/// [`conv_transpose2d_pack_weight`]; `weight_shape` is its PyTorch shape.
pub fn conv_transpose2d_packed(
    gpu: &Gpu,
    x: &Tensor,
    packed: &Tensor,
    weight_shape: [usize; 4],
    bias: Option<&Tensor>,
    p: &ConvTranspose2dParams,
) -> Result<Tensor> {
    let [n, c_in, h, wd] = x.nchw(OP, "input")?;
    let [wc_in, c_out, kh, kw] = weight_shape;
    if wc_in != c_in {
        return Err(Error::shape(
            OP,
            format!("input {:?} has {c_in} channels but weight {weight_shape:?} expects {wc_in}", x.shape()),
        ));
    }
    if p.stride == 0 || p.output_padding >= p.stride {
        return Err(Error::shape(
            OP,
            format!(
                "need stride >= 1 and output_padding < stride, got stride {} output_padding {}",
                p.stride, p.output_padding
            ),
        ));
    }
    let (Some(h_out), Some(w_out)) = (
        conv_transpose_out(h, kh, p.stride, p.padding, p.output_padding),
        conv_transpose_out(wd, kw, p.stride, p.padding, p.output_padding),
    ) else {
        return Err(Error::shape(
            OP,
            format!("padding {} leaves no output for input {h}x{wd} and kernel {kh}x{kw}", p.padding),
        ));
    };
    let c_out8 = div_ceil(c_out, 8) * 8;
    if packed.len() != kh * kw * c_in * c_out8 {
        return Err(Error::shape(
            OP,
            format!("packed weight {:?} does not match weight shape {weight_shape:?}", packed.shape()),
        ));
    }
    let (act, slope) = p.activation.code();
    let mut params = Params {
        n: u32_of(OP, "N", n)?,
        c_in: u32_of(OP, "C_in", c_in)?,
        h_in: u32_of(OP, "H", h)?,
        w_in: u32_of(OP, "W", wd)?,
        c_out: u32_of(OP, "C_out", c_out)?,
        h_out: u32_of(OP, "H_out", h_out)?,
        w_out: u32_of(OP, "W_out", w_out)?,
        k_h: kh as u32,
        k_w: kw as u32,
        stride: p.stride as u32,
        pad: p.padding as u32,
        has_bias: 0,
        act,
        slope,
        c_out8: c_out8 as u32,
        _pad0: 0,
    };
    let (bias, has_bias) = bias_binding(gpu, OP, bias, c_out)?;
    params.has_bias = has_bias;
    let bias = &bias;
    launch(gpu, OP, x, packed, bias, &params)
}

/// Records the transposed convolution described by `params` (output size
/// included) of x with a packed weight; `bias` is bound as is.
pub(crate) fn launch(
    gpu: &Gpu,
    op: &'static str,
    x: &Tensor,
    packed: &Tensor,
    bias: &Tensor,
    params: &Params,
) -> Result<Tensor> {
    let (n, c_out, h_out, w_out) =
        (params.n as usize, params.c_out as usize, params.h_out as usize, params.w_out as usize);
    let s = params.stride as usize;
    let y = Tensor::empty(gpu, &[n, c_out, h_out, w_out])?;
    let t = gpu.tuning();
    let pipeline = gpu.pipeline(
        &wgsl::CONV_TRANSPOSE2D,
        "conv_transpose2d",
        &[("WG_PIX", t.conv_wg_pixels as f64), ("WG_CH", t.conv_wg_channels as f64)],
    )?;
    let phase_pixels = div_ceil(h_out, s) * div_ceil(w_out, s);
    let groups = [
        u32_of(op, "workgroups", div_ceil(div_ceil(phase_pixels, 4), t.conv_wg_pixels as usize))?,
        u32_of(op, "workgroups", div_ceil(div_ceil(c_out, 8), t.conv_wg_channels as usize))?,
        u32_of(op, "workgroups", n * s * s)?,
    ];
    gpu.dispatch(op, pipeline, params, &[(1, x), (2, packed), (3, bias), (4, &y)], groups)?;
    Ok(y)
}
