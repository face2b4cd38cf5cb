//! Checks of whole networks on the GPU: forward against the CPU reference
//! ([`crate::ref_nets`]) and backward (input and parameter gradients)
//! against central finite differences of the f64 reference forward.

use std::collections::BTreeMap;

use shaders::nn::io::weights::StateDict;
use shaders::nn::layers::params::SplitMix64;
use shaders::nn::layers::Mode;
use shaders::nn::nets::network::{Architecture, Network};
use shaders::{Gpu, Tensor};

use crate::ref_nets::{self, T};
use crate::{assert_close, random};

/// BatchNorm running statistics by module path: (running_mean, running_var).
pub type Running = BTreeMap<String, (Vec<f64>, Vec<f64>)>;

/// Runs the network in `mode` (dropout seeds from `SplitMix64(seed)`) and
/// compares its output with the reference's (intermediates rounded to f32);
/// returns the GPU output and the reference's BatchNorm running statistics
/// after the pass.
#[allow(clippy::too_many_arguments)]
pub fn check_forward(
    g: &Gpu,
    net: &Network,
    sd: &StateDict,
    x: &[f32],
    xs: [usize; 4],
    mode: Mode,
    seed: u64,
    tol: (f64, f64),
) -> (Vec<f32>, Running) {
    let arch = net.arch();
    let mut rng = SplitMix64(seed);
    let y = net.forward(g, &Tensor::from_slice(g, &xs, x).unwrap(), mode, Some(&mut rng)).unwrap();
    let (want, r) = ref_nets::forward(sd, &arch, &T::from_f32(x, xs), mode, Some(SplitMix64(seed)), true);
    assert_eq!(y.shape(), &want.shape[..], "{}: output shape", arch.describe());
    assert_eq!(
        rng.0,
        r.rng().unwrap().0,
        "{}: the GPU and the reference drew different numbers of seeds",
        arch.describe()
    );
    let got = y.read_blocking(g).unwrap();
    assert_close(
        &format!("{} forward {mode:?} x {xs:?}", arch.describe()),
        &got,
        &want.data,
        &want.shape,
        tol.0,
        tol.1,
    );
    (got, r.running)
}

/// L = sum(reference(x) * r) in f64 (no rounding) with one value of the
/// input (`which` None) or of the tensor `which` moved by `delta`.
#[allow(clippy::too_many_arguments)]
pub fn loss(
    sd: &StateDict,
    arch: &Architecture,
    x: &T,
    r: &[f64],
    mode: Mode,
    seed: u64,
    which: Option<&str>,
    i: usize,
    delta: f64,
) -> f64 {
    let mut x = x.clone();
    let mut net = ref_nets::RefNet::new(sd, mode, Some(SplitMix64(seed)), false);
    match which {
        None => x.data[i] += delta,
        Some(name) => net.perturb(name, i, delta),
    }
    let y = net.forward(arch, &x);
    y.data.iter().zip(r).map(|(a, b)| a * b).sum()
}

/// Central difference of [`loss`] with step `h`.
#[allow(clippy::too_many_arguments)]
pub fn finite_difference(
    sd: &StateDict,
    arch: &Architecture,
    x: &T,
    r: &[f64],
    mode: Mode,
    seed: u64,
    which: Option<&str>,
    i: usize,
    h: f64,
) -> f64 {
    let up = loss(sd, arch, x, r, mode, seed, which, i, h);
    let down = loss(sd, arch, x, r, mode, seed, which, i, -h);
    (up - down) / (2.0 * h)
}

/// How [`check_backward`] samples and compares.
#[derive(Clone, Debug)]
pub struct BackwardCase {
    /// Flat indices of the input whose gradient is checked.
    pub input_coords: Vec<usize>,
    /// Indices checked in a parameter of `n` values.
    pub param_coords: fn(usize) -> Vec<usize>,
    /// Step of the central differences (the reference is f64).
    pub h: f64,
    /// |GPU - finite difference| <= atol + rtol * |finite difference|.
    pub tol: (f64, f64),
}

/// A training forward and backward on the GPU with dL/dy = r (random, from
/// `r_seed`), in `mode` with dropout seeds from `SplitMix64(seed)`; checks
/// dL/dx and every parameter's gradient at the sampled coordinates against
/// central differences of the reference. Returns the largest
/// |GPU - finite difference| / (atol + rtol * |finite difference|) seen
/// and where.
#[allow(clippy::too_many_arguments)]
pub fn check_backward(
    g: &Gpu,
    arch: Architecture,
    sd: &StateDict,
    x: &[f32],
    xs: [usize; 4],
    r_seed: u64,
    mode: Mode,
    seed: u64,
    case: &BackwardCase,
) -> (f64, String) {
    let net = Network::new(g, arch, sd, true).unwrap();
    let mut rng = SplitMix64(seed);
    let (y, tape) = net.forward_train(g, &Tensor::from_slice(g, &xs, x).unwrap(), mode, Some(&mut rng)).unwrap();
    let r = random(y.len(), r_seed);
    let dy = Tensor::from_slice(g, y.shape(), &r).unwrap();
    let dx = net.backward(g, tape, &dy, true, true).unwrap().expect("input gradient requested");
    assert_eq!(dx.shape(), &xs[..]);
    let dx = dx.read_blocking(g).unwrap();
    let r: Vec<f64> = r.iter().map(|&v| v as f64).collect();
    let x64 = T::from_f32(x, xs);
    let mut worst = (0f64, String::new());
    let mut check = |what: String, got: f32, want: f64| {
        let tol = case.tol.0 + case.tol.1 * want.abs();
        let err = (got as f64 - want).abs();
        if err / tol > worst.0 {
            worst = (err / tol, format!("{what}: {got} vs {want}"));
        }
        assert!(
            err <= tol,
            "{} {mode:?}: {what}: GPU gradient {got}, finite difference {want}, |diff| {err:.3e} > {tol:.3e}",
            arch.describe()
        );
    };
    for &i in &case.input_coords {
        let fd = finite_difference(sd, &arch, &x64, &r, mode, seed, None, i, case.h);
        check(format!("dL/dx[{i}]"), dx[i], fd);
    }
    let params = net.params();
    for (k, spec) in params.specs().iter().enumerate() {
        let grad = params.grad(k).read_blocking(g).unwrap();
        for i in (case.param_coords)(grad.len()) {
            let fd = finite_difference(sd, &arch, &x64, &r, mode, seed, Some(&spec.name), i, case.h);
            check(format!("dL/d{}[{i}]", spec.name), grad[i], fd);
        }
    }
    worst
}
