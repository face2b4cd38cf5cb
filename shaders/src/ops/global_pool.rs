//! Global average and max pooling over each (n, c) plane (`wgsl/global_pool.wgsl`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::instance_norm::workgroup_size;
use crate::ops::launch::{groups_1d, u32_of};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

params! {
    pub(super) struct Params for wgsl::GLOBAL_POOL as "Params" {
        planes: u32,
        hw: u32,
        _pad0: u32,
        _pad1: u32,
    }
}

/// Invocations per workgroup of the elementwise average-pool backward.
const WG: usize = 256;

fn params(op: &'static str, [n, c, h, w]: [usize; 4]) -> Result<Params> {
    let len = n.checked_mul(c).and_then(|v| v.checked_mul(h)).and_then(|v| v.checked_mul(w));
    u32_of(op, "N*C*H*W", len.unwrap_or(usize::MAX))?;
    Ok(Params { planes: u32_of(op, "N*C", n * c)?, hw: u32_of(op, "H*W", h * w)?, _pad0: 0, _pad1: 0 })
}

/// Checks that `dy` holds one value per (n, c) plane: shape [N, C] or [N, C, 1, 1].
fn check_pooled(op: &'static str, dy: &Tensor, [n, c, h, w]: [usize; 4]) -> Result<()> {
    if dy.shape() != [n, c] && dy.shape() != [n, c, 1, 1] {
        return Err(Error::shape(
            op,
            format!("output gradient {:?} must have shape [{n}, {c}] for input [{n}, {c}, {h}, {w}]", dy.shape()),
        ));
    }
    Ok(())
}

/// Records one workgroup per plane of `shape` with the given buffers.
fn per_plane(gpu: &Gpu, op: &'static str, shape: [usize; 4], buffers: &[(u32, &Tensor)]) -> Result<()> {
    let params = params(op, shape)?;
    let wg = workgroup_size(shape[2] * shape[3]);
    let pipeline = gpu.pipeline(&wgsl::GLOBAL_POOL, op, &[("WG", wg as f64)])?;
    let groups = groups_1d(gpu, op, shape[0] * shape[1], 1)?;
    gpu.dispatch(op, pipeline, &params, buffers, groups)
}

/// y [N, C] = the mean of each H×W plane of x [N, C, H, W]
/// (PyTorch `adaptive_avg_pool2d(x, 1)` flattened).
pub fn global_avg_pool(gpu: &Gpu, x: &Tensor) -> Result<Tensor> {
    const OP: &str = "global_avg_pool";
    let [n, c, h, w] = x.nchw(OP, "input")?;
    let y = Tensor::empty(gpu, &[n, c])?;
    per_plane(gpu, OP, [n, c, h, w], &[(1, x), (3, &y)])?;
    Ok(y)
}

/// Gradient of [`global_avg_pool`] with respect to its input of
/// `input_shape`: dx = dy[n, c] / (H*W) at every position of the plane.
pub fn global_avg_pool_backward_input(gpu: &Gpu, dy: &Tensor, input_shape: [usize; 4]) -> Result<Tensor> {
    const OP: &str = "global_avg_pool_backward_input";
    Tensor::check_shape(gpu, OP, "input", &input_shape)?;
    check_pooled(OP, dy, input_shape)?;
    let params = params(OP, input_shape)?;
    let dx = Tensor::empty(gpu, &input_shape)?;
    let pipeline = gpu.pipeline(&wgsl::GLOBAL_POOL, OP, &[("WG", WG as f64)])?;
    let groups = groups_1d(gpu, OP, dx.len(), WG)?;
    gpu.dispatch(OP, pipeline, &params, &[(2, dy), (3, &dx)], groups)?;
    Ok(dx)
}

/// y [N, C] = the maximum of each H×W plane of x [N, C, H, W]
/// (PyTorch `adaptive_max_pool2d(x, 1)` flattened).
pub fn global_max_pool(gpu: &Gpu, x: &Tensor) -> Result<Tensor> {
    const OP: &str = "global_max_pool";
    let [n, c, h, w] = x.nchw(OP, "input")?;
    let y = Tensor::empty(gpu, &[n, c])?;
    per_plane(gpu, OP, [n, c, h, w], &[(1, x), (3, &y)])?;
    Ok(y)
}

/// Gradient of [`global_max_pool`] with respect to its input x: dy[n, c] at
/// the first (lowest flat index) maximum of each plane of x, zero elsewhere,
/// as PyTorch's `adaptive_max_pool2d` backward.
pub fn global_max_pool_backward_input(gpu: &Gpu, x: &Tensor, dy: &Tensor) -> Result<Tensor> {
    const OP: &str = "global_max_pool_backward_input";
    let shape = x.nchw(OP, "input")?;
    check_pooled(OP, dy, shape)?;
    let dx = Tensor::empty(gpu, x.shape())?;
    per_plane(gpu, OP, shape, &[(1, x), (2, dy), (3, &dx)])?;
    Ok(dx)
}
