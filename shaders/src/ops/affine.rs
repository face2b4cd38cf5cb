//! Per-image value and channel-order conversion (`wgsl/affine.wgsl`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::launch::{groups_1d, u32_of};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

params! {
    pub(super) struct Params for wgsl::AFFINE as "Params" {
        len: u32,
        channels: u32,
        plane: u32,
        reverse: u32,
        scale: f32,
        shift: f32,
        _pad0: u32,
        _pad1: u32,
    }
}

/// Invocations per workgroup.
const WG: usize = 256;

/// y = scale * x + shift on an [N, C, H, W] tensor, with the channel order
/// reversed (RGB <-> BGR) when `reverse`: e.g. (0.5, 0.5, true) turns the
/// pipeline's [-1, 1] RGB into [0, 1] BGR, and (2, -1, true) back.
pub fn channel_affine(gpu: &Gpu, x: &Tensor, scale: f32, shift: f32, reverse: bool) -> Result<Tensor> {
    const OP: &str = "channel_affine";
    let [_, c, h, w] = x.nchw(OP, "x")?;
    if !(scale.is_finite() && shift.is_finite()) {
        return Err(Error::shape(OP, format!("scale {scale} and shift {shift} must be finite")));
    }
    let y = Tensor::empty(gpu, x.shape())?;
    let params = Params {
        len: u32_of(OP, "length", x.len())?,
        channels: u32_of(OP, "channels", c)?,
        plane: u32_of(OP, "plane", h * w)?,
        reverse: reverse as u32,
        scale,
        shift,
        _pad0: 0,
        _pad1: 0,
    };
    let pipeline = gpu.pipeline(&wgsl::AFFINE, OP, &[("WG", WG as f64)])?;
    let groups = groups_1d(gpu, OP, x.len(), WG)?;
    gpu.dispatch(OP, pipeline, &params, &[(1, x), (2, &y)], groups)?;
    Ok(y)
}
