//! The activations fused into the convolutions' epilogues, against the f64
//! reference: every activation at ordinary magnitudes, and tanh (the
//! generators' output layers) at pre-activations of 100 to 1000 in magnitude,
//! where WGSL's builtin tanh may return NaN (gpuweb/gpuweb#4458).

use shaders::ops::{conv2d, conv_transpose2d, Activation, Conv2dParams, ConvTranspose2dParams, Padding};
use shaders::Tensor;
use tests::ref_norm::activate;
use tests::{assert_close, dot_tolerance, gpu, random, reference};

const ACTIVATIONS: [Activation; 5] =
    [Activation::None, Activation::Relu, Activation::LeakyRelu(0.2), Activation::Tanh, Activation::Sigmoid];

/// Biases of magnitude 150 to 950, alternating in sign, so that with weights
/// scaled to 0.1 (|conv| <= 0.1 * K, at most 40 for the layers below) every
/// pre-activation lies between 100 and 1000 in magnitude, both signs.
fn large_bias(c: usize, seed: u64) -> Vec<f32> {
    random(c, seed).iter().enumerate().map(|(i, r)| (550.0 + 400.0 * r) * if i % 2 == 0 { 1.0 } else { -1.0 }).collect()
}

/// The generator's last layer, ReflectionPad(3) + Conv7x7 + tanh, at large
/// pre-activations: finite +-1 everywhere, as the reference.
#[test]
fn conv2d_tanh_saturates_at_large_pre_activations() {
    let g = gpu();
    let (xs, ws) = ([2, 8, 11, 9], [3, 8, 7, 7]);
    let x = random(xs.iter().product(), 1);
    let w: Vec<f32> = random(ws.iter().product(), 2).iter().map(|v| v * 0.1).collect();
    let b = large_bias(ws[0], 3);
    let p = Conv2dParams { stride: 1, padding: 3, padding_mode: Padding::Reflect, activation: Activation::Tanh };
    let xt = Tensor::from_slice(&g, &xs, &x).unwrap();
    let wt = Tensor::from_slice(&g, &ws, &w).unwrap();
    let bt = Tensor::from_slice(&g, &[ws[0]], &b).unwrap();
    let got = conv2d(&g, &xt, &wt, Some(&bt), &p).unwrap().read_blocking(&g).unwrap();
    let (pre, shape) = reference::conv2d(&x, xs, &w, ws, Some(&b), 1, 3, true);
    assert!(pre.iter().all(|v| (100.0..=1000.0).contains(&v.abs())), "pre-activations outside 100..1000");
    assert!(pre.iter().any(|&v| v > 0.0) && pre.iter().any(|&v| v < 0.0));
    let want: Vec<f64> = pre.iter().map(|v| v.tanh()).collect();
    assert!(got.iter().all(|v| v.is_finite() && v.abs() == 1.0), "conv2d tanh: not every output is +-1");
    assert_close("conv2d tanh, |pre| 100..1000", &got, &want, &shape, 0.0, 0.0);
}

/// A transposed-convolution output layer (DCGAN's, k4 s2 p1) + tanh at large
/// pre-activations.
#[test]
fn conv_transpose2d_tanh_saturates_at_large_pre_activations() {
    let g = gpu();
    let (xs, ws) = ([2, 8, 5, 7], [8, 3, 4, 4]);
    let x = random(xs.iter().product(), 11);
    let w: Vec<f32> = random(ws.iter().product(), 12).iter().map(|v| v * 0.1).collect();
    let b = large_bias(ws[1], 13);
    let p = ConvTranspose2dParams { stride: 2, padding: 1, output_padding: 0, activation: Activation::Tanh };
    let xt = Tensor::from_slice(&g, &xs, &x).unwrap();
    let wt = Tensor::from_slice(&g, &ws, &w).unwrap();
    let bt = Tensor::from_slice(&g, &[ws[1]], &b).unwrap();
    let got = conv_transpose2d(&g, &xt, &wt, Some(&bt), &p).unwrap().read_blocking(&g).unwrap();
    let (pre, shape) = reference::conv_transpose2d(&x, xs, &w, ws, Some(&b), 2, 1, 0);
    assert!(pre.iter().all(|v| (100.0..=1000.0).contains(&v.abs())), "pre-activations outside 100..1000");
    assert!(pre.iter().any(|&v| v > 0.0) && pre.iter().any(|&v| v < 0.0));
    let want: Vec<f64> = pre.iter().map(|v| v.tanh()).collect();
    assert!(got.iter().all(|v| v.is_finite() && v.abs() == 1.0), "conv_transpose2d tanh: not every output is +-1");
    assert_close("conv_transpose2d tanh, |pre| 100..1000", &got, &want, &shape, 0.0, 0.0);
}

/// Every activation of both convolutions at ordinary magnitudes. The
/// activations are 1-Lipschitz, so the dot product's tolerance carries over.
#[test]
fn conv_epilogues_match_the_reference() {
    let g = gpu();
    let (xs, ws) = ([2, 5, 9, 7], [6, 5, 3, 3]);
    let x = random(xs.iter().product(), 21);
    let w = random(ws.iter().product(), 22);
    let b = random(ws[0], 23);
    let xt = Tensor::from_slice(&g, &xs, &x).unwrap();
    let wt = Tensor::from_slice(&g, &ws, &w).unwrap();
    let bt = Tensor::from_slice(&g, &[ws[0]], &b).unwrap();
    let (pre, shape) = reference::conv2d(&x, xs, &w, ws, Some(&b), 1, 1, false);
    let (pre_t, shape_t) = reference::conv_transpose2d(&x, xs, &w, [5, 6, 3, 3], Some(&b), 2, 1, 1);
    let wt_t = Tensor::from_slice(&g, &[5, 6, 3, 3], &w).unwrap();
    let tol = dot_tolerance(5 * 9);
    for a in ACTIVATIONS {
        let p = Conv2dParams { stride: 1, padding: 1, padding_mode: Padding::Zero, activation: a };
        let got = conv2d(&g, &xt, &wt, Some(&bt), &p).unwrap().read_blocking(&g).unwrap();
        let want: Vec<f64> = pre.iter().map(|&v| activate(v, a)).collect();
        assert_close(&format!("conv2d {a:?}"), &got, &want, &shape, tol, 1e-5);
        let p = ConvTranspose2dParams { stride: 2, padding: 1, output_padding: 1, activation: a };
        let got = conv_transpose2d(&g, &xt, &wt_t, Some(&bt), &p).unwrap().read_blocking(&g).unwrap();
        let want: Vec<f64> = pre_t.iter().map(|&v| activate(v, a)).collect();
        assert_close(&format!("conv_transpose2d {a:?}"), &got, &want, &shape_t, tol, 1e-5);
    }
}
