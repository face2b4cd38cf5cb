//! Convolution gradients against the f64 CPU adjoint and against central
//! finite differences of the f64 CPU forward.
//!
//! The loss is L = sum(y * r) for a fixed random r, so dL/dy = r. The forward
//! is linear in each operand, so a central difference with the exact step
//! (x + h and x - h rounded to f32, their difference taken in f64) is exact up
//! to f64 rounding; the tolerance is that of the GPU's f32 reduction.

use rand::{Rng, SeedableRng};
use shaders::ops::{
    conv2d_backward_bias, conv2d_backward_input, conv2d_backward_input_form, conv2d_backward_weight,
    conv2d_backward_weight_form, conv_transpose2d_backward_bias, conv_transpose2d_backward_input,
    conv_transpose2d_backward_weight, Conv2dParams, ConvForm, ConvTranspose2dParams, Padding,
};
use shaders::{AdapterClass, Gpu, Tensor, Tuning};
use tests::{assert_close, dot_tolerance, gpu, random, ref_conv_backward, reference, unravel};

const H: f32 = 1e-3;
/// Entries of each operand checked by finite differences.
const FD_SAMPLES: usize = 8;

struct Conv {
    x: [usize; 4],
    w: [usize; 4],
    stride: usize,
    pad: usize,
    reflect: bool,
}

struct Transposed {
    x: [usize; 4],
    w: [usize; 4],
    stride: usize,
    pad: usize,
    out_pad: usize,
}

/// Indices to check by finite differences: both ends and random ones.
fn sample(len: usize, seed: u64) -> Vec<usize> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut idx = vec![0, len - 1];
    idx.extend((0..FD_SAMPLES.saturating_sub(2)).map(|_| rng.gen_range(0..len)));
    idx
}

/// Central difference of `loss` with respect to `v[i]`, with the step
/// actually taken after rounding to f32.
fn central_difference(v: &mut [f32], i: usize, loss: &mut dyn FnMut(&[f32]) -> f64) -> f64 {
    let orig = v[i];
    let (plus, minus) = (orig + H, orig - H);
    v[i] = plus;
    let lp = loss(v);
    v[i] = minus;
    let lm = loss(v);
    v[i] = orig;
    (lp - lm) / (plus as f64 - minus as f64)
}

/// Compares `got` at sampled indices with central differences of `loss`.
fn check_fd(
    what: &str,
    got: &[f32],
    v: &mut [f32],
    shape: &[usize],
    atol: f64,
    seed: u64,
    loss: &mut dyn FnMut(&[f32]) -> f64,
) {
    for i in sample(v.len(), seed) {
        let fd = central_difference(v, i, loss);
        let diff = (got[i] as f64 - fd).abs();
        assert!(
            diff <= atol + 1e-5 * fd.abs(),
            "{what}: finite difference mismatch at index {:?} of shape {shape:?}: got {}, finite difference {fd}, |diff| {diff:.3e} > atol {atol:e}",
            unravel(i, shape),
            got[i]
        );
    }
}

fn dot(y: &[f64], r: &[f32]) -> f64 {
    y.iter().zip(r).map(|(&a, &b)| a * b as f64).sum()
}

