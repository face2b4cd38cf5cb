//! The ops U-GAT-IT adds: the bias-free linear layer, global average and max
//! pooling, per-channel scaling and the channel sum of the class activation
//! map, nearest 2x upsampling and the in-place clamp of its rho parameters,
//! against f64 CPU references and central finite differences.
//!
//! Tolerances: elementwise results are one f32 rounding from the reference
//! (relative 1e-6). Sums and dot products of k terms of magnitude about 1
//! use `dot_tolerance(k)` absolute (a few f32 ulps times sqrt(k)) plus 1e-5
//! relative. Max pooling and upsampling copy values, so they are exact.
//! Finite differences in f64 with step 1e-4 of functions that are linear or
//! piecewise linear in the perturbed value are exact up to rounding; the
//! gradients compared against them are f32 sums of a few terms (1e-5).

use shaders::ops::{
    channel_scale, channel_scale_backward_weight, channel_sum, clamp_in_place, global_avg_pool,
    global_avg_pool_backward_input, global_max_pool, global_max_pool_backward_input, linear, linear_backward_input,
    linear_backward_input_parts, linear_backward_weight, linear_backward_weight_accumulate, linear_parts,
    upsample_nearest2x, upsample_nearest2x_backward_input, Activation,
};
use shaders::{Gpu, Tensor};
use tests::ref_train::central_difference;
use tests::{assert_close, dot_tolerance, gpu, random};

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

