//! instance_norm against the f64 CPU reference.

use shaders::ops::{instance_norm, Activation, InstanceNormParams};
use shaders::{Error, Gpu, Tensor};
use tests::{assert_close, gpu, random, ref_norm};

struct Case {
    x: [usize; 4],
    affine: bool,
    act: Activation,
    residual: bool,
}

/// Runs one case on `x` and checks y and the stats against the reference
/// with absolute and relative tolerance `tol`.
fn check_with(g: &Gpu, c: &Case, x: &[f32], seed: u64, tol: f64) {
    let ch = c.x[1];
    let gamma = random(ch, seed + 1);
    let beta = random(ch, seed + 2);
    let res = random(x.len(), seed + 3);
    let xt = Tensor::from_slice(g, &c.x, x).unwrap();
    let gt = Tensor::from_slice(g, &[ch], &gamma).unwrap();
    let bt = Tensor::from_slice(g, &[ch], &beta).unwrap();
    let rt = Tensor::from_slice(g, &c.x, &res).unwrap();
    let params = InstanceNormParams { eps: 1e-5, activation: c.act };
    let (y, stats) = instance_norm(g, &xt, c.affine.then_some((&gt, &bt)), &params, c.residual.then_some(&rt)).unwrap();
    let (want, want_stats) = ref_norm::instance_norm(
        x,
        c.x,
        c.affine.then_some((&gamma[..], &beta[..])),
        1e-5,
        c.act,
        c.residual.then_some(&res[..]),
    );
    assert_eq!(y.shape(), &c.x[..]);
    assert_eq!(stats.shape(), &[c.x[0], ch, 2][..]);
    let what = format!("instance_norm x{:?} affine={} act={:?} residual={}", c.x, c.affine, c.act, c.residual);
    assert_close(&what, &y.read_blocking(g).unwrap(), &want, &c.x, tol, tol);
    assert_close(&format!("{what} stats"), &stats.read_blocking(g).unwrap(), &want_stats, &[c.x[0], ch, 2], tol, tol);
}

fn check(g: &Gpu, c: &Case, seed: u64) {
    let x = random(c.x.iter().product(), seed);
    check_with(g, c, &x, seed, 1e-5);
}

#[test]
fn instance_norm_odd_shapes() {
    let g = gpu();
    let s = [2, 3, 37, 29];
    let cases = [
        Case { x: s, affine: false, act: Activation::None, residual: false },
        Case { x: s, affine: true, act: Activation::None, residual: false },
        Case { x: s, affine: true, act: Activation::Relu, residual: false },
        Case { x: s, affine: false, act: Activation::LeakyRelu(0.2), residual: true },
        Case { x: s, affine: true, act: Activation::Tanh, residual: true },
        Case { x: [3, 5, 7, 3], affine: true, act: Activation::None, residual: false },
        Case { x: [1, 2, 1, 31], affine: false, act: Activation::Relu, residual: true },
        Case { x: [1, 1, 300, 211], affine: true, act: Activation::None, residual: false },
    ];
    for (i, c) in cases.iter().enumerate() {
        check(&g, c, 100 + 10 * i as u64);
    }
}

#[test]
fn instance_norm_one_pixel_planes() {
    // A 1x1 plane has variance 0: the output is exactly beta (0 without
    // affine), and rstd is 1 / sqrt(eps).
    let g = gpu();
    let s = [2, 5, 1, 1];
    let x = random(10, 7);
    let gamma = random(5, 8);
    let beta = random(5, 9);
    let xt = Tensor::from_slice(&g, &s, &x).unwrap();
    let gt = Tensor::from_slice(&g, &[5], &gamma).unwrap();
    let bt = Tensor::from_slice(&g, &[5], &beta).unwrap();
    let p = InstanceNormParams::default();
    let (y, stats) = instance_norm(&g, &xt, Some((&gt, &bt)), &p, None).unwrap();
    let want: Vec<f64> = (0..10).map(|i| beta[i % 5] as f64).collect();
    assert_close("instance_norm 1x1 affine", &y.read_blocking(&g).unwrap(), &want, &s, 0.0, 0.0);
    let want_stats: Vec<f64> = x.iter().flat_map(|&v| [v as f64, 1.0 / (1e-5f64).sqrt()]).collect();
    assert_close("instance_norm 1x1 stats", &stats.read_blocking(&g).unwrap(), &want_stats, &[2, 5, 2], 0.0, 1e-6);
    let (y, _) = instance_norm(&g, &xt, None, &p, None).unwrap();
    assert_close("instance_norm 1x1", &y.read_blocking(&g).unwrap(), &[0.0; 10], &s, 0.0, 0.0);
}