fn check_conv2d(g: &Gpu, c: &Conv, seed: u64) {
    let x = random(c.x.iter().product(), seed);
    let mut w = random(c.w.iter().product(), seed + 1);
    let mut b = random(c.w[0], seed + 2);
    let (_, ys) = reference::conv2d(&x, c.x, &w, c.w, None, c.stride, c.pad, c.reflect);
    let r = random(ys.iter().product(), seed + 3);
    let params = Conv2dParams {
        stride: c.stride,
        padding: c.pad,
        padding_mode: if c.reflect { Padding::Reflect } else { Padding::Zero },
        ..Default::default()
    };
    let xt = Tensor::from_slice(g, &c.x, &x).unwrap();
    let wt = Tensor::from_slice(g, &c.w, &w).unwrap();
    let dyt = Tensor::from_slice(g, &ys, &r).unwrap();
    let dx = conv2d_backward_input(g, &dyt, &wt, c.x, &params).unwrap();
    let dw = conv2d_backward_weight(g, &xt, &dyt, c.w, &params).unwrap();
    let db = conv2d_backward_bias(g, &dyt).unwrap();
    assert_eq!((dx.shape(), dw.shape(), db.shape()), (&c.x[..], &c.w[..], &[c.w[0]][..]));
    let (dx, dw, db) = (dx.read_blocking(g).unwrap(), dw.read_blocking(g).unwrap(), db.read_blocking(g).unwrap());

    let what = format!("conv2d x{:?} w{:?} s{} p{} reflect={}", c.x, c.w, c.stride, c.pad, c.reflect);
    // dx sums C_out * KH * KW products at most (twice per axis where reflect
    // folds a mirrored row onto it); dw and db sum N * H_out * W_out.
    let k_dx = c.w[0] * c.w[2] * c.w[3] * if c.reflect { 4 } else { 1 };
    let k_dw = ys[0] * ys[2] * ys[3];
    let (tol_dx, tol_dw) = (dot_tolerance(k_dx), dot_tolerance(k_dw));
    let (rdx, rdw, rdb) = ref_conv_backward::conv2d_backward(&x, c.x, &w, c.w, &r, c.stride, c.pad, c.reflect);
    assert_close(&format!("{what}: dx"), &dx, &rdx, &c.x, tol_dx, 1e-5);
    assert_close(&format!("{what}: dw"), &dw, &rdw, &c.w, tol_dw, 1e-5);
    assert_close(&format!("{what}: db"), &db, &rdb, &[c.w[0]], tol_dw, 1e-5);

    let (s, p, refl) = (c.stride, c.pad, c.reflect);
    let wc = w.clone();
    check_fd(&format!("{what}: dx"), &dx, &mut x.clone(), &c.x, tol_dx, seed + 4, &mut |xv| {
        dot(&reference::conv2d(xv, c.x, &wc, c.w, None, s, p, refl).0, &r)
    });
    let xc = x.clone();
    check_fd(&format!("{what}: dw"), &dw, &mut w, &c.w, tol_dw, seed + 5, &mut |wv| {
        dot(&reference::conv2d(&xc, c.x, wv, c.w, None, s, p, refl).0, &r)
    });
    let wc = w.clone();
    check_fd(&format!("{what}: db"), &db, &mut b, &[c.w[0]], tol_dw, seed + 6, &mut |bv| {
        dot(&reference::conv2d(&x, c.x, &wc, c.w, Some(bv), s, p, refl).0, &r)
    });
}

fn check_conv_transpose2d(g: &Gpu, c: &Transposed, seed: u64) {
    let x = random(c.x.iter().product(), seed);
    let mut w = random(c.w.iter().product(), seed + 1);
    let mut b = random(c.w[1], seed + 2);
    let (s, p, op) = (c.stride, c.pad, c.out_pad);
    let (_, ys) = reference::conv_transpose2d(&x, c.x, &w, c.w, None, s, p, op);
    let r = random(ys.iter().product(), seed + 3);
    let params = ConvTranspose2dParams { stride: s, padding: p, output_padding: op, ..Default::default() };
    let xt = Tensor::from_slice(g, &c.x, &x).unwrap();
    let wt = Tensor::from_slice(g, &c.w, &w).unwrap();
    let dyt = Tensor::from_slice(g, &ys, &r).unwrap();
    let dx = conv_transpose2d_backward_input(g, &dyt, &wt, &params).unwrap();
    let dw = conv_transpose2d_backward_weight(g, &xt, &dyt, c.w, &params).unwrap();
    let db = conv_transpose2d_backward_bias(g, &dyt).unwrap();
    assert_eq!((dx.shape(), dw.shape(), db.shape()), (&c.x[..], &c.w[..], &[c.w[1]][..]));
    let (dx, dw, db) = (dx.read_blocking(g).unwrap(), dw.read_blocking(g).unwrap(), db.read_blocking(g).unwrap());

    let what = format!("conv_transpose2d x{:?} w{:?} s{s} p{p} op{op}", c.x, c.w);
    let tol_dx = dot_tolerance(c.w[1] * c.w[2] * c.w[3]);
    let tol_dw = dot_tolerance(c.x[0] * c.x[2] * c.x[3]);
    let tol_db = dot_tolerance(ys[0] * ys[2] * ys[3]);
    let (rdx, rdw, rdb) = ref_conv_backward::conv_transpose2d_backward(&x, c.x, &w, c.w, &r, s, p, op);
    assert_close(&format!("{what}: dx"), &dx, &rdx, &c.x, tol_dx, 1e-5);
    assert_close(&format!("{what}: dw"), &dw, &rdw, &c.w, tol_dw, 1e-5);
    assert_close(&format!("{what}: db"), &db, &rdb, &[c.w[1]], tol_db, 1e-5);

    let wc = w.clone();
    check_fd(&format!("{what}: dx"), &dx, &mut x.clone(), &c.x, tol_dx, seed + 4, &mut |xv| {
        dot(&reference::conv_transpose2d(xv, c.x, &wc, c.w, None, s, p, op).0, &r)
    });
    check_fd(&format!("{what}: dw"), &dw, &mut w, &c.w, tol_dw, seed + 5, &mut |wv| {
        dot(&reference::conv_transpose2d(&x, c.x, wv, c.w, None, s, p, op).0, &r)
    });
    let wc = w.clone();
    check_fd(&format!("{what}: db"), &db, &mut b, &[c.w[1]], tol_db, seed + 6, &mut |bv| {
        dot(&reference::conv_transpose2d(&x, c.x, &wc, c.w, Some(bv), s, p, op).0, &r)
    });
}