fn upload(g: &Gpu, shape: &[usize], seed: u64) -> (Tensor, Vec<f64>) {
    let v = random(shape.iter().product(), seed);
    (Tensor::from_slice(g, shape, &v).unwrap(), f64s(&v))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Checks `got`, the gradient of `f` at `at`, against central differences.
fn check_fd(what: &str, f: impl Fn(&[f64]) -> f64, at: &[f64], got: &[f32], shape: &[usize]) {
    let fd: Vec<f64> = (0..at.len()).map(|i| central_difference(&f, at, i, 1e-4)).collect();
    assert_close(what, got, &fd, shape, 1e-6, 1e-5);
}

// ---- references -----------------------------------------------------------

/// y [n, o] = x [n, i] . w [o, i]^T.
fn ref_linear(x: &[f64], w: &[f64], n: usize, i: usize, o: usize) -> Vec<f64> {
    (0..n * o).map(|k| dot(&x[k / o * i..][..i], &w[k % o * i..][..i])).collect()
}

/// dx [n, i] = dy [n, o] . w [o, i].
fn ref_linear_dx(dy: &[f64], w: &[f64], n: usize, i: usize, o: usize) -> Vec<f64> {
    (0..n * i).map(|k| (0..o).map(|j| dy[k / i * o + j] * w[j * i + k % i]).sum()).collect()
}

/// dw [o, i] = dy [n, o]^T . x [n, i].
fn ref_linear_dw(x: &[f64], dy: &[f64], n: usize, i: usize, o: usize) -> Vec<f64> {
    (0..o * i).map(|k| (0..n).map(|s| dy[s * o + k / i] * x[s * i + k % i]).sum()).collect()
}

fn ref_avg_pool(x: &[f64], hw: usize) -> Vec<f64> {
    x.chunks(hw).map(|p| p.iter().sum::<f64>() / hw as f64).collect()
}

/// (max, first index of the max) per plane.
fn ref_max_pool(x: &[f64], hw: usize) -> Vec<(f64, usize)> {
    x.chunks(hw)
        .map(|p| p.iter().enumerate().fold((f64::NEG_INFINITY, 0), |b, (i, &v)| if v > b.0 { (v, i) } else { b }))
        .collect()
}

fn ref_max_pool_dx(x: &[f64], dy: &[f64], hw: usize) -> Vec<f64> {
    let mut dx = vec![0.0; x.len()];
    for (plane, (_, at)) in ref_max_pool(x, hw).into_iter().enumerate() {
        dx[plane * hw + at] = dy[plane];
    }
    dx
}

fn ref_channel_scale(x: &[f64], w: &[f64], c: usize, hw: usize) -> Vec<f64> {
    x.iter().enumerate().map(|(k, v)| v * w[k / hw % c]).collect()
}

fn ref_channel_scale_dw(x: &[f64], dy: &[f64], c: usize, hw: usize) -> Vec<f64> {
    let mut dw = vec![0.0; c];
    for k in 0..x.len() {
        dw[k / hw % c] += dy[k] * x[k];
    }
    dw
}

fn ref_channel_sum(x: &[f64], [n, c, h, w]: [usize; 4]) -> Vec<f64> {
    let hw = h * w;
    (0..n * hw).map(|k| (0..c).map(|ch| x[(k / hw * c + ch) * hw + k % hw]).sum()).collect()
}

/// Nearest 2x upsampling of planes of h x w.
fn ref_upsample(x: &[f64], h: usize, w: usize) -> Vec<f64> {
    let len = x.len() * 4;
    (0..len)
        .map(|k| {
            let (plane, r) = (k / (4 * h * w), k % (4 * h * w));
            x[(plane * h + r / (2 * w) / 2) * w + r % (2 * w) / 2]
        })
        .collect()
}

fn ref_upsample_dx(dy: &[f64], h: usize, w: usize) -> Vec<f64> {
    let mut dx = vec![0.0; dy.len() / 4];
    for (k, &v) in dy.iter().enumerate() {
        let (plane, r) = (k / (4 * h * w), k % (4 * h * w));
        dx[(plane * h + r / (2 * w) / 2) * w + r % (2 * w) / 2] += v;
    }
    dx
}

// ---- linear ---------------------------------------------------------------

#[test]
fn linear_forward_and_gradients_against_reference() {
    let g = gpu();
    // (N, I, O): odd sizes, the CAM logits (O = 1), the MLP (C x C) at
    // C = 64 and 16, and a long flattened feature map; batches up to 4 take
    // the small-batch kernels, larger ones the tiled GEMM (split-K at 70000).
    let cases = [
        (3, 37, 5, 1u64),
        (1, 16, 1, 2),
        (2, 64, 64, 3),
        (4, 16, 16, 4),
        (2, 70000, 3, 5),
        (5, 37, 5, 6),
        (17, 33, 20, 7),
        (6, 70000, 3, 8),
    ];
    for (n, i, o, seed) in cases {
        let (xt, x) = upload(&g, &[n, i], seed);
        let (wt, w) = upload(&g, &[o, i], seed + 100);
        let (dyt, dy) = upload(&g, &[n, o], seed + 200);
        let what = format!("linear N={n} I={i} O={o}");
        let want = ref_linear(&x, &w, n, i, o);
        let got = linear(&g, &xt, &wt, Activation::None).unwrap().read_blocking(&g).unwrap();
        assert_close(&what, &got, &want, &[n, o], dot_tolerance(i), 1e-5);
        let relu: Vec<f64> = want.iter().map(|v| v.max(0.0)).collect();
        let got = linear(&g, &xt, &wt, Activation::Relu).unwrap().read_blocking(&g).unwrap();
        assert_close(&format!("{what} relu"), &got, &relu, &[n, o], dot_tolerance(i), 1e-5);
        let got = linear_backward_input(&g, &dyt, &wt).unwrap().read_blocking(&g).unwrap();
        assert_close(&format!("{what} dx"), &got, &ref_linear_dx(&dy, &w, n, i, o), &[n, i], dot_tolerance(o), 1e-5);
        let got = linear_backward_weight(&g, &xt, &dyt).unwrap().read_blocking(&g).unwrap();
        assert_close(&format!("{what} dw"), &got, &ref_linear_dw(&x, &dy, n, i, o), &[o, i], dot_tolerance(n), 1e-5);
    }
}

/// Uploads `w` [o, i] as row blocks of `rows` rows each.
fn upload_parts(g: &Gpu, w: &[f32], i: usize, rows: &[usize]) -> Vec<Tensor> {
    let mut at = 0;
    rows.iter()
        .map(|&r| {
            let t = Tensor::from_slice(g, &[r, i], &w[at * i..(at + r) * i]).unwrap();
            at += r;
            t
        })
        .collect()
}

/// Reads row blocks back as one [o, i] vector.
fn read_parts(g: &Gpu, parts: &[Tensor]) -> Vec<f32> {
    parts.iter().flat_map(|t| t.read_blocking(g).unwrap()).collect()
}

#[test]
fn linear_over_row_blocks_with_split_k_against_reference() {
    let g = gpu();
    // (N, I, row blocks): uneven blocks, a long inner dimension (split-K for
    // batches over 4: 5000 inputs give 4 splits, 70000 give 68), one block,
    // and the small-batch kernels.
    let cases = [
        (6, 5000, vec![16, 5, 16], 11u64),
        (5, 70000, vec![1, 2], 12),
        (5, 40, vec![7], 13),
        (3, 5000, vec![16, 5, 16], 14),
        (1, 70000, vec![1, 2], 15),
    ];
    for (n, i, rows, seed) in cases {
        let o: usize = rows.iter().sum();
        let (xt, x) = upload(&g, &[n, i], seed);
        let w = random(o * i, seed + 100);
        let parts = upload_parts(&g, &w, i, &rows);
        let wf = f64s(&w);
        let (dyt, dy) = upload(&g, &[n, o], seed + 200);
        let what = format!("linear_parts N={n} I={i} blocks {rows:?}");
        let want: Vec<f64> = ref_linear(&x, &wf, n, i, o).iter().map(|v| v.max(0.0)).collect();
        let got = linear_parts(&g, &xt, &parts, Activation::Relu).unwrap().read_blocking(&g).unwrap();
        assert_close(&what, &got, &want, &[n, o], dot_tolerance(i), 1e-5);
        let got = linear_backward_input_parts(&g, &dyt, &parts).unwrap().read_blocking(&g).unwrap();
        assert_close(&format!("{what} dx"), &got, &ref_linear_dx(&dy, &wf, n, i, o), &[n, i], dot_tolerance(o), 1e-5);
        // The weight gradient adds to what the gradient blocks hold.
        let g0 = random(o * i, seed + 300);
        let grads = upload_parts(&g, &g0, i, &rows);
        linear_backward_weight_accumulate(&g, &xt, &dyt, &grads).unwrap();
        let want: Vec<f64> = ref_linear_dw(&x, &dy, n, i, o).iter().zip(&g0).map(|(d, &a)| d + a as f64).collect();
        assert_close(&format!("{what} dw"), &read_parts(&g, &grads), &want, &[o, i], dot_tolerance(n) + 1e-6, 1e-5);
    }
}

#[test]
fn linear_gradients_past_65535_tiles_per_dimension() {
    // dx [5, I] and dw [2, I] of I = 2^20 + 17 inputs (batch 5: the tiled
    // kernels): 65,538 column tiles, more than one dispatch dimension holds.
    let g = gpu();
    let (n, i, o) = (5, (1 << 20) + 17, 2);
    let (xt, x) = upload(&g, &[n, i], 21);
    let (wt, w) = upload(&g, &[o, i], 22);
    let (dyt, dy) = upload(&g, &[n, o], 23);
    let got = linear_backward_input(&g, &dyt, &wt).unwrap().read_blocking(&g).unwrap();
    assert_close("dx past 65535 tiles", &got, &ref_linear_dx(&dy, &w, n, i, o), &[n, i], dot_tolerance(o), 1e-5);
    let got = linear_backward_weight(&g, &xt, &dyt).unwrap().read_blocking(&g).unwrap();
    assert_close("dw past 65535 tiles", &got, &ref_linear_dw(&x, &dy, n, i, o), &[o, i], dot_tolerance(n), 1e-5);
}

#[test]
fn linear_at_the_full_ugatit_fc0_shape() {
    // The full model's FC.0 at 256x256 (ch 64): w [256, 1048576], 1 GiB, as
    // eight 128 MiB blocks (WebGPU's default largest binding), batch 1.
    let g = gpu();
    let (o, i) = (256, 1 << 20);
    let block = (g.max_binding_bytes() as usize / (4 * i)).min(o);
    let rows: Vec<usize> = (0..o.div_ceil(block)).map(|k| block.min(o - k * block)).collect();
    assert!(rows.len() >= 8, "the default limits hold 1 GiB in {} blocks", rows.len());
    let x = random(i, 31);
    let w = random(o * i, 32);
    let dy = random(o, 33);
    let xt = Tensor::from_slice(&g, &[1, i], &x).unwrap();
    let dyt = Tensor::from_slice(&g, &[1, o], &dy).unwrap();
    let parts = upload_parts(&g, &w, i, &rows);
    let want: Vec<f64> =
        (0..o).map(|r| w[r * i..][..i].iter().zip(&x).map(|(&a, &b)| a as f64 * b as f64).sum()).collect();
    let got = linear_parts(&g, &xt, &parts, Activation::None).unwrap().read_blocking(&g).unwrap();
    assert_close("FC.0 forward", &got, &want, &[1, o], dot_tolerance(i), 1e-5);
    let mut want = vec![0.0f64; i];
    for (r, &d) in dy.iter().enumerate() {
        for (acc, &v) in want.iter_mut().zip(&w[r * i..][..i]) {
            *acc += d as f64 * v as f64;
        }
    }
    let got = linear_backward_input_parts(&g, &dyt, &parts).unwrap().read_blocking(&g).unwrap();
    assert_close("FC.0 dx", &got, &want, &[1, i], dot_tolerance(o), 1e-5);
    drop(parts);
    let grads: Vec<Tensor> = rows.iter().map(|&r| Tensor::zeros(&g, &[r, i]).unwrap()).collect();
    linear_backward_weight_accumulate(&g, &xt, &dyt, &grads).unwrap();
    let mut r0 = 0;
    for (k, t) in grads.iter().enumerate() {
        let got = t.read_blocking(&g).unwrap();
        let want: Vec<f64> = (0..got.len()).map(|j| dy[r0 + j / i] as f64 * x[j % i] as f64).collect();
        assert_close(&format!("FC.0 dw block {k}"), &got, &want, t.shape(), 0.0, 1e-6);
        r0 += rows[k];
    }
}

#[test]
fn linear_gradients_against_finite_differences() {
    let g = gpu();
    let (n, i, o) = (2, 3, 4);
    let (xt, x) = upload(&g, &[n, i], 11);
    let (wt, w) = upload(&g, &[o, i], 12);
    let (dyt, dy) = upload(&g, &[n, o], 13);
    // L = sum(dy * linear(x, w)); dL/dx and dL/dw are the backward kernels' outputs.
    let dx = linear_backward_input(&g, &dyt, &wt).unwrap().read_blocking(&g).unwrap();
    check_fd("linear dx vs finite differences", |v| dot(&dy, &ref_linear(v, &w, n, i, o)), &x, &dx, &[n, i]);
    let dw = linear_backward_weight(&g, &xt, &dyt).unwrap().read_blocking(&g).unwrap();
    check_fd("linear dw vs finite differences", |v| dot(&dy, &ref_linear(&x, v, n, i, o)), &w, &dw, &[o, i]);
}

// ---- global pooling -------------------------------------------------------

/// Odd shapes, 1x1 planes, a plane longer than a workgroup, the model's shape.
const POOL_SHAPES: [[usize; 4]; 5] = [[3, 5, 7, 9], [1, 4, 1, 1], [1, 2, 23, 29], [2, 16, 16, 16], [1, 1, 2, 3]];

#[test]
fn global_pools_against_reference() {
    let g = gpu();
    for (k, shape) in POOL_SHAPES.into_iter().enumerate() {
        let [n, c, h, w] = shape;
        let hw = h * w;
        let (xt, x) = upload(&g, &shape, 20 + k as u64);
        let (dyt, dy) = upload(&g, &[n, c], 30 + k as u64);
        let what = format!("{shape:?}");
        let got = global_avg_pool(&g, &xt).unwrap().read_blocking(&g).unwrap();
        assert_close(
            &format!("avg pool {what}"),
            &got,
            &ref_avg_pool(&x, hw),
            &[n, c],
            dot_tolerance(hw) / hw as f64,
            1e-5,
        );
        let got = global_avg_pool_backward_input(&g, &dyt, shape).unwrap().read_blocking(&g).unwrap();
        let want: Vec<f64> = (0..x.len()).map(|i| dy[i / hw] / hw as f64).collect();
        assert_close(&format!("avg pool dx {what}"), &got, &want, &shape, 0.0, 1e-6);
        let got = global_max_pool(&g, &xt).unwrap().read_blocking(&g).unwrap();
        let want: Vec<f64> = ref_max_pool(&x, hw).iter().map(|m| m.0).collect();
        assert_close(&format!("max pool {what}"), &got, &want, &[n, c], 0.0, 0.0);
        let got = global_max_pool_backward_input(&g, &xt, &dyt).unwrap().read_blocking(&g).unwrap();
        assert_close(&format!("max pool dx {what}"), &got, &ref_max_pool_dx(&x, &dy, hw), &shape, 0.0, 0.0);
    }
}

#[test]
fn global_pool_gradients_against_finite_differences() {
    let g = gpu();
    let shape = [2, 3, 2, 3];
    let hw = 6;
    let (xt, x) = upload(&g, &shape, 40);
    let (dyt, dy) = upload(&g, &[2, 3], 41);
    let dx = global_avg_pool_backward_input(&g, &dyt, shape).unwrap().read_blocking(&g).unwrap();
    check_fd("avg pool dx vs finite differences", |v| dot(&dy, &ref_avg_pool(v, hw)), &x, &dx, &shape);
    // Random values are at least 1e-4 apart with overwhelming probability,
    // so the step does not change which value is the maximum.
    let dx = global_max_pool_backward_input(&g, &xt, &dyt).unwrap().read_blocking(&g).unwrap();
    let max = |v: &[f64]| dot(&dy, &ref_max_pool(v, hw).iter().map(|m| m.0).collect::<Vec<_>>());
    check_fd("max pool dx vs finite differences", max, &x, &dx, &shape);
}

#[test]
fn global_max_pool_backward_sends_ties_to_the_first_maximum() {
    let g = gpu();
    // Plane 0: equal maxima at 3 and 10. Plane 1, 600 values and a
    // workgroup of 256: equal maxima at 100, 200, 300 and 556; 300 and 556
    // lie in invocation 44's slice, 100 and 200 in invocations 100 and 200,
    // so the tree reduction meets a lower invocation holding a higher index.
    let hw = 600;
    let mut x = random(2 * hw, 50).iter().map(|v| v * 0.5).collect::<Vec<f32>>();
    x[3] = 2.0;
    x[10] = 2.0;
    for at in [556, 300, 200, 100] {
        x[hw + at] = 3.0;
    }
    let xt = Tensor::from_slice(&g, &[1, 2, 20, 30], &x).unwrap();
    let dyt = Tensor::from_slice(&g, &[1, 2], &[1.5, -2.5]).unwrap();
    assert_eq!(global_max_pool(&g, &xt).unwrap().read_blocking(&g).unwrap(), [2.0, 3.0]);
    let dx = global_max_pool_backward_input(&g, &xt, &dyt).unwrap().read_blocking(&g).unwrap();
    let mut want = vec![0.0; 2 * hw];
    want[3] = 1.5;
    want[hw + 100] = -2.5;
    assert_close("max pool dx with ties", &dx, &want, &[1, 2, 20, 30], 0.0, 0.0);
    // An all-equal plane: the gradient goes to index 0.
    let xt = Tensor::from_slice(&g, &[1, 1, 3, 3], &[0.25; 9]).unwrap();
    let dyt = Tensor::from_slice(&g, &[1, 1], &[1.0]).unwrap();
    let dx = global_max_pool_backward_input(&g, &xt, &dyt).unwrap().read_blocking(&g).unwrap();
    assert_eq!(dx, [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
}

// ---- channel scale and sum ------------------------------------------------

#[test]
fn channel_scale_and_sum_against_reference() {
    let g = gpu();
    for (k, shape) in POOL_SHAPES.into_iter().enumerate() {
        let [n, c, h, w] = shape;
        let hw = h * w;
        let (xt, x) = upload(&g, &shape, 60 + k as u64);
        let (dyt, dy) = upload(&g, &shape, 70 + k as u64);
        // The model's CAM weight is a [1, C] row of the logits layer.
        let w_shape: &[usize] = if k % 2 == 0 { &[c] } else { &[1, c] };
        let (wt, wv) = upload(&g, w_shape, 80 + k as u64);
        let what = format!("{shape:?}");
        let got = channel_scale(&g, &xt, &wt).unwrap().read_blocking(&g).unwrap();
        assert_close(&format!("channel_scale {what}"), &got, &ref_channel_scale(&x, &wv, c, hw), &shape, 0.0, 1e-6);
        let got = channel_scale_backward_weight(&g, &xt, &dyt).unwrap().read_blocking(&g).unwrap();
        let want = ref_channel_scale_dw(&x, &dy, c, hw);
        assert_close(&format!("channel_scale dw {what}"), &got, &want, &[c], dot_tolerance(n * hw), 1e-5);
        let got = channel_sum(&g, &xt).unwrap().read_blocking(&g).unwrap();
        assert_close(
            &format!("channel_sum {what}"),
            &got,
            &ref_channel_sum(&x, shape),
            &[n, 1, h, w],
            dot_tolerance(c),
            1e-5,
        );
    }
}

#[test]
fn channel_scale_gradients_against_finite_differences() {
    let g = gpu();
    let shape = [2, 3, 2, 2];
    let (c, hw) = (3, 4);
    let (xt, x) = upload(&g, &shape, 90);
    let (wt, w) = upload(&g, &[c], 91);
    let (dyt, dy) = upload(&g, &shape, 92);
    let dw = channel_scale_backward_weight(&g, &xt, &dyt).unwrap().read_blocking(&g).unwrap();
    check_fd("channel_scale dw vs finite differences", |v| dot(&dy, &ref_channel_scale(&x, v, c, hw)), &w, &dw, &[c]);
    // The input gradient is channel_scale of the output gradient.
    let dx = channel_scale(&g, &dyt, &wt).unwrap().read_blocking(&g).unwrap();
    check_fd("channel_scale dx vs finite differences", |v| dot(&dy, &ref_channel_scale(v, &w, c, hw)), &x, &dx, &shape);
}

// ---- upsampling -----------------------------------------------------------

#[test]
fn upsample_nearest2x_against_reference_and_finite_differences() {
    let g = gpu();
    for (k, shape) in POOL_SHAPES.into_iter().enumerate() {
        let [n, c, h, w] = shape;
        let big = [n, c, 2 * h, 2 * w];
        let (xt, x) = upload(&g, &shape, 100 + k as u64);
        let (dyt, dy) = upload(&g, &big, 110 + k as u64);
        let what = format!("{shape:?}");
        let got = upsample_nearest2x(&g, &xt).unwrap();
        assert_eq!(got.shape(), big);
        assert_close(
            &format!("upsample {what}"),
            &got.read_blocking(&g).unwrap(),
            &ref_upsample(&x, h, w),
            &big,
            0.0,
            0.0,
        );
        let got = upsample_nearest2x_backward_input(&g, &dyt).unwrap().read_blocking(&g).unwrap();
        assert_close(&format!("upsample dx {what}"), &got, &ref_upsample_dx(&dy, h, w), &shape, 1e-6, 1e-6);
    }
    let shape = [1, 2, 2, 3];
    let (_, x) = upload(&g, &shape, 120);
    let (dyt, dy) = upload(&g, &[1, 2, 4, 6], 121);
    let dx = upsample_nearest2x_backward_input(&g, &dyt).unwrap().read_blocking(&g).unwrap();
    check_fd("upsample dx vs finite differences", |v| dot(&dy, &ref_upsample(v, 2, 3)), &x, &dx, &shape);
}

// ---- clamp ----------------------------------------------------------------

#[test]
fn clamp_in_place_clamps_only_the_view() {
    let g = gpu();
    let v: Vec<f32> = random(200, 130).iter().map(|x| 2.0 * x).collect();
    let t = Tensor::from_slice(&g, &[200], &v).unwrap();
    // A view at element 64 (byte 256, the default storage offset alignment).
    let view = t.view(64, &[1, 70]).unwrap();
    clamp_in_place(&g, &view, 0.0, 1.0).unwrap();
    let got = t.read_blocking(&g).unwrap();
    let want: Vec<f64> =
        v.iter().enumerate().map(|(i, &x)| if (64..134).contains(&i) { x.clamp(0.0, 1.0) } else { x } as f64).collect();
    assert_close("clamp_in_place", &got, &want, &[200], 0.0, 0.0);
    assert!(clamp_in_place(&g, &t, 1.0, 0.0).is_err(), "lo > hi");
    assert!(clamp_in_place(&g, &t, f32::NAN, 0.0).is_err(), "NaN bound");
    assert!(clamp_in_place(&g, &t.view(3, &[10]).unwrap(), 0.0, 1.0).is_err(), "misaligned view");
}

// ---- shape errors ---------------------------------------------------------

#[test]
fn wrong_shapes_are_errors() {
    let g = gpu();
    let t = |shape: &[usize]| Tensor::zeros(&g, shape).unwrap();
    let (x2, w_bad, dy_bad) = (t(&[3, 37]), t(&[5, 36]), t(&[4, 5]));
    assert!(linear(&g, &x2, &w_bad, Activation::None).is_err());
    assert!(linear(&g, &t(&[3, 37, 1]), &t(&[5, 37]), Activation::None).is_err());
    assert!(linear_backward_input(&g, &t(&[3, 4]), &t(&[5, 37])).is_err());
    assert!(linear_backward_weight(&g, &x2, &dy_bad).is_err());
    let x4 = t(&[2, 3, 4, 5]);
    assert!(global_avg_pool(&g, &x2).is_err());
    assert!(global_max_pool(&g, &x2).is_err());
    assert!(global_avg_pool_backward_input(&g, &t(&[2, 4]), [2, 3, 4, 5]).is_err());
    assert!(global_avg_pool_backward_input(&g, &t(&[2, 3]), [2, 3, 0, 5]).is_err());
    assert!(global_max_pool_backward_input(&g, &x4, &t(&[3, 2])).is_err());
    assert!(channel_scale(&g, &x4, &t(&[4])).is_err());
    assert!(channel_scale(&g, &x4, &t(&[3, 1])).is_err());
    assert!(channel_scale_backward_weight(&g, &x4, &t(&[2, 3, 5, 4])).is_err());
    assert!(channel_sum(&g, &x2).is_err());
    assert!(upsample_nearest2x(&g, &x2).is_err());
    assert!(upsample_nearest2x_backward_input(&g, &t(&[1, 1, 3, 4])).is_err());
    assert!(clamp_in_place(&g, &x4, 2.0, -2.0).is_err());
}
