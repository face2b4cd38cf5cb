//! The Winograd F(2x2, 3x3) form of 3x3 stride-1 conv2d
//! (`wgsl/conv2d_winograd.wgsl`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::conv2d::{Conv2dParams, Padding};
use crate::ops::{div_ceil, dummy, groups_1d, u32_of};
use crate::tensor::Tensor;
use crate::wgsl;

const OP: &str = "conv2d_winograd";

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    c_in: u32,
    h_in: u32,
    w_in: u32,
    c_out: u32,
    h_out: u32,
    w_out: u32,
    c_out8: u32,
    tiles_h: u32,
    tiles_w: u32,
    tiles: u32,
    pad: u32,
    reflect: u32,
    has_bias: u32,
    act: u32,
    slope: f32,
    u_cols: u32,
    tiles_pad: u32,
    _pad: [u32; 2],
}

/// Output channels one GEMM invocation computes.
const GEMM_CHANNELS: usize = 8;
/// Tiles one GEMM invocation computes.
const GEMM_TILES: usize = 8;

fn u_cols(c_out: usize) -> usize {
    div_ceil(c_out, GEMM_CHANNELS) * GEMM_CHANNELS
}

/// Output size and tile count of the Winograd form, or `None` where it does
/// not apply: the kernel is not 3x3, the stride not 1, or the transformed
/// input, product or weight would not fit one storage binding.
fn plan(gpu: &Gpu, xs: [usize; 4], ws: [usize; 4], p: &Conv2dParams) -> Option<(usize, usize, usize)> {
    let [n, c_in, h, w] = xs;
    let [c_out, wc_in, kh, kw] = ws;
    if (kh, kw) != (3, 3) || p.stride != 1 || wc_in != c_in {
        return None;
    }
    if p.padding_mode == Padding::Reflect && (p.padding >= h || p.padding >= w) {
        return None;
    }
    let h_out = (h + 2 * p.padding).checked_sub(2)?;
    let w_out = (w + 2 * p.padding).checked_sub(2)?;
    if h_out == 0 || w_out == 0 {
        return None;
    }
    let tiles = n.checked_mul(div_ceil(h_out, 2) * div_ceil(w_out, 2))?;
    let widest = 16u64 * tiles.next_multiple_of(4) as u64 * c_in.max(c_out) as u64 * 4;
    let weight = 16u64 * c_in as u64 * u_cols(c_out) as u64 * 4;
    let max = gpu.max_binding_bytes();
    let groups = gpu.limits().max_compute_workgroups_per_dimension as usize;
    if widest > max || weight > max || div_ceil(tiles, 64) > groups || c_in.max(c_out) > groups {
        return None;
    }
    Some((h_out, w_out, tiles))
}

/// Whether the Winograd form can run this convolution on this device.
pub(crate) fn winograd_applies(gpu: &Gpu, xs: [usize; 4], ws: [usize; 4], p: &Conv2dParams) -> bool {
    plan(gpu, xs, ws, p).is_some()
}

/// Transforms a weight packed by [`conv2d_pack_weight`](crate::ops::conv2d_pack_weight)
/// ([9, C_in, C_out8]) into the Winograd domain, [16, C_in, C_out8].
pub fn conv2d_winograd_weight(gpu: &Gpu, packed: &Tensor, weight_shape: [usize; 4]) -> Result<Tensor> {
    let [c_out, c_in, kh, kw] = weight_shape;
    let c_out8 = div_ceil(c_out, 8) * 8;
    if (kh, kw) != (3, 3) || packed.len() != 9 * c_in * c_out8 {
        return Err(Error::shape(
            OP,
            format!("packed weight {:?} is not a packed 3x3 weight of shape {weight_shape:?}", packed.shape()),
        ));
    }
    let cols = u_cols(c_out);
    let u = Tensor::empty(gpu, &[16, c_in, cols])?;
    let params = Params {
        c_in: u32_of(OP, "C_in", c_in)?,
        c_out: u32_of(OP, "C_out", c_out)?,
        c_out8: c_out8 as u32,
        u_cols: u32_of(OP, "C_out", cols)?,
        ..bytemuck::Zeroable::zeroed()
    };
    let pipeline = gpu.pipeline(&wgsl::CONV2D_WINOGRAD, "conv2d_winograd_weight", &[])?;
    let groups = groups_1d(gpu, OP, c_in * cols, 64)?;
    gpu.dispatch(OP, pipeline, &params, &[(2, packed), (7, &u)], groups)?;
    Ok(u)
}

