//! Losses reduced on the GPU with their gradients, and gradient accumulation
//! (`wgsl/loss.wgsl`).
//!
//! Loss values stay on the GPU as [1] tensors, so a training step reads them
//! back only when it logs. Gradients either go to a new tensor or are added to
//! an existing gradient buffer, since gradients fan in (a generator output
//! receives the GAN, cycle and identity terms).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::elementwise::add_assign;
use crate::ops::launch::{groups_1d, u32_of};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

params! {
    pub(super) struct Params for wgsl::LOSS as "Params" {
        len: u32,
        accumulate: u32,
        label: f32,
        grad_scale: f32,
        loss_scale: f32,
        batch: u32,
        _pad1: u32,
        _pad2: u32,
    }
}

/// Elements one workgroup of the loss kernels reduces (256 invocations x 8).
const CHUNK: usize = 256 * 8;

/// Where a loss writes its gradient.
fn grad_target(gpu: &Gpu, op: &'static str, x: &Tensor, into: Option<&Tensor>) -> Result<(Tensor, u32)> {
    match into {
        Some(g) => {
            if g.shape() != x.shape() {
                return Err(Error::shape(
                    op,
                    format!("gradient buffer {:?} must have the input's shape {:?}", g.shape(), x.shape()),
                ));
            }
            if g.buffer() == x.buffer() {
                return Err(Error::shape(op, "the gradient buffer must not be the input's buffer"));
            }
            Ok((g.clone(), 1))
        }
        None => Ok((Tensor::empty(gpu, x.shape())?, 0)),
    }
}

/// Records the two reduction dispatches of entry point `op`.
fn launch(
    gpu: &Gpu,
    op: &'static str,
    mut params: Params,
    a: &Tensor,
    b: Option<&Tensor>,
    grad: Option<&Tensor>,
) -> Result<Tensor> {
    let groups = groups_1d(gpu, op, a.len(), CHUNK)?;
    let count = groups[0] as usize * groups[1] as usize;
    let partial = Tensor::empty(gpu, &[count])?;
    let loss = Tensor::empty(gpu, &[1])?;
    let pipeline = gpu.pipeline(&wgsl::LOSS, op, &[])?;
    let mut buffers: Vec<(u32, &Tensor)> = vec![(1, a), (4, &partial)];
    if let Some(grad) = grad {
        buffers.push((3, grad));
    }
    if let Some(b) = b {
        buffers.push((2, b));
    }
    gpu.dispatch(op, pipeline, &params, &buffers, groups)?;
    params.len = u32_of(op, "partial sums", count)?;
    let pipeline = gpu.pipeline(&wgsl::LOSS, "loss_finish", &[])?;
    gpu.dispatch(op, pipeline, &params, &[(4, &partial), (5, &loss)], [1, 1, 1])?;
    Ok(loss)
}

/// LSGAN's loss against a constant label: returns (weight * mean((x -
/// target)^2) as a [1] tensor, its gradient wrt x), the gradient written to a
/// new tensor or, with `accumulate_into`, added to that buffer (returned).
pub fn mse_loss_const(
    gpu: &Gpu,
    x: &Tensor,
    target: f32,
    weight: f32,
    accumulate_into: Option<&Tensor>,
) -> Result<(Tensor, Tensor)> {
    const_loss(gpu, ConstLoss::Mse, x, target, weight, weight, accumulate_into)
}

/// A loss against a constant label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstLoss {
    /// mean((x - target)^2) ([`mse_loss_const`]).
    Mse,
    /// BCEWithLogits ([`bce_with_logits_loss_const`]).
    BceWithLogits,
    /// BCE on probabilities ([`bce_loss_const`]).
    Bce,
}

/// [`mse_loss_const`] or [`bce_with_logits_loss_const`] with one weight for
/// the returned loss and another for the gradient: for a loss that is
/// reported unweighted but back-propagated scaled (pix2pix's
/// 0.5 (D_real + D_fake) logs D_real and D_fake).
pub fn const_loss(
    gpu: &Gpu,
    kind: ConstLoss,
    x: &Tensor,
    target: f32,
    loss_weight: f32,
    grad_weight: f32,
    accumulate_into: Option<&Tensor>,
) -> Result<(Tensor, Tensor)> {
    let op = match kind {
        ConstLoss::Mse => "mse_loss_const",
        ConstLoss::BceWithLogits => "bce_with_logits_loss_const",
        ConstLoss::Bce => "bce_loss_const",
    };
    let len = x.len();
    let (grad, accumulate) = grad_target(gpu, op, x, accumulate_into)?;
    let d = match kind {
        ConstLoss::Mse => 2.0,
        ConstLoss::BceWithLogits | ConstLoss::Bce => 1.0,
    };
    let params = Params {
        len: u32_of(op, "length", len)?,
        accumulate,
        label: target,
        grad_scale: (d * grad_weight as f64 / len as f64) as f32,
        loss_scale: (loss_weight as f64 / len as f64) as f32,
        ..bytemuck::Zeroable::zeroed()
    };
    let loss = launch(gpu, op, params, x, None, Some(&grad))?;
    Ok((loss, grad))
}

