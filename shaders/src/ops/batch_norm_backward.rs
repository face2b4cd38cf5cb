//! Batch normalisation gradients in training mode (`wgsl/batch_norm_backward.wgsl`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::batch_norm::BatchNormParams;
use crate::ops::instance_norm::{affine_operands, workgroup_size};
use crate::ops::launch::{div_ceil, dummy, groups_1d, u32_of, Activation};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

params! {
    pub(super) struct Params for wgsl::BATCH_NORM_BACKWARD as "Params" {
        batch: u32,
        channels: u32,
        hw: u32,
        has_affine: u32,
        act: u32,
        slope: f32,
        _pad0: u32,
        _pad1: u32,
    }
}

const OP: &str = "batch_norm_backward_input";

/// Gradient of a training-mode [`batch_norm`](crate::ops::batch_norm) wrt its
/// input x, including its fused activation, from x, the forward's stats
/// [C, 2] and dy = dL/dy; `affine` and `p` must be the forward's (beta is
/// needed to recompute the activation's input). Returns dx and the
/// per-channel sums [C, 2], (sum(g * xhat), sum(g)) with g = dy * act', that
/// [`batch_norm_backward_weight`] and [`batch_norm_backward_bias`] read.
pub fn batch_norm_backward_input(
    gpu: &Gpu,
    x: &Tensor,
    stats: &Tensor,
    dy: &Tensor,
    affine: Option<(&Tensor, &Tensor)>,
    p: &BatchNormParams,
) -> Result<(Tensor, Tensor)> {
    let [n, c, h, w] = x.nchw(OP, "input")?;
    if dy.shape() != x.shape() {
        return Err(Error::shape(
            OP,
            format!("output gradient dy {:?} must have the input's shape {:?}", dy.shape(), x.shape()),
        ));
    }
    if stats.len() != c * 2 {
        return Err(Error::shape(
            OP,
            format!("stats {:?} must hold (mean, rstd) for each of the {c} channels of {:?}", stats.shape(), x.shape()),
        ));
    }
    if let Activation::LeakyRelu(s) = p.activation {
        if !s.is_finite() {
            return Err(Error::shape(OP, format!("leaky relu slope {s} must be finite")));
        }
    }
    let hw = h * w;
    u32_of(OP, "N*H*W", n * hw)?;
    let (act, slope) = p.activation.code();
    let params = Params {
        batch: u32_of(OP, "N", n)?,
        channels: u32_of(OP, "C", c)?,
        hw: u32_of(OP, "H*W", hw)?,
        has_affine: affine.is_some() as u32,
        act,
        slope,
        _pad0: 0,
        _pad1: 0,
    };
    let placeholder = dummy(gpu)?;
    let (gamma, beta) = affine_operands(OP, x, c, affine, &placeholder)?;
    let dx = Tensor::empty(gpu, x.shape())?;
    let sums = Tensor::empty(gpu, &[c, 2])?;
    let wg = workgroup_size(n * hw);
    let pipeline = gpu.pipeline(&wgsl::BATCH_NORM_BACKWARD, OP, &[("WG", wg as f64)])?;
    let groups = groups_1d(gpu, OP, c, 1)?;
    gpu.dispatch(
        OP,
        pipeline,
        &params,
        &[(1, x), (2, stats), (3, gamma), (4, beta), (5, dy), (6, &dx), (7, &sums)],
        groups,
    )?;
    Ok((dx, sums))
}

/// Copies one column of sums [C, 2] to a new [C] tensor with entry point `op`.
fn sums_column(gpu: &Gpu, op: &'static str, sums: &Tensor) -> Result<Tensor> {
    let c = match sums.shape()[..] {
        [c, 2] => c,
        _ => {
            return Err(Error::shape(
                op,
                format!("sums must be [C, 2] as batch_norm_backward_input returns it, got {:?}", sums.shape()),
            ))
        }
    };
    let grad = Tensor::empty(gpu, &[c])?;
    let params = Params { channels: u32_of(op, "C", c)?, ..bytemuck::Zeroable::zeroed() };
    let pipeline = gpu.pipeline(&wgsl::BATCH_NORM_BACKWARD, op, &[])?;
    let groups = [u32_of(op, "workgroups", div_ceil(c, 64))?, 1, 1];
    gpu.dispatch(op, pipeline, &params, &[(6, &grad), (7, sums)], groups)?;
    Ok(grad)
}

/// Gradient of an affine training-mode batch_norm wrt gamma [C], from the
/// sums [`batch_norm_backward_input`] returned.
pub fn batch_norm_backward_weight(gpu: &Gpu, sums: &Tensor) -> Result<Tensor> {
    sums_column(gpu, "batch_norm_backward_weight", sums)
}

/// Gradient of an affine training-mode batch_norm wrt beta [C], from the
/// sums [`batch_norm_backward_input`] returned.
pub fn batch_norm_backward_bias(gpu: &Gpu, sums: &Tensor) -> Result<Tensor> {
    sums_column(gpu, "batch_norm_backward_bias", sums)
}
