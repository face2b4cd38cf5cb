//! Per-channel scaling and the sum over channels (`wgsl/channel_scale.wgsl`):
//! U-GAT-IT's class activation map and its heatmap.

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::instance_norm::workgroup_size;
use crate::ops::launch::{groups_1d, u32_of};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

params! {
    pub(super) struct Params for wgsl::CHANNEL_SCALE as "Params" {
        n: u32,
        c: u32,
        hw: u32,
        _pad0: u32,
    }
}

/// Invocations per workgroup of the elementwise kernels.
const WG: usize = 256;

fn params(op: &'static str, x: &Tensor) -> Result<Params> {
    let [n, c, h, w] = x.nchw(op, "input")?;
    u32_of(op, "N*C*H*W", x.len())?;
    Ok(Params { n: n as u32, c: c as u32, hw: (h * w) as u32, _pad0: 0 })
}

/// y = x * w[c] for x [N, C, H, W] and w holding C values (shape [C] or
/// [1, C]). It is also its own input gradient: dx = channel_scale(dy, w).
pub fn channel_scale(gpu: &Gpu, x: &Tensor, w: &Tensor) -> Result<Tensor> {
    const OP: &str = "channel_scale";
    let params = params(OP, x)?;
    if w.len() != params.c as usize || !(w.shape() == [w.len()] || w.shape() == [1, w.len()]) {
        return Err(Error::shape(
            OP,
            format!("weight {:?} must have shape [{c}] or [1, {c}] for input {:?}", w.shape(), x.shape(), c = params.c),
        ));
    }
    let y = Tensor::empty(gpu, x.shape())?;
    let pipeline = gpu.pipeline(&wgsl::CHANNEL_SCALE, OP, &[("WG", WG as f64)])?;
    let groups = groups_1d(gpu, OP, x.len(), WG)?;
    gpu.dispatch(OP, pipeline, &params, &[(1, x), (2, w), (3, &y)], groups)?;
    Ok(y)
}

/// Gradient of [`channel_scale`] with respect to its weight: dw [C] = the
/// sum over n, h, w of dy * x.
pub fn channel_scale_backward_weight(gpu: &Gpu, x: &Tensor, dy: &Tensor) -> Result<Tensor> {
    const OP: &str = "channel_scale_backward_weight";
    let params = params(OP, x)?;
    if dy.shape() != x.shape() {
        return Err(Error::shape(
            OP,
            format!("output gradient {:?} must have the input's shape {:?}", dy.shape(), x.shape()),
        ));
    }
    let dw = Tensor::empty(gpu, &[params.c as usize])?;
    let wg = workgroup_size(params.hw as usize);
    let pipeline = gpu.pipeline(&wgsl::CHANNEL_SCALE, OP, &[("WG", wg as f64)])?;
    let groups = groups_1d(gpu, OP, params.c as usize, 1)?;
    gpu.dispatch(OP, pipeline, &params, &[(1, x), (2, dy), (3, &dw)], groups)?;
    Ok(dw)
}

/// out [N, 1, H, W] = the sum over channels of x [N, C, H, W] (forward only).
pub fn channel_sum(gpu: &Gpu, x: &Tensor) -> Result<Tensor> {
    const OP: &str = "channel_sum";
    let params = params(OP, x)?;
    let [n, _, h, w] = x.nchw(OP, "input")?;
    let out = Tensor::empty(gpu, &[n, 1, h, w])?;
    let pipeline = gpu.pipeline(&wgsl::CHANNEL_SCALE, OP, &[("WG", WG as f64)])?;
    let groups = groups_1d(gpu, OP, n * h * w, WG)?;
    gpu.dispatch(OP, pipeline, &params, &[(1, x), (3, &out)], groups)?;
    Ok(out)
}
