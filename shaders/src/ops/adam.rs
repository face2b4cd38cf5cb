//! The Adam optimizer (`wgsl/adam.wgsl`).

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::launch::{groups_1d, u32_of};
use crate::ops::params::params;
use crate::tensor::Tensor;
use crate::wgsl;

params! {
    pub(super) struct Params for wgsl::ADAM as "Params" {
        len: u32,
        step: u32,
        lerp_weight: f32,
        beta2: f32,
        one_minus_beta2: f32,
        neg_step_size: f32,
        bias_correction2_sqrt: f32,
        eps: f32,
        weight_decay: f32,
        _pad0: u32,
        _pad1: u32,
        _pad2: u32,
    }
}

const OP: &str = "adam";
const WG: usize = 256;

/// Adam's hyperparameters other than the learning rate, as torch.optim.Adam
/// takes them (f64, like Python floats).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamConfig {
    /// Decay of the first moment (torch default 0.9; CycleGAN uses 0.5).
    pub beta1: f64,
    /// Decay of the second moment (default 0.999).
    pub beta2: f64,
    /// Added to the denominator (default 1e-8).
    pub eps: f64,
    /// Coupled L2 penalty added to the gradient, weight_decay * param (default 0).
    pub weight_decay: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 }
    }
}

/// torch.optim.Adam (amsgrad=False, optional coupled weight decay) over one flat parameter
/// buffer: holds the moment buffers m and v and the step count t.
#[derive(Debug)]
pub struct Adam {
    config: AdamConfig,
    m: Tensor,
    v: Tensor,
    t: u64,
}

impl Adam {
    /// A fresh optimizer for `len` parameters (m = v = 0, t = 0).
    pub fn new(gpu: &Gpu, len: usize, config: AdamConfig) -> Result<Adam> {
        Ok(Adam { config, m: Tensor::zeros(gpu, &[len])?, v: Tensor::zeros(gpu, &[len])?, t: 0 })
    }

    /// An optimizer resumed from a checkpoint's m, v and step count t.
    pub fn from_state(config: AdamConfig, m: Tensor, v: Tensor, t: u64) -> Result<Adam> {
        if m.len() != v.len() {
            return Err(Error::shape(
                OP,
                format!("moments m {:?} and v {:?} must have the same length", m.shape(), v.shape()),
            ));
        }
        Ok(Adam { config, m, v, t })
    }

    /// The hyperparameters.
    pub fn config(&self) -> AdamConfig {
        self.config
    }

    /// The first moment (exp_avg), flat.
    pub fn m(&self) -> &Tensor {
        &self.m
    }

    /// The second moment (exp_avg_sq), flat.
    pub fn v(&self) -> &Tensor {
        &self.v
    }

    /// Steps taken so far.
    pub fn t(&self) -> u64 {
        self.t
    }

    /// Number of parameters it updates.
    pub fn len(&self) -> usize {
        self.m.len()
    }

    /// Always false: it updates at least one parameter.
    pub fn is_empty(&self) -> bool {
        self.m.is_empty()
    }

    /// Records one update of `params` from `grads` (flat buffers of
    /// [`Adam::len`] values) with learning rate `lr`, t advancing by one.
    pub fn step(&mut self, gpu: &Gpu, params: &Tensor, grads: &Tensor, lr: f32) -> Result<()> {
        adam_update(gpu, self.config, self.t + 1, lr, params, grads, &self.m, &self.v)?;
        self.t += 1;
        Ok(())
    }
}

/// Records Adam's update number `t` (from 1) of `params` from `grads` with
/// the moments `m` and `v`, all of one length: the kernel of [`Adam::step`],
/// for optimizers that keep their moments per parameter chunk.
#[allow(clippy::too_many_arguments)]
pub fn adam_update(
    gpu: &Gpu,
    config: AdamConfig,
    t: u64,
    lr: f32,
    params: &Tensor,
    grads: &Tensor,
    m: &Tensor,
    v: &Tensor,
) -> Result<()> {
    let len = m.len();
    if params.len() != len || grads.len() != len || v.len() != len {
        return Err(Error::shape(
            OP,
            format!(
                "params {:?}, grads {:?} and moments {:?}, {:?} must hold the same number of values",
                params.shape(),
                grads.shape(),
                m.shape(),
                v.shape()
            ),
        ));
    }
    if params.buffer() == grads.buffer() {
        return Err(Error::shape(OP, "params and grads must be different buffers"));
    }
    if t == 0 {
        return Err(Error::shape(OP, "the step count starts at 1"));
    }
    let AdamConfig { beta1, beta2, eps, weight_decay } = config;
    // As _single_tensor_adam computes them, in Python floats.
    let bias_correction1 = 1.0 - beta1.powf(t as f64);
    let bias_correction2 = 1.0 - beta2.powf(t as f64);
    let step_size = lr as f64 / bias_correction1;
    let params_u = Params {
        len: u32_of(OP, "length", len)?,
        step: t.min(u32::MAX as u64) as u32,
        lerp_weight: (1.0 - beta1) as f32,
        beta2: beta2 as f32,
        one_minus_beta2: (1.0 - beta2) as f32,
        neg_step_size: (-step_size) as f32,
        bias_correction2_sqrt: bias_correction2.sqrt() as f32,
        eps: eps as f32,
        weight_decay: weight_decay as f32,
        _pad0: 0,
        _pad1: 0,
        _pad2: 0,
    };
    let pipeline = gpu.pipeline(&wgsl::ADAM, OP, &[("WG", WG as f64)])?;
    let groups = groups_1d(gpu, OP, len, WG)?;
    gpu.dispatch(OP, pipeline, &params_u, &[(1, grads), (2, params), (3, m), (4, v)], groups)
}
