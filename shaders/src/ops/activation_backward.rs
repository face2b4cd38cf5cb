//! Activation gradients from the saved forward output
//! (`wgsl/activation_backward.wgsl`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::launch::{groups_1d, u32_of, Activation};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

params! {
    pub(super) struct Params for wgsl::ACTIVATION_BACKWARD as "Params" {
        len: u32,
        slope: f32,
        _pad0: u32,
        _pad1: u32,
    }
}

fn launch(gpu: &Gpu, op: &'static str, y: &Tensor, dy: &Tensor, slope: f32) -> Result<Tensor> {
    if y.shape() != dy.shape() {
        return Err(Error::shape(
            op,
            format!("saved output y {:?} and output gradient dy {:?} must have the same shape", y.shape(), dy.shape()),
        ));
    }
    let dx = Tensor::empty(gpu, dy.shape())?;
    let params = Params { len: u32_of(op, "length", dy.len())?, slope, _pad0: 0, _pad1: 0 };
    let pipeline = gpu.pipeline(&wgsl::ACTIVATION_BACKWARD, op, &[])?;
    let groups = groups_1d(gpu, op, dy.len(), 64)?;
    gpu.dispatch(op, pipeline, &params, &[(1, y), (2, dy), (3, &dx)], groups)?;
    Ok(dx)
}

/// Gradient of relu wrt its input, from the saved output y = relu(x) and dy.
pub fn relu_backward_input(gpu: &Gpu, y: &Tensor, dy: &Tensor) -> Result<Tensor> {
    launch(gpu, "relu_backward_input", y, dy, 0.0)
}

/// Gradient of leaky_relu(slope) wrt its input, from the saved output y and dy
/// (needs slope >= 0, so that y > 0 exactly where x > 0).
pub fn leaky_relu_backward_input(gpu: &Gpu, y: &Tensor, dy: &Tensor, slope: f32) -> Result<Tensor> {
    const OP: &str = "leaky_relu_backward_input";
    if !(slope >= 0.0 && slope.is_finite()) {
        return Err(Error::shape(
            OP,
            format!("slope {slope} must be finite and >= 0 to recover the sign of x from the saved output"),
        ));
    }
    launch(gpu, OP, y, dy, slope)
}

/// Gradient of tanh wrt its input, from the saved output y = tanh(x): dy * (1 - y^2).
pub fn tanh_backward_input(gpu: &Gpu, y: &Tensor, dy: &Tensor) -> Result<Tensor> {
    launch(gpu, "tanh_backward_input", y, dy, 0.0)
}

/// Gradient of sigmoid wrt its input, from the saved output y = sigmoid(x): dy * (1 - y) * y.
pub fn sigmoid_backward_input(gpu: &Gpu, y: &Tensor, dy: &Tensor) -> Result<Tensor> {
    launch(gpu, "sigmoid_backward_input", y, dy, 0.0)
}

/// Gradient of any [`Activation`] wrt its input, from its saved output y and
/// dy; for [`Activation::None`] it is dy itself (the same buffer).
pub fn activation_backward_input(gpu: &Gpu, activation: Activation, y: &Tensor, dy: &Tensor) -> Result<Tensor> {
    match activation {
        Activation::None => {
            if y.shape() != dy.shape() {
                return Err(Error::shape(
                    "activation_backward_input",
                    format!("saved output y {:?} and dy {:?} must have the same shape", y.shape(), dy.shape()),
                ));
            }
            Ok(dy.clone())
        }
        Activation::Relu => relu_backward_input(gpu, y, dy),
        Activation::LeakyRelu(s) => leaky_relu_backward_input(gpu, y, dy, s),
        Activation::Tanh => tanh_backward_input(gpu, y, dy),
        Activation::Sigmoid => sigmoid_backward_input(gpu, y, dy),
    }
}
