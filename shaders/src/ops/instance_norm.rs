//! Instance normalisation (`wgsl/instance_norm.wgsl`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::launch::{dummy, groups_1d, u32_of, Activation};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

/// Epsilon and fused activation of an instance norm.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InstanceNormParams {
    /// Added to the variance before the square root (PyTorch's default 1e-5).
    pub eps: f32,
    /// Activation applied after the affine transform, before the residual.
    pub activation: Activation,
}

impl Default for InstanceNormParams {
    fn default() -> Self {
        InstanceNormParams { eps: 1e-5, activation: Activation::None }
    }
}

params! {
    pub(super) struct Params for wgsl::INSTANCE_NORM as "Params" {
        planes: u32,
        channels: u32,
        hw: u32,
        has_affine: u32,
        has_residual: u32,
        act: u32,
        slope: f32,
        eps: f32,
    }
}

const OP: &str = "instance_norm";

/// Invocations per workgroup for planes of `hw` values: a power of two from
/// 32 to 256, so small planes do not idle most of a 256-wide workgroup.
pub(crate) fn workgroup_size(hw: usize) -> u32 {
    hw.next_power_of_two().clamp(32, 256) as u32
}

/// The (gamma, beta) to bind: the affine parameters, checked to hold one
/// value per channel of x, or `placeholder` twice when there are none.
pub(crate) fn affine_operands<'a>(
    op: &'static str,
    x: &Tensor,
    c: usize,
    affine: Option<(&'a Tensor, &'a Tensor)>,
    placeholder: &'a Tensor,
) -> Result<(&'a Tensor, &'a Tensor)> {
    match affine {
        Some((g, b)) if g.len() != c || b.len() != c => Err(Error::shape(
            op,
            format!(
                "input {:?} has {c} channels but gamma {:?} and beta {:?} must have {c} values each",
                x.shape(),
                g.shape(),
                b.shape()
            ),
        )),
        Some((g, b)) => Ok((g, b)),
        None => Ok((placeholder, placeholder)),
    }
}

/// y = act((x - mean) * rstd * gamma + beta) + residual per (n, c) plane of
/// x [N, C, H, W], with PyTorch InstanceNorm2d semantics (biased variance,
/// rstd = 1 / sqrt(var + eps)); `affine` is (gamma [C], beta [C]) and
/// `residual` has x's shape. Returns y and the stats [N, C, 2], each plane's
/// (mean, rstd), for the backward pass.
pub fn instance_norm(
    gpu: &Gpu,
    x: &Tensor,
    affine: Option<(&Tensor, &Tensor)>,
    p: &InstanceNormParams,
    residual: Option<&Tensor>,
) -> Result<(Tensor, Tensor)> {
    let [n, c, h, w] = x.nchw(OP, "input")?;
    if !(p.eps.is_finite() && p.eps >= 0.0) {
        return Err(Error::shape(OP, format!("eps must be finite and non-negative, got {}", p.eps)));
    }
    let planes = n * c;
    let hw = h * w;
    let (act, slope) = p.activation.code();
    let mut params = Params {
        planes: u32_of(OP, "N*C", planes)?,
        channels: u32_of(OP, "C", c)?,
        hw: u32_of(OP, "H*W", hw)?,
        has_affine: 0,
        has_residual: 0,
        act,
        slope,
        eps: p.eps,
    };
    let placeholder = dummy(gpu)?;
    let (gamma, beta) = affine_operands(OP, x, c, affine, &placeholder)?;
    params.has_affine = affine.is_some() as u32;
    let residual = match residual {
        Some(r) => {
            if r.shape() != x.shape() {
                return Err(Error::shape(
                    OP,
                    format!("residual {:?} must have the input's shape {:?}", r.shape(), x.shape()),
                ));
            }
            params.has_residual = 1;
            r
        }
        None => &placeholder,
    };
    let y = Tensor::empty(gpu, x.shape())?;
    let stats = Tensor::empty(gpu, &[n, c, 2])?;
    let wg = workgroup_size(hw);
    let pipeline = gpu.pipeline(&wgsl::INSTANCE_NORM, "instance_norm", &[("WG", wg as f64)])?;
    let groups = groups_1d(gpu, OP, planes, 1)?;
    gpu.dispatch(OP, pipeline, &params, &[(1, x), (2, gamma), (3, beta), (4, residual), (5, &y), (6, &stats)], groups)?;
    Ok((y, stats))
}
