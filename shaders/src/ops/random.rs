//! Gaussian random tensors from a seed (`wgsl/random.wgsl`): each element a
//! counter-based function of (seed, index), so no state is kept and the
//! host ([`randn_host`]) computes the same values.

use crate::context::Gpu;
use crate::error::{Error, Result};
use crate::ops::launch::{groups_1d, u32_of};
use crate::ops::params::params;
use crate::ops::pcg::{pcg_key, pcg_stream};
use crate::tensor::Tensor;
use crate::wgsl;

params! {
    pub(super) struct Params for wgsl::RANDOM as "Params" {
        len: u32,
        seed_lo: u32,
        seed_hi: u32,
        _pad0: u32,
    }
}

/// Invocations per workgroup.
const WG: usize = 256;

/// The values [`randn`] draws for a tensor of `len` elements, computed in
/// f64 (the GPU's differ by the precision of its log, sqrt and cos).
pub fn randn_host(len: usize, seed: u64) -> Vec<f64> {
    let key = pcg_key(seed);
    let h = |j: u32| pcg_stream(key, j) >> 8;
    let scale = 1.0 / (1u64 << 24) as f64;
    (0..len as u32)
        .map(|i| {
            let u1 = (h(2 * i) + 1) as f64 * scale;
            let u2 = h(2 * i + 1) as f64 * scale;
            (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        })
        .collect()
}

/// A tensor of `shape` with independent N(0, 1) elements drawn from `seed`
/// (Box-Muller over a counter-based hash; the same seed gives the same
/// tensor).
pub fn randn(gpu: &Gpu, shape: &[usize], seed: u64) -> Result<Tensor> {
    const OP: &str = "randn";
    let len: usize = shape.iter().product();
    if len > (u32::MAX / 2) as usize {
        return Err(Error::shape(OP, format!("{len} elements; at most {} are drawn per seed", u32::MAX / 2)));
    }
    let y = Tensor::empty(gpu, shape)?;
    let params =
        Params { len: u32_of(OP, "element count", len)?, seed_lo: seed as u32, seed_hi: (seed >> 32) as u32, _pad0: 0 };
    let pipeline = gpu.pipeline(&wgsl::RANDOM, OP, &[("WG", WG as f64)])?;
    let groups = groups_1d(gpu, OP, len, WG)?;
    gpu.dispatch(OP, pipeline, &params, &[(1, &y)], groups)?;
    Ok(y)
}