#[test]
fn conv2d_backward_odd_shapes() {
    let g = gpu();
    let cases = [
        Conv { x: [2, 3, 13, 11], w: [5, 3, 3, 3], stride: 1, pad: 1, reflect: false },
        Conv { x: [2, 3, 13, 11], w: [5, 3, 3, 3], stride: 2, pad: 1, reflect: true },
        Conv { x: [2, 9, 7, 5], w: [17, 9, 3, 3], stride: 1, pad: 2, reflect: true },
        // Different output_padding per axis (1 along H, 2 along W): the last
        // rows and columns are seen by no output.
        Conv { x: [2, 5, 9, 10], w: [3, 5, 5, 2], stride: 3, pad: 0, reflect: false },
        // Kernel smaller than the stride: every other row and column unseen.
        Conv { x: [1, 3, 10, 9], w: [4, 3, 1, 1], stride: 2, pad: 0, reflect: false },
        // Padding wider than the kernel: border outputs see only zeros.
        Conv { x: [1, 2, 7, 8], w: [3, 2, 3, 3], stride: 1, pad: 3, reflect: false },
        Conv { x: [1, 1, 1, 1], w: [1, 1, 1, 1], stride: 1, pad: 0, reflect: false },
        // Long reduction: split-K with several splits.
        Conv { x: [2, 3, 64, 48], w: [3, 3, 7, 7], stride: 1, pad: 3, reflect: true },
    ];
    for (i, c) in cases.iter().enumerate() {
        check_conv2d(&g, c, 1000 + 10 * i as u64);
    }
}

/// The gradients by each tiled form (pinned): the input gradient of stride-1
/// layers as the rotated-filter convolution reading the adjoint-packed weight
/// with its taps reversed (zero and reflect padding, kernels 3, 4 and 5),
/// where the layer's input channels (that convolution's outputs) fill the
/// form's tile; the weight gradient by the tiled GEMM where the forward pass
/// runs the form: channel tails, strides, zero and reflect padding, and a
/// reduction long enough to be split. Each case says which of the two runs
/// tiled (the other runs the direct kernels).
#[test]
fn conv2d_backward_tiled() {
    let mut g = gpu();
    let cases = [
        (ConvForm::Tiled32, true, true, Conv { x: [2, 40, 9, 8], w: [36, 40, 3, 3], stride: 1, pad: 1, reflect: true }),
        (
            ConvForm::Tiled64,
            true,
            false,
            Conv { x: [1, 68, 10, 9], w: [20, 68, 4, 4], stride: 1, pad: 1, reflect: false },
        ),
        (
            ConvForm::Tiled128,
            true,
            false,
            Conv { x: [1, 130, 9, 8], w: [12, 130, 5, 5], stride: 1, pad: 2, reflect: true },
        ),
        (
            ConvForm::Tiled64,
            false,
            true,
            Conv { x: [1, 20, 10, 9], w: [68, 20, 3, 3], stride: 1, pad: 1, reflect: false },
        ),
        (
            ConvForm::Tiled128,
            false,
            true,
            Conv { x: [2, 9, 9, 8], w: [130, 9, 3, 3], stride: 1, pad: 1, reflect: true },
        ),
        (
            ConvForm::Tiled32,
            false,
            true,
            Conv { x: [1, 6, 19, 23], w: [40, 6, 4, 4], stride: 2, pad: 1, reflect: false },
        ),
        (
            ConvForm::Tiled32,
            false,
            true,
            Conv { x: [1, 4, 64, 70], w: [33, 4, 3, 3], stride: 1, pad: 1, reflect: false },
        ),
    ];
    for (i, (form, dx_tiled, dw_tiled, c)) in cases.iter().enumerate() {
        g.set_conv_form(Some(*form));
        let p = Conv2dParams {
            stride: c.stride,
            padding: c.pad,
            padding_mode: if c.reflect { Padding::Reflect } else { Padding::Zero },
            ..Default::default()
        };
        let want = |tiled: bool| if tiled { *form } else { ConvForm::Direct };
        assert_eq!(conv2d_backward_input_form(&g, c.x, c.w, &p), want(*dx_tiled), "dx of {:?}", c.x);
        assert_eq!(conv2d_backward_weight_form(&g, c.x, c.w, &p), want(*dw_tiled), "dw of {:?}", c.x);
        check_conv2d(&g, c, 2500 + 10 * i as u64);
    }
}

