//! The ILN / adaILN normalisation of U-GAT-IT (`wgsl/layer_instance_norm.wgsl`,
//! `wgsl/layer_instance_norm_backward.wgsl`).
//!
//! With unbiased variances (`torch.var`, divisor M - 1):
//! ```text
//! out_in = (x - mean(x, [2, 3])) / sqrt(var(x, [2, 3]) + eps)
//! out_ln = (x - mean(x, [1, 2, 3])) / sqrt(var(x, [1, 2, 3]) + eps)
//! y = act((rho[c] * out_in + (1 - rho[c]) * out_ln) * gamma + beta) + residual
//! ```
//! gamma and beta are shared across the batch (ILN, C values) or per sample
//! (adaILN, N x C values).
//!
//! **1x1 planes.** torch.var of one value divides 0 by M - 1 = 0, so PyTorch's
//! ILN of an H = W = 1 input is NaN. These kernels divide by M - 1 as it is:
//! WGSL leaves a float division by zero indeterminate, so on IEEE devices the
//! result is NaN as in PyTorch and elsewhere it is unspecified. The same holds
//! for the layer statistics when C * H * W = 1. U-GAT-IT never normalises 1x1
//! planes.

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::instance_norm::workgroup_size;
use crate::ops::launch::{dummy, groups_1d, u32_of, Activation};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

/// Epsilon and fused activation of a layer-instance norm.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerInstanceNormParams {
    /// Added to both variances before the square root (U-GAT-IT's 1e-5).
    pub eps: f32,
    /// Activation applied after the affine transform, before the residual.
    pub activation: Activation,
}

impl Default for LayerInstanceNormParams {
    fn default() -> Self {
        LayerInstanceNormParams { eps: 1e-5, activation: Activation::None }
    }
}

/// Gradients of [`layer_instance_norm`] wrt its input and parameters.
#[derive(Clone, Debug)]
pub struct LayerInstanceNormGrads {
    /// dL/dx, x's shape.
    pub dx: Tensor,
    /// dL/drho, rho's shape (C values).
    pub drho: Tensor,
    /// dL/dgamma, gamma's shape: summed over (H, W) per sample for per-sample
    /// gamma, also over the batch for shared gamma.
    pub dgamma: Tensor,
    /// dL/dbeta, beta's shape, summed as dgamma.
    pub dbeta: Tensor,
}

params! {
    pub(super) struct Params for wgsl::LAYER_INSTANCE_NORM as "Params" {
        planes: u32,
        channels: u32,
        hw: u32,
        per_sample: u32,
        has_residual: u32,
        act: u32,
        slope: f32,
        eps: f32,
    }
}

params! {
    pub(super) struct BackwardParams for wgsl::LAYER_INSTANCE_NORM_BACKWARD as "Params" {
        planes: u32,
        channels: u32,
        hw: u32,
        per_sample: u32,
        act: u32,
        slope: f32,
        _pad0: u32,
        _pad1: u32,
    }
}

const OP: &str = "layer_instance_norm";
const OP_BACKWARD: &str = "layer_instance_norm_backward";

/// Checks x, rho, gamma, beta and the params; returns (N, C, H*W, per_sample).
fn check_operands(
    op: &'static str,
    x: &Tensor,
    rho: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    p: &LayerInstanceNormParams,
) -> Result<(usize, usize, usize, bool)> {
    let [n, c, h, w] = x.nchw(op, "input")?;
    if rho.len() != c {
        return Err(Error::shape(
            op,
            format!("input {:?} has {c} channels but rho {:?} holds {} values", x.shape(), rho.shape(), rho.len()),
        ));
    }
    if gamma.len() != beta.len() || (gamma.len() != c && gamma.len() != n * c) {
        return Err(Error::shape(
            op,
            format!(
                "gamma {:?} and beta {:?} must both hold C = {c} values (shared) or N*C = {} values (per sample) \
                 for input {:?}",
                gamma.shape(),
                beta.shape(),
                n * c,
                x.shape()
            ),
        ));
    }
    if !(p.eps.is_finite() && p.eps >= 0.0) {
        return Err(Error::shape(op, format!("eps must be finite and non-negative, got {}", p.eps)));
    }
    if let Activation::LeakyRelu(s) = p.activation {
        if !s.is_finite() {
            return Err(Error::shape(op, format!("leaky relu slope {s} must be finite")));
        }
    }
    // With N = 1 both readings agree; the kernel then indexes by channel.
    let per_sample = n > 1 && gamma.len() == n * c;
    Ok((n, c, h * w, per_sample))
}