/// L1 loss: returns (weight * mean(|a - b|) as a [1] tensor, its gradient wrt
/// a, weight * sign(a - b) / len with sign(0) = 0), the gradient written to a
/// new tensor or, with `accumulate_into`, added to that buffer (returned).
pub fn l1_loss(
    gpu: &Gpu,
    a: &Tensor,
    b: &Tensor,
    weight: f32,
    accumulate_into: Option<&Tensor>,
) -> Result<(Tensor, Tensor)> {
    pair_loss(gpu, "l1_loss", 1.0, a, b, (weight, weight), accumulate_into)
}

/// MSE loss: returns (loss_weight * mean((a - b)^2) as a [1] tensor, its
/// gradient wrt a scaled by grad_weight, grad_weight * 2 (a - b) / len), the
/// gradient written to a new tensor or, with `accumulate_into`, added to
/// that buffer (returned).
pub fn mse_loss(
    gpu: &Gpu,
    a: &Tensor,
    b: &Tensor,
    loss_weight: f32,
    grad_weight: f32,
    accumulate_into: Option<&Tensor>,
) -> Result<(Tensor, Tensor)> {
    pair_loss(gpu, "mse_loss", 2.0, a, b, (loss_weight, grad_weight), accumulate_into)
}

/// DiscoGAN's feature matching between a discriminator's features of a real
/// and a fake batch, both [N, ...]: with d = mean_n real[n] - mean_n fake[n]
/// (per feature), returns (loss_weight * mean(d^2) as a [1] tensor, its
/// gradient wrt fake scaled by grad_weight, -grad_weight * 2 d / (N *
/// features)), the gradient written to a new tensor or, with
/// `accumulate_into`, added to that buffer (returned).
pub fn feature_matching_loss(
    gpu: &Gpu,
    real: &Tensor,
    fake: &Tensor,
    loss_weight: f32,
    grad_weight: f32,
    accumulate_into: Option<&Tensor>,
) -> Result<(Tensor, Tensor)> {
    const OP: &str = "feature_matching";
    if real.shape() != fake.shape() || real.shape().is_empty() {
        return Err(Error::shape(
            OP,
            format!("real {:?} and fake {:?} must be [N, ...] of the same shape", real.shape(), fake.shape()),
        ));
    }
    let batch = real.shape()[0];
    let features = real.len() / batch;
    let (grad, accumulate) = grad_target(gpu, OP, fake, accumulate_into)?;
    if grad.buffer() == real.buffer() {
        return Err(Error::shape(OP, "the gradient buffer must not be the real features' buffer"));
    }
    let params = Params {
        len: u32_of(OP, "features", features)?,
        accumulate,
        grad_scale: (2.0 * grad_weight as f64 / (batch * features) as f64) as f32,
        loss_scale: (loss_weight as f64 / features as f64) as f32,
        batch: u32_of(OP, "batch", batch)?,
        ..bytemuck::Zeroable::zeroed()
    };
    // Workgroups cover the features; each loops over the batch.
    let groups = groups_1d(gpu, OP, features, CHUNK)?;
    let count = groups[0] as usize * groups[1] as usize;
    let partial = Tensor::empty(gpu, &[count])?;
    let loss = Tensor::empty(gpu, &[1])?;
    let pipeline = gpu.pipeline(&wgsl::LOSS, OP, &[])?;
    gpu.dispatch(OP, pipeline, &params, &[(1, real), (2, fake), (3, &grad), (4, &partial)], groups)?;
    let finish = Params { len: u32_of(OP, "partial sums", count)?, ..params };
    let pipeline = gpu.pipeline(&wgsl::LOSS, "loss_finish", &[])?;
    gpu.dispatch(OP, pipeline, &finish, &[(4, &partial), (5, &loss)], [1, 1, 1])?;
    Ok((loss, grad))
}

