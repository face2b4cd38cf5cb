//! Instance normalisation gradients (`wgsl/instance_norm_backward.wgsl`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::instance_norm::InstanceNormParams;
use crate::ops::instance_norm::{affine_operands, workgroup_size};
use crate::ops::launch::{div_ceil, dummy, groups_1d, u32_of};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

params! {
    pub(super) struct Params for wgsl::INSTANCE_NORM_BACKWARD as "Params" {
        planes: u32,
        channels: u32,
        hw: u32,
        has_affine: u32,
        act: u32,
        slope: f32,
        _pad0: u32,
        _pad1: u32,
    }
}

const OP: &str = "instance_norm_backward_input";

/// Gradient of [`instance_norm`](crate::ops::instance_norm) wrt its input x,
/// including its fused activation, from x, the forward's stats [N, C, 2] and
/// dy = dL/dy; `affine` and `p` must be the forward's. Returns dx and the
/// per-plane sums [N, C, 2] that [`instance_norm_backward_weight`] and
/// [`instance_norm_backward_bias`] reduce. A residual's gradient is dy itself.
pub fn instance_norm_backward_input(
    gpu: &Gpu,
    x: &Tensor,
    stats: &Tensor,
    dy: &Tensor,
    affine: Option<(&Tensor, &Tensor)>,
    p: &InstanceNormParams,
) -> Result<(Tensor, Tensor)> {
    let [n, c, h, w] = x.nchw(OP, "input")?;
    if dy.shape() != x.shape() {
        return Err(Error::shape(
            OP,
            format!("output gradient dy {:?} must have the input's shape {:?}", dy.shape(), x.shape()),
        ));
    }
    if stats.len() != n * c * 2 {
        return Err(Error::shape(
            OP,
            format!(
                "stats {:?} must hold (mean, rstd) for each of the {n}x{c} planes of {:?}",
                stats.shape(),
                x.shape()
            ),
        ));
    }
    if let crate::ops::Activation::LeakyRelu(s) = p.activation {
        if !s.is_finite() {
            return Err(Error::shape(OP, format!("leaky relu slope {s} must be finite")));
        }
    }
    let planes = n * c;
    let hw = h * w;
    let (act, slope) = p.activation.code();
    let mut params = Params {
        planes: u32_of(OP, "N*C", planes)?,
        channels: u32_of(OP, "C", c)?,
        hw: u32_of(OP, "H*W", hw)?,
        has_affine: 0,
        act,
        slope,
        _pad0: 0,
        _pad1: 0,
    };
    let placeholder = dummy(gpu)?;
    let (gamma, beta) = affine_operands(OP, x, c, affine, &placeholder)?;
    params.has_affine = affine.is_some() as u32;
    let dx = Tensor::empty(gpu, x.shape())?;
    let sums = Tensor::empty(gpu, &[n, c, 2])?;
    let wg = workgroup_size(hw);
    let pipeline = gpu.pipeline(&wgsl::INSTANCE_NORM_BACKWARD, OP, &[("WG", wg as f64)])?;
    let groups = groups_1d(gpu, OP, planes, 1)?;
    gpu.dispatch(
        OP,
        pipeline,
        &params,
        &[(1, x), (2, stats), (3, gamma), (4, beta), (5, dy), (6, &dx), (7, &sums)],
        groups,
    )?;
    Ok((dx, sums))
}

fn reduce_sums(gpu: &Gpu, op: &'static str, sums: &Tensor) -> Result<Tensor> {
    let [n, c, two] = match sums.shape()[..] {
        [n, c, two] => [n, c, two],
        _ => [0, 0, 0],
    };
    if two != 2 {
        return Err(Error::shape(
            op,
            format!("sums must be [N, C, 2] as instance_norm_backward_input returns it, got {:?}", sums.shape()),
        ));
    }
    let grad = Tensor::empty(gpu, &[c])?;
    let params =
        Params { planes: u32_of(op, "N*C", n * c)?, channels: u32_of(op, "C", c)?, ..bytemuck::Zeroable::zeroed() };
    let pipeline = gpu.pipeline(&wgsl::INSTANCE_NORM_BACKWARD, op, &[])?;
    let groups = [u32_of(op, "workgroups", div_ceil(c, 64))?, 1, 1];
    gpu.dispatch(op, pipeline, &params, &[(6, &grad), (7, sums)], groups)?;
    Ok(grad)
}

/// Gradient of an affine instance_norm wrt gamma [C], from the sums
/// [`instance_norm_backward_input`] returned (summed over the batch in order).
pub fn instance_norm_backward_weight(gpu: &Gpu, sums: &Tensor) -> Result<Tensor> {
    reduce_sums(gpu, "instance_norm_backward_weight", sums)
}

/// Gradient of an affine instance_norm wrt beta [C], from the sums
/// [`instance_norm_backward_input`] returned (summed over the batch in order).
pub fn instance_norm_backward_bias(gpu: &Gpu, sums: &Tensor) -> Result<Tensor> {
    reduce_sums(gpu, "instance_norm_backward_bias", sums)
}
