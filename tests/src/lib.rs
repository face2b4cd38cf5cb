//! Test support: the f64 CPU reference of every kernel, random inputs, and a
//! comparison that names the worst index.

pub mod net_check;
pub mod parity;
pub mod ref_batch;
pub mod ref_conv_backward;
pub mod ref_nets;
pub mod ref_norm;
pub mod ref_train;
pub mod ref_ugatit_norm;
pub mod reference;

use rand::{Rng, SeedableRng};
use shaders::{Gpu, GpuOptions};

/// Opens the test GPU. A missing adapter fails the test: GPU tests never pass
/// without running.
pub fn gpu() -> Gpu {
    match Gpu::new_blocking(GpuOptions::default()) {
        Ok(g) => g,
        Err(e) => panic!("GPU tests need an adapter: {e}"),
    }
}

/// Seeded uniform values in [-1, 1).
pub fn random(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..len).map(|_| rng.gen_range(-1.0f32..1.0)).collect()
}

/// Asserts |got - want| <= atol + rtol * |want| everywhere; the failure names
/// the worst index (as a multi-index of `shape`) and its values.
pub fn assert_close(what: &str, got: &[f32], want: &[f64], shape: &[usize], atol: f64, rtol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: {} values, expected {}", got.len(), want.len());
    let mut worst = (0usize, 0.0f64);
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let excess = if g.is_finite() { (g as f64 - w).abs() - (atol + rtol * w.abs()) } else { f64::INFINITY };
        if excess > worst.1 || (i == 0 && excess > 0.0) {
            worst = (i, excess);
        }
    }
    if worst.1 > 0.0 {
        let i = worst.0;
        panic!(
            "{what}: worst mismatch at index {:?} (flat {i}) of shape {shape:?}: got {}, want {}, |diff| {:.3e} > atol {atol:e} + rtol {rtol:e} * |want|",
            unravel(i, shape),
            got[i],
            want[i],
            (got[i] as f64 - want[i]).abs()
        );
    }
}

/// Flat index to multi-index.
pub fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for (d, &s) in shape.iter().enumerate().rev() {
        idx[d] = i % s;
        i /= s;
    }
    idx
}

/// Tolerance for a dot product of `k` terms of magnitude about 1 in f32.
pub fn dot_tolerance(k: usize) -> f64 {
    2e-6 * (k as f64).sqrt().max(1.0) * 4.0
}