/// [`l1_loss`] or [`mse_loss`] (entry point `op`, gradient factor `d`).
fn pair_loss(
    gpu: &Gpu,
    op: &'static str,
    d: f64,
    a: &Tensor,
    b: &Tensor,
    (loss_weight, grad_weight): (f32, f32),
    accumulate_into: Option<&Tensor>,
) -> Result<(Tensor, Tensor)> {
    if a.shape() != b.shape() {
        return Err(Error::shape(op, format!("a {:?} and b {:?} must have the same shape", a.shape(), b.shape())));
    }
    let len = a.len();
    let (grad, accumulate) = grad_target(gpu, op, a, accumulate_into)?;
    if grad.buffer() == b.buffer() {
        return Err(Error::shape(op, "the gradient buffer must not be b's buffer"));
    }
    let params = Params {
        len: u32_of(op, "length", len)?,
        accumulate,
        grad_scale: (d * grad_weight as f64 / len as f64) as f32,
        loss_scale: (loss_weight as f64 / len as f64) as f32,
        ..bytemuck::Zeroable::zeroed()
    };
    let loss = launch(gpu, op, params, a, Some(b), Some(&grad))?;
    Ok((loss, grad))
}

/// dst += scale * src for tensors of the same shape (gradient fan-in); with
/// scale 1 it is [`add_assign`]. They must not share a buffer.
pub fn accumulate(gpu: &Gpu, dst: &Tensor, src: &Tensor, scale: f32) -> Result<()> {
    const OP: &str = "accumulate";
    if scale == 1.0 {
        return add_assign(gpu, dst, src);
    }
    if dst.shape() != src.shape() {
        return Err(Error::shape(
            OP,
            format!("dst {:?} and src {:?} must have the same shape", dst.shape(), src.shape()),
        ));
    }
    if dst.buffer() == src.buffer() {
        return Err(Error::shape(OP, format!("dst and src {:?} are the same buffer", dst.shape())));
    }
    let params = Params { len: u32_of(OP, "length", dst.len())?, grad_scale: scale, ..bytemuck::Zeroable::zeroed() };
    let pipeline = gpu.pipeline(&wgsl::LOSS, OP, &[])?;
    let groups = groups_1d(gpu, OP, dst.len(), 256)?;
    gpu.dispatch(OP, pipeline, &params, &[(1, src), (3, dst)], groups)
}

/// pix2pix's vanilla GAN loss, BCEWithLogitsLoss against a constant label:
/// returns (weight * mean(max(x, 0) - x * target + log1p(exp(-|x|))) as a [1]
/// tensor, its gradient wrt x, weight * (sigmoid(x) - target) / len), finite
/// for logits of any magnitude; the gradient goes to a new tensor or, with
/// `accumulate_into`, is added to that buffer (returned).
pub fn bce_with_logits_loss_const(
    gpu: &Gpu,
    x: &Tensor,
    target: f32,
    weight: f32,
    accumulate_into: Option<&Tensor>,
) -> Result<(Tensor, Tensor)> {
    const_loss(gpu, ConstLoss::BceWithLogits, x, target, weight, weight, accumulate_into)
}

/// nn.BCELoss against a constant label, on probabilities x in [0, 1] (after
/// a sigmoid): returns (weight * mean(-(target * max(log x, -100) + (1 -
/// target) * max(log(1 - x), -100))) as a [1] tensor, its gradient wrt x,
/// weight * (x - target) / max((1 - x) x, 1e-12) / len), PyTorch's clamps
/// included; the gradient goes to a new tensor or, with `accumulate_into`,
/// is added to that buffer (returned).
pub fn bce_loss_const(
    gpu: &Gpu,
    x: &Tensor,
    target: f32,
    weight: f32,
    accumulate_into: Option<&Tensor>,
) -> Result<(Tensor, Tensor)> {
    const_loss(gpu, ConstLoss::Bce, x, target, weight, weight, accumulate_into)
}

/// mean(x) as a [1] tensor, reduced on the GPU in a fixed order (a
/// statistic to log, such as DCGAN's D(x)).
pub fn mean(gpu: &Gpu, x: &Tensor) -> Result<Tensor> {
    const OP: &str = "mean";
    if x.is_empty() {
        return Err(Error::shape(OP, "the mean of an empty tensor"));
    }
    let params = Params {
        len: u32_of(OP, "length", x.len())?,
        loss_scale: (1.0 / x.len() as f64) as f32,
        ..bytemuck::Zeroable::zeroed()
    };
    launch(gpu, OP, params, x, None, None)
}