#[test]
fn instance_norm_large_plane_with_offset() {
    // 100 + noise in [-1, 1) over 2^20 values: E[x^2] - E[x]^2 in f32 would
    // lose every digit of the variance (1/3) to the mean's 10^4; the
    // corrected two-pass reduction keeps y within 2e-5.
    let g = gpu();
    let s = [1, 1, 1024, 1024];
    let x: Vec<f32> = random(1 << 20, 11).iter().map(|v| 100.0 + v).collect();
    let c = Case { x: s, affine: false, act: Activation::None, residual: false };
    check_with(&g, &c, &x, 11, 2e-5);
}

#[test]
fn instance_norm_cyclegan_layers() {
    let g = gpu();
    let cases = [
        // Generator at 64x64 input: c7s1-64, d128, d256 (IN + ReLU)
        Case { x: [1, 64, 64, 64], affine: false, act: Activation::Relu, residual: false },
        Case { x: [1, 128, 32, 32], affine: false, act: Activation::Relu, residual: false },
        Case { x: [1, 256, 16, 16], affine: false, act: Activation::Relu, residual: false },
        // ResNet block tail: IN, then + skip
        Case { x: [1, 256, 16, 16], affine: false, act: Activation::None, residual: true },
        // PatchGAN at 64x64 input: IN + LeakyReLU 0.2
        Case { x: [1, 128, 16, 16], affine: false, act: Activation::LeakyRelu(0.2), residual: false },
        Case { x: [1, 256, 8, 8], affine: false, act: Activation::LeakyRelu(0.2), residual: false },
        Case { x: [1, 512, 7, 7], affine: false, act: Activation::LeakyRelu(0.2), residual: false },
    ];
    for (i, c) in cases.iter().enumerate() {
        check(&g, c, 300 + 10 * i as u64);
    }
}

#[test]
fn instance_norm_many_planes() {
    // N*C above the 65535 workgroups of one dispatch dimension.
    let g = gpu();
    let c = Case { x: [2, 33000, 1, 3], affine: true, act: Activation::None, residual: false };
    check(&g, &c, 400);
}

#[test]
fn instance_norm_shape_errors() {
    let g = gpu();
    let x = Tensor::zeros(&g, &[2, 3, 4, 5]).unwrap();
    let p = InstanceNormParams::default();
    let c3 = Tensor::zeros(&g, &[3]).unwrap();
    let c4 = Tensor::zeros(&g, &[4]).unwrap();
    let flat = Tensor::zeros(&g, &[6, 20]).unwrap();
    let other = Tensor::zeros(&g, &[2, 3, 5, 4]).unwrap();
    let is_shape = |r: shaders::Result<(Tensor, Tensor)>| matches!(r, Err(Error::Shape { op: "instance_norm", .. }));
    assert!(is_shape(instance_norm(&g, &flat, None, &p, None)));
    assert!(is_shape(instance_norm(&g, &x, Some((&c3, &c4)), &p, None)));
    assert!(is_shape(instance_norm(&g, &x, Some((&c4, &c4)), &p, None)));
    assert!(is_shape(instance_norm(&g, &x, None, &p, Some(&other))));
    assert!(is_shape(instance_norm(&g, &x, None, &InstanceNormParams { eps: -1.0, ..p }, None)));
    assert!(instance_norm(&g, &x, Some((&c3, &c3)), &p, Some(&x)).is_ok());
    g.sync().unwrap();
}
