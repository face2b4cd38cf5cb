//! The reference's GANLoss (`models/networks.py`) for `lsgan` and `vanilla`.

use crate::context::Gpu;
use crate::error::Result;
use crate::nn::nets::arch::GanMode;
use crate::ops::{const_loss, ConstLoss};
use crate::tensor::Tensor;

/// weight * GANLoss(prediction, target_is_real): MSE or BCE-with-logits
/// against 1 (real) or 0 (fake), averaged over every patch. Returns the [1]
/// loss and its gradient wrt the prediction.
pub fn gan_loss(gpu: &Gpu, mode: GanMode, prediction: &Tensor, real: bool, weight: f32) -> Result<(Tensor, Tensor)> {
    gan_loss_scaled(gpu, mode, prediction, real, weight, weight)
}

/// [`gan_loss`] returning the loss times `loss_weight` and its gradient
/// times `grad_weight`.
pub fn gan_loss_scaled(
    gpu: &Gpu,
    mode: GanMode,
    prediction: &Tensor,
    real: bool,
    loss_weight: f32,
    grad_weight: f32,
) -> Result<(Tensor, Tensor)> {
    let target = if real { 1.0 } else { 0.0 };
    let kind = match mode {
        GanMode::Lsgan => ConstLoss::Mse,
        GanMode::Vanilla => ConstLoss::BceWithLogits,
    };
    const_loss(gpu, kind, prediction, target, loss_weight, grad_weight, None)
}
