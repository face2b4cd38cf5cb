//! The reference's GANLoss (`models/networks.py`) for `lsgan` and `vanilla`.

use super::arch::GanMode;
use crate::context::Gpu;
use crate::error::Result;
use crate::ops::{bce_with_logits_loss_const, mse_loss_const};
use crate::tensor::Tensor;

/// weight * GANLoss(prediction, target_is_real): MSE or BCE-with-logits
/// against 1 (real) or 0 (fake), averaged over every patch. Returns the [1]
/// loss and its gradient wrt the prediction.
pub fn gan_loss(gpu: &Gpu, mode: GanMode, prediction: &Tensor, real: bool, weight: f32) -> Result<(Tensor, Tensor)> {
    let target = if real { 1.0 } else { 0.0 };
    match mode {
        GanMode::Lsgan => mse_loss_const(gpu, prediction, target, weight, None),
        GanMode::Vanilla => bce_with_logits_loss_const(gpu, prediction, target, weight, None),
    }
}
