//! What every launcher shares: the fused activation, workgroup counts, the
//! placeholder binding and checked conversions of sizes.

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Activation fused into a kernel's epilogue.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Activation {
    /// Identity.
    #[default]
    None,
    /// max(x, 0).
    Relu,
    /// x if x > 0 else slope * x.
    LeakyRelu(f32),
    /// tanh(x).
    Tanh,
    /// 1 / (1 + exp(-x)).
    Sigmoid,
}

impl Activation {
    /// (code, slope) as the kernels' `act` and `slope` parameters take them.
    pub(crate) fn code(self) -> (u32, f32) {
        match self {
            Activation::None => (0, 0.0),
            Activation::Relu => (1, 0.0),
            Activation::LeakyRelu(s) => (2, s),
            Activation::Tanh => (3, 0.0),
            Activation::Sigmoid => (4, 0.0),
        }
    }
}

pub(crate) fn div_ceil(a: usize, b: usize) -> usize {
    a.div_ceil(b)
}

/// Workgroup counts for `threads` invocations of a 1-D kernel with
/// `wg` invocations per workgroup, folded into y where x would exceed the
/// per-dimension limit. Kernels rebuild the index as x + y * num_workgroups.x * wg.
pub(crate) fn groups_1d(gpu: &Gpu, op: &'static str, threads: usize, wg: usize) -> Result<[u32; 3]> {
    let groups = div_ceil(threads, wg) as u64;
    let max = gpu.limits().max_compute_workgroups_per_dimension as u64;
    if groups <= max {
        return Ok([groups as u32, 1, 1]);
    }
    let y = groups.div_ceil(max);
    if y > max {
        return Err(Error::DispatchTooLarge { op, count: groups, limit: max as u32 });
    }
    Ok([groups.div_ceil(y) as u32, y as u32, 1])
}

/// A 4-byte storage buffer bound where an optional operand is absent.
pub(crate) fn dummy(gpu: &Gpu) -> Result<Tensor> {
    Tensor::empty(gpu, &[1])
}

/// The tensor to bind as a kernel's bias and its `has_bias` flag: `bias`,
/// checked to hold `c_out` values, or a [`dummy`] and 0.
pub(crate) fn bias_binding(gpu: &Gpu, op: &'static str, bias: Option<&Tensor>, c_out: usize) -> Result<(Tensor, u32)> {
    match bias {
        Some(b) if b.len() != c_out => Err(Error::shape(op, format!("bias {:?} must have {c_out} values", b.shape()))),
        Some(b) => Ok((b.clone(), 1)),
        None => Ok((dummy(gpu)?, 0)),
    }
}

pub(crate) fn u32_of(op: &'static str, what: &str, v: usize) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::shape(op, format!("{what} = {v} does not fit in u32")))
}