#[test]
fn conv2d_backward_cyclegan_layers() {
    let g = gpu();
    let cases = [
        // ReflectionPad(3) + Conv7x7 (generator head and tail)
        Conv { x: [1, 3, 22, 18], w: [8, 3, 7, 7], stride: 1, pad: 3, reflect: true },
        Conv { x: [1, 8, 22, 18], w: [3, 8, 7, 7], stride: 1, pad: 3, reflect: true },
        // Conv3x3 s2 p1 (downsampling)
        Conv { x: [2, 8, 22, 18], w: [16, 8, 3, 3], stride: 2, pad: 1, reflect: false },
        // ReflectionPad(1) + Conv3x3 (residual block)
        Conv { x: [2, 32, 11, 9], w: [32, 32, 3, 3], stride: 1, pad: 1, reflect: true },
        // Conv4x4 s2 p1 and s1 p1 (PatchGAN)
        Conv { x: [2, 3, 35, 35], w: [8, 3, 4, 4], stride: 2, pad: 1, reflect: false },
        Conv { x: [1, 32, 9, 9], w: [64, 32, 4, 4], stride: 1, pad: 1, reflect: false },
        Conv { x: [1, 64, 8, 8], w: [1, 64, 4, 4], stride: 1, pad: 1, reflect: false },
    ];
    for (i, c) in cases.iter().enumerate() {
        check_conv2d(&g, c, 2000 + 10 * i as u64);
    }
}

#[test]
fn conv_transpose2d_backward_odd_shapes() {
    let g = gpu();
    let cases = [
        Transposed { x: [2, 3, 13, 11], w: [3, 5, 3, 3], stride: 2, pad: 1, out_pad: 1 },
        Transposed { x: [2, 3, 7, 9], w: [3, 9, 4, 4], stride: 2, pad: 1, out_pad: 0 },
        Transposed { x: [1, 5, 6, 5], w: [5, 3, 5, 3], stride: 3, pad: 2, out_pad: 2 },
        Transposed { x: [1, 4, 5, 7], w: [4, 6, 3, 3], stride: 1, pad: 1, out_pad: 0 },
        Transposed { x: [2, 3, 5, 4], w: [3, 2, 1, 1], stride: 2, pad: 0, out_pad: 1 },
        Transposed { x: [1, 1, 1, 1], w: [1, 1, 1, 1], stride: 1, pad: 0, out_pad: 0 },
        Transposed { x: [2, 9, 24, 20], w: [9, 3, 3, 3], stride: 2, pad: 1, out_pad: 1 },
        // 8 x 8 weight-gradient blocks with tails on both sides.
        Transposed { x: [2, 13, 6, 5], w: [13, 10, 3, 3], stride: 2, pad: 1, out_pad: 1 },
    ];
    for (i, c) in cases.iter().enumerate() {
        check_conv_transpose2d(&g, c, 3000 + 10 * i as u64);
    }
}

#[test]
fn conv_transpose2d_backward_cyclegan_layers() {
    let g = gpu();
    // ConvTranspose3x3 s2 p1 output_padding 1 (generator upsampling)
    let cases = [
        Transposed { x: [1, 32, 6, 5], w: [32, 16, 3, 3], stride: 2, pad: 1, out_pad: 1 },
        Transposed { x: [2, 16, 11, 9], w: [16, 8, 3, 3], stride: 2, pad: 1, out_pad: 1 },
    ];
    for (i, c) in cases.iter().enumerate() {
        check_conv_transpose2d(&g, c, 4000 + 10 * i as u64);
    }
}