/// conv2d by Winograd F(2x2, 3x3): the same contract as
/// [`conv2d_packed`](crate::ops::conv2d_packed), for 3x3 stride-1 kernels.
pub(crate) fn conv2d_winograd(
    gpu: &Gpu,
    x: &Tensor,
    packed: &Tensor,
    weight_shape: [usize; 4],
    bias: Option<&Tensor>,
    p: &Conv2dParams,
) -> Result<Tensor> {
    let xs = x.nchw(OP, "input")?;
    let Some((h_out, w_out, tiles)) = plan(gpu, xs, weight_shape, p) else {
        return Err(Error::shape(
            OP,
            format!(
                "the Winograd form needs a 3x3 stride-1 kernel and transforms that fit one binding; \
                 input {xs:?}, weight {weight_shape:?}, stride {}",
                p.stride
            ),
        ));
    };
    let [n, c_in, h, w] = xs;
    let c_out = weight_shape[0];
    let u = conv2d_winograd_weight(gpu, packed, weight_shape)?;
    let (act, slope) = p.activation.code();
    let mut params = Params {
        n: u32_of(OP, "N", n)?,
        c_in: c_in as u32,
        h_in: u32_of(OP, "H", h)?,
        w_in: u32_of(OP, "W", w)?,
        c_out: c_out as u32,
        h_out: h_out as u32,
        w_out: w_out as u32,
        c_out8: (div_ceil(c_out, 8) * 8) as u32,
        tiles_h: div_ceil(h_out, 2) as u32,
        tiles_w: div_ceil(w_out, 2) as u32,
        tiles: tiles as u32,
        pad: u32_of(OP, "padding", p.padding)?,
        reflect: (p.padding_mode == Padding::Reflect) as u32,
        has_bias: 0,
        act,
        slope,
        u_cols: u_cols(c_out) as u32,
        tiles_pad: tiles.next_multiple_of(4) as u32,
        _pad: [0; 2],
    };
    let dummy_bias;
    let bias = match bias {
        Some(b) => {
            if b.len() != c_out {
                return Err(Error::shape(OP, format!("bias {:?} must have {c_out} values", b.shape())));
            }
            params.has_bias = 1;
            b
        }
        None => {
            dummy_bias = dummy(gpu)?;
            &dummy_bias
        }
    };
    let tiles4 = tiles.next_multiple_of(4);
    let v = Tensor::empty(gpu, &[16, c_in, tiles4])?;
    let pipeline = gpu.pipeline(&wgsl::CONV2D_WINOGRAD, "conv2d_winograd_input", &[])?;
    gpu.dispatch(OP, pipeline, &params, &[(1, x), (7, &v)], [div_ceil(tiles4, 64) as u32, c_in as u32, 1])?;

    let m = Tensor::empty(gpu, &[16, c_out, tiles4])?;
    let wg = gpu.tuning().conv_wg_pixels as usize;
    let pipeline = gpu.pipeline(&wgsl::CONV2D_WINOGRAD, "conv2d_winograd_gemm", &[("WG_PIX", wg as f64)])?;
    let groups =
        [div_ceil(c_out, GEMM_CHANNELS) as u32, u32_of(OP, "workgroups", div_ceil(tiles4, GEMM_TILES * wg))?, 16];
    gpu.dispatch(OP, pipeline, &params, &[(3, &u), (4, &v), (8, &m)], groups)?;

    let y = Tensor::empty(gpu, &[n, c_out, h_out, w_out])?;
    let pipeline = gpu.pipeline(&wgsl::CONV2D_WINOGRAD, "conv2d_winograd_output", &[])?;
    gpu.dispatch(OP, pipeline, &params, &[(5, &m), (6, bias), (7, &y)], [div_ceil(tiles, 64) as u32, c_out as u32, 1])?;
    Ok(y)
}
