//! Dropout with a counter-based random mask (`wgsl/dropout.wgsl`): the mask
//! is a hash of (seed, element index), never stored, so the backward and the
//! host ([`dropout_mask`]) reproduce it exactly.

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::launch::{groups_1d, u32_of};
use crate::ops::params::params;
use crate::ops::pcg::{pcg_key, pcg_stream};
use crate::tensor::Tensor;
use crate::wgsl;

params! {
    pub(super) struct Params for wgsl::DROPOUT as "Params" {
        len: u32,
        threshold: u32,
        seed_lo: u32,
        seed_hi: u32,
        scale: f32,
        _pad0: u32,
        _pad1: u32,
        _pad2: u32,
    }
}

/// Invocations per workgroup.
const WG: usize = 256;

/// ceil(p * 2^24): element i is kept when its 24-bit hash is at least this.
fn threshold(p: f32) -> u32 {
    (p.clamp(0.0, 1.0) as f64 * (1u64 << 24) as f64).ceil() as u32
}

/// Whether element `i` survives dropout with `threshold` and `seed`.
fn keep(i: u32, threshold: u32, seed: u64) -> bool {
    pcg_stream(pcg_key(seed), i) >> 8 >= threshold
}

/// The mask [`dropout`] applies to a tensor of `len` elements (flat order):
/// true where kept, each with probability 1 - p (p clamped to [0, 1]).
pub fn dropout_mask(len: usize, p: f32, seed: u64) -> Vec<bool> {
    let t = threshold(p);
    (0..len).map(|i| keep(i as u32, t, seed)).collect()
}

fn launch(gpu: &Gpu, op: &'static str, a: &Tensor, p: f32, seed: u64) -> Result<Tensor> {
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::shape(op, format!("dropout probability must be in [0, 1], got {p}")));
    }
    let scale = if p == 1.0 { 0.0 } else { (1.0 / (1.0 - p as f64)) as f32 };
    let params = Params {
        len: u32_of(op, "element count", a.len())?,
        threshold: threshold(p),
        seed_lo: seed as u32,
        seed_hi: (seed >> 32) as u32,
        scale,
        ..bytemuck::Zeroable::zeroed()
    };
    let y = Tensor::empty(gpu, a.shape())?;
    let pipeline = gpu.pipeline(&wgsl::DROPOUT, op, &[("WG", WG as f64)])?;
    let groups = groups_1d(gpu, op, a.len(), WG)?;
    gpu.dispatch(op, pipeline, &params, &[(1, a), (2, &y)], groups)?;
    Ok(y)
}

/// Training-mode dropout: y = x / (1 - p) where [`dropout_mask`]`(x.len(), p,
/// seed)` keeps the element, else 0 (all zeros when p = 1).
pub fn dropout(gpu: &Gpu, x: &Tensor, p: f32, seed: u64) -> Result<Tensor> {
    launch(gpu, "dropout", x, p, seed)
}

/// Gradient of [`dropout`] wrt x: dx = dy / (1 - p) where the same (p, seed)
/// mask keeps the element, else 0.
pub fn dropout_backward_input(gpu: &Gpu, dy: &Tensor, p: f32, seed: u64) -> Result<Tensor> {
    launch(gpu, "dropout_backward_input", dy, p, seed)
}