/// The launch configuration of hardware GPUs (wider workgroups, more splits)
/// run on whatever adapter the tests have.
#[test]
fn conv_backward_gpu_tuning() {
    let mut g = gpu();
    g.set_tuning(Tuning::for_class(AdapterClass::Gpu));
    check_conv2d(&g, &Conv { x: [2, 3, 64, 48], w: [3, 3, 7, 7], stride: 1, pad: 3, reflect: true }, 5000);
    check_conv2d(&g, &Conv { x: [2, 9, 21, 17], w: [17, 9, 4, 4], stride: 2, pad: 1, reflect: false }, 5010);
    check_conv_transpose2d(&g, &Transposed { x: [2, 9, 24, 20], w: [9, 3, 3, 3], stride: 2, pad: 1, out_pad: 1 }, 5020);
}

/// Runs every gradient twice on the same inputs; the results must be
/// bit-identical (fixed reduction order, no atomics).
#[test]
fn conv_backward_is_deterministic() {
    let g = gpu();
    let (xs, ws) = ([2, 5, 70, 45], [6, 5, 3, 3]);
    let x = Tensor::from_slice(&g, &xs, &random(xs.iter().product(), 7)).unwrap();
    let w = Tensor::from_slice(&g, &ws, &random(ws.iter().product(), 8)).unwrap();
    let conv = Conv2dParams { stride: 1, padding: 1, padding_mode: Padding::Reflect, ..Default::default() };
    let ys = [2, 6, 70, 45];
    let dy = Tensor::from_slice(&g, &ys, &random(ys.iter().product(), 9)).unwrap();
    let tws = [6, 5, 3, 3];
    let tp = ConvTranspose2dParams { stride: 2, padding: 1, output_padding: 1, ..Default::default() };
    let tys = [2, 5, 140, 90];
    let tdy = Tensor::from_slice(&g, &tys, &random(tys.iter().product(), 10)).unwrap();
    let tw = Tensor::from_slice(&g, &tws, &random(tws.iter().product(), 11)).unwrap();
    let xt = Tensor::from_slice(&g, &[2, 6, 70, 45], &random(2 * 6 * 70 * 45, 12)).unwrap();
    let run = || -> Vec<Vec<u32>> {
        let outs = [
            conv2d_backward_input(&g, &dy, &w, xs, &conv).unwrap(),
            conv2d_backward_weight(&g, &x, &dy, ws, &conv).unwrap(),
            conv2d_backward_bias(&g, &dy).unwrap(),
            conv_transpose2d_backward_input(&g, &tdy, &tw, &tp).unwrap(),
            conv_transpose2d_backward_weight(&g, &xt, &tdy, tws, &tp).unwrap(),
            conv_transpose2d_backward_bias(&g, &tdy).unwrap(),
        ];
        outs.iter().map(|t| t.read_blocking(&g).unwrap().iter().map(|v| v.to_bits()).collect()).collect()
    };
    let (first, second) = (run(), run());
    let names =
        ["conv2d dx", "conv2d dw", "conv2d db", "conv_transpose2d dx", "conv_transpose2d dw", "conv_transpose2d db"];
    for ((a, b), name) in first.iter().zip(&second).zip(names) {
        if let Some(i) = a.iter().zip(b).position(|(u, v)| u != v) {
            panic!("{name}: run 2 differs from run 1 at flat index {i}");
        }
    }
}

#[test]
fn conv_backward_rejects_bad_shapes() {
    let g = gpu();
    let w = Tensor::zeros(&g, &[4, 3, 3, 3]).unwrap();
    let dy = Tensor::zeros(&g, &[1, 4, 5, 5]).unwrap();
    let p = Conv2dParams { padding: 1, ..Default::default() };
    // A 5x5 output with pad 1 and a 3x3 kernel comes from a 5x5 input, not 6x6.
    let e = conv2d_backward_input(&g, &dy, &w, [1, 3, 6, 6], &p).unwrap_err().to_string();
    assert!(e.contains("conv2d_backward_input") && e.contains("dy"), "{e}");
    let x = Tensor::zeros(&g, &[1, 2, 5, 5]).unwrap();
    let e = conv2d_backward_weight(&g, &x, &dy, [4, 3, 3, 3], &p).unwrap_err().to_string();
    assert!(e.contains("conv2d_backward_weight"), "{e}");
    let tp = ConvTranspose2dParams { stride: 2, padding: 1, output_padding: 1, ..Default::default() };
    let e = conv_transpose2d_backward_input(&g, &dy, &Tensor::zeros(&g, &[4, 4, 3, 3]).unwrap(), &tp)
        .unwrap_err()
        .to_string();
    assert!(e.contains("conv_transpose2d_backward_input"), "{e}");
}