/// U-GAT-IT's ILN (gamma, beta with C values, shared across the batch) or
/// adaILN (gamma, beta [N, C], per sample) of x [N, C, H, W]:
/// `y = act((rho[c] * out_in + (1 - rho[c]) * out_ln) * gamma + beta) + residual`
/// with unbiased instance (per (n, c) plane) and layer (per sample, over
/// (C, H, W)) statistics; see the [module docs](self) for the formulas and
/// 1x1 planes. rho holds C values (shape [1, C, 1, 1] or [C]); `residual` has
/// x's shape.
///
/// Returns y and the stats [N, C + 1, 2] for the backward pass: for each
/// sample n, rows c < C are plane (n, c)'s (in_mean, in_rstd) and row C is the
/// sample's (ln_mean, ln_rstd), rstd = 1 / sqrt(unbiased var + eps).
pub fn layer_instance_norm(
    gpu: &Gpu,
    x: &Tensor,
    rho: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    p: &LayerInstanceNormParams,
    residual: Option<&Tensor>,
) -> Result<(Tensor, Tensor)> {
    let (n, c, hw, per_sample) = check_operands(OP, x, rho, gamma, beta, p)?;
    let planes = n * c;
    let (act, slope) = p.activation.code();
    let placeholder = dummy(gpu)?;
    let residual = match residual {
        Some(r) if r.shape() != x.shape() => {
            return Err(Error::shape(
                OP,
                format!("residual {:?} must have the input's shape {:?}", r.shape(), x.shape()),
            ))
        }
        Some(r) => Some(r),
        None => None,
    };
    let params = Params {
        planes: u32_of(OP, "N*C", planes)?,
        channels: u32_of(OP, "C", c)?,
        hw: u32_of(OP, "H*W", hw)?,
        per_sample: per_sample as u32,
        has_residual: residual.is_some() as u32,
        act,
        slope,
        eps: p.eps,
    };
    let partial = Tensor::empty(gpu, &[n, c, 2])?;
    let y = Tensor::empty(gpu, x.shape())?;
    let stats = Tensor::empty(gpu, &[n, c + 1, 2])?;
    let groups = groups_1d(gpu, OP, planes, 1)?;
    let wg = workgroup_size(hw) as f64;
    let pipeline = gpu.pipeline(&wgsl::LAYER_INSTANCE_NORM, "layer_instance_norm_stats", &[("WG", wg)])?;
    gpu.dispatch(OP, pipeline, &params, &[(1, x), (6, &partial)], groups)?;
    // The second pass reduces over the sample's C planes as well as the plane.
    let wg = workgroup_size(hw.max(c)) as f64;
    let pipeline = gpu.pipeline(&wgsl::LAYER_INSTANCE_NORM, "layer_instance_norm", &[("WG", wg)])?;
    gpu.dispatch(
        OP,
        pipeline,
        &params,
        &[
            (1, x),
            (2, rho),
            (3, gamma),
            (4, beta),
            (5, residual.unwrap_or(&placeholder)),
            (6, &partial),
            (7, &y),
            (8, &stats),
        ],
        groups,
    )?;
    Ok((y, stats))
}

/// Gradients of [`layer_instance_norm`], including its fused activation
/// (the pre-activation is recomputed from x and stats), from x, the forward's
/// stats [N, C + 1, 2] and dy = dL/dy; rho, gamma, beta and `p` must be the
/// forward's. A residual's gradient is dy itself and is the caller's.
///
/// Three dispatches: per-plane sums of g = dy * act'(pre), g * out_in and
/// g * out_ln; dx through the instance and the layer statistics (unbiased:
/// d var / d x_i = 2 (x_i - mean) / (M - 1)); and the parameter gradients,
/// summed over the batch in order where they are shared. No float atomics.
#[allow(clippy::too_many_arguments)]
pub fn layer_instance_norm_backward(
    gpu: &Gpu,
    x: &Tensor,
    stats: &Tensor,
    dy: &Tensor,
    rho: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    p: &LayerInstanceNormParams,
) -> Result<LayerInstanceNormGrads> {
    let op = OP_BACKWARD;
    let (n, c, hw, per_sample) = check_operands(op, x, rho, gamma, beta, p)?;
    if dy.shape() != x.shape() {
        return Err(Error::shape(
            op,
            format!("output gradient dy {:?} must have the input's shape {:?}", dy.shape(), x.shape()),
        ));
    }
    if stats.len() != n * (c + 1) * 2 {
        return Err(Error::shape(
            op,
            format!(
                "stats {:?} must be [N, C + 1, 2] = [{n}, {}, 2] as layer_instance_norm returns it for input {:?}",
                stats.shape(),
                c + 1,
                x.shape()
            ),
        ));
    }
    let planes = n * c;
    let (act, slope) = p.activation.code();
    let params = BackwardParams {
        planes: u32_of(op, "N*C", planes)?,
        channels: u32_of(op, "C", c)?,
        hw: u32_of(op, "H*W", hw)?,
        per_sample: per_sample as u32,
        act,
        slope,
        _pad0: 0,
        _pad1: 0,
    };
    let sums = Tensor::empty(gpu, &[n, c, 3])?;
    let dx = Tensor::empty(gpu, x.shape())?;
    let drho = Tensor::empty(gpu, rho.shape())?;
    let dgamma = Tensor::empty(gpu, gamma.shape())?;
    let dbeta = Tensor::empty(gpu, beta.shape())?;
    let shader = &wgsl::LAYER_INSTANCE_NORM_BACKWARD;
    let groups = groups_1d(gpu, op, planes, 1)?;
    let inputs = [(1, x), (2, stats), (3, dy), (4, rho), (5, gamma), (6, beta), (7, &sums)];

    let wg = workgroup_size(hw) as f64;
    let pipeline = gpu.pipeline(shader, "layer_instance_norm_backward_sums", &[("WG", wg)])?;
    gpu.dispatch(op, pipeline, &params, &inputs, groups)?;

    let wg = workgroup_size(hw.max(c)) as f64;
    let pipeline = gpu.pipeline(shader, "layer_instance_norm_backward", &[("WG", wg)])?;
    let mut bindings = inputs.to_vec();
    bindings.push((8, &dx));
    gpu.dispatch(op, pipeline, &params, &bindings, groups)?;

    let pipeline = gpu.pipeline(shader, "layer_instance_norm_backward_params", &[])?;
    gpu.dispatch(
        op,
        pipeline,
        &params,
        &[(4, rho), (5, gamma), (7, &sums), (9, &drho), (10, &dgamma), (11, &dbeta)],
        groups_1d(gpu, op, c, 64)?,
    )?;
    Ok(LayerInstanceNormGrads { dx, drho, dgamma, dbeta })
}
