//! Batch normalisation (`wgsl/batch_norm.wgsl`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::instance_norm::{affine_operands, workgroup_size};
use crate::ops::launch::{dummy, groups_1d, u32_of, Activation};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

/// Epsilon, running-statistics momentum and fused activation of a batch norm.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNormParams {
    /// Added to the variance before the square root (PyTorch's default 1e-5).
    pub eps: f32,
    /// Weight of the batch statistics in the running-statistics update (PyTorch's default 0.1).
    pub momentum: f32,
    /// Activation applied after the affine transform.
    pub activation: Activation,
}

impl Default for BatchNormParams {
    fn default() -> Self {
        BatchNormParams { eps: 1e-5, momentum: 0.1, activation: Activation::None }
    }
}

params! {
    pub(super) struct Params for wgsl::BATCH_NORM as "Params" {
        batch: u32,
        channels: u32,
        hw: u32,
        has_affine: u32,
        has_running: u32,
        training: u32,
        act: u32,
        slope: f32,
        eps: f32,
        momentum: f32,
        unbias: f32,
        _pad0: u32,
    }
}

const OP: &str = "batch_norm";

/// Checks that `t` is a [C] tensor of its own buffer, distinct from `others`.
fn check_channel_vector(op: &'static str, what: &str, t: &Tensor, c: usize, others: &[&Tensor]) -> Result<()> {
    if t.len() != c {
        return Err(Error::shape(
            op,
            format!("{what} {:?} must hold one value for each of the {c} channels", t.shape()),
        ));
    }
    if others.iter().any(|o| o.buffer() == t.buffer()) {
        return Err(Error::shape(op, format!("{what} must not share a buffer with another operand")));
    }
    Ok(())
}

/// y = act((x - mean) * rstd * gamma + beta) per channel of x [N, C, H, W],
/// with PyTorch BatchNorm2d semantics; `affine` is (gamma [C], beta [C]) and
/// `running` is (running_mean [C], running_var [C]). Training: mean and
/// biased variance over N*H*W (more than one value required), and `running`,
/// when given, is updated in place (momentum, unbiased variance). Eval
/// (`training` false): normalises with `running`, which is then required.
/// Returns y and the stats [C, 2], each channel's (mean, rstd) used.
pub fn batch_norm(
    gpu: &Gpu,
    x: &Tensor,
    affine: Option<(&Tensor, &Tensor)>,
    running: Option<(&Tensor, &Tensor)>,
    p: &BatchNormParams,
    training: bool,
) -> Result<(Tensor, Tensor)> {
    let [n, c, h, w] = x.nchw(OP, "input")?;
    if !(p.eps.is_finite() && p.eps >= 0.0) {
        return Err(Error::shape(OP, format!("eps must be finite and non-negative, got {}", p.eps)));
    }
    if !(p.momentum.is_finite() && (0.0..=1.0).contains(&p.momentum)) {
        return Err(Error::shape(OP, format!("momentum must be in [0, 1], got {}", p.momentum)));
    }
    let hw = h * w;
    let count = n * hw;
    if training && count == 1 {
        return Err(Error::shape(
            OP,
            format!("Expected more than 1 value per channel when training, got input {:?}", x.shape()),
        ));
    }
    if !training && running.is_none() {
        return Err(Error::shape(OP, "eval mode normalises with the running statistics, which are missing"));
    }
    let (act, slope) = p.activation.code();
    let mut params = Params {
        batch: u32_of(OP, "N", n)?,
        channels: u32_of(OP, "C", c)?,
        hw: u32_of(OP, "H*W", hw)?,
        has_affine: affine.is_some() as u32,
        has_running: running.is_some() as u32,
        training: training as u32,
        act,
        slope,
        eps: p.eps,
        momentum: p.momentum,
        unbias: 1.0,
        _pad0: 0,
    };
    u32_of(OP, "N*H*W", count)?;
    if training {
        params.unbias = (count as f64 / (count - 1) as f64) as f32;
    }
    let placeholder = dummy(gpu)?;
    let (gamma, beta) = affine_operands(OP, x, c, affine, &placeholder)?;
    // Separate dummies: one buffer must not be bound writable twice.
    let (no_mean, no_var);
    let (running_mean, running_var) = match running {
        Some((m, v)) => {
            check_channel_vector(OP, "running_mean", m, c, &[x, gamma, beta])?;
            check_channel_vector(OP, "running_var", v, c, &[x, gamma, beta, m])?;
            (m, v)
        }
        None => {
            no_mean = dummy(gpu)?;
            no_var = dummy(gpu)?;
            (&no_mean, &no_var)
        }
    };
    let y = Tensor::empty(gpu, x.shape())?;
    let stats = Tensor::empty(gpu, &[c, 2])?;
    let wg = workgroup_size(count);
    let pipeline = gpu.pipeline(&wgsl::BATCH_NORM, OP, &[("WG", wg as f64)])?;
    let groups = groups_1d(gpu, OP, c, 1)?;
    gpu.dispatch(
        OP,
        pipeline,
        &params,
        &[(1, x), (2, gamma), (3, beta), (4, running_mean), (5, running_var), (6, &y), (7, &stats)],
        groups,
    )?;
    Ok((y, stats))
}
