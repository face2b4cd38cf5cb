//! Activation and instance-norm gradients, the losses and gradient
//! accumulation against the f64 CPU reference and central finite
//! differences, and the determinism of their reductions.

use shaders::ops::{
    accumulate, activation_backward_input, instance_norm, instance_norm_backward_bias, instance_norm_backward_input,
    instance_norm_backward_weight, l1_loss, leaky_relu_backward_input, mse_loss_const, relu_backward_input,
    tanh_backward_input, Activation, InstanceNormParams,
};
use shaders::{Gpu, Tensor};
use tests::ref_train::{act_grad, activate, central_difference, dot, instance_norm_backward, sign};
use tests::{assert_close, gpu, random};

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn activation_backward_against_reference_and_finite_differences() {
    let g = gpu();
    let shape = [2, 3, 17, 19];
    let len: usize = shape.iter().product();
    let mut x = random(len, 1);
    // Exact zeros: relu passes no gradient there, leaky relu passes slope * dy.
    for i in (0..len).step_by(97) {
        x[i] = 0.0;
    }
    let dy = random(len, 2);
    let dyt = Tensor::from_slice(&g, &shape, &dy).unwrap();
    for act in [Activation::Relu, Activation::LeakyRelu(0.2), Activation::Tanh] {
        let y: Vec<f32> = x.iter().map(|&v| activate(v as f64, act) as f32).collect();
        let yt = Tensor::from_slice(&g, &shape, &y).unwrap();
        let dx = match act {
            Activation::Relu => relu_backward_input(&g, &yt, &dyt),
            Activation::LeakyRelu(s) => leaky_relu_backward_input(&g, &yt, &dyt, s),
            _ => tanh_backward_input(&g, &yt, &dyt),
        }
        .unwrap()
        .read_blocking(&g)
        .unwrap();
        let via_enum = activation_backward_input(&g, act, &yt, &dyt).unwrap().read_blocking(&g).unwrap();
        assert_eq!(bits(&dx), bits(&via_enum), "{act:?}: activation_backward_input dispatches the same kernel");
        let want: Vec<f64> = x.iter().zip(&dy).map(|(&v, &d)| d as f64 * act_grad(v as f64, act)).collect();
        // tanh works from y rounded to f32: |d(1 - y^2)| <= 2 * 6e-8.
        assert_close(&format!("{act:?} backward"), &dx, &want, &shape, 2e-7, 1e-6);
        // Central differences of sum(dy * act(x)), away from the kink at 0.
        let h = 1e-6;
        let fd: Vec<f64> = x
            .iter()
            .zip(&dy)
            .map(|(&v, &d)| {
                let v = v as f64;
                if v == 0.0 {
                    d as f64 * act_grad(0.0, act)
                } else {
                    d as f64 * (activate(v + h, act) - activate(v - h, act)) / (2.0 * h)
                }
            })
            .collect();
        assert_close(&format!("{act:?} backward vs finite differences"), &dx, &fd, &shape, 1e-6, 1e-5);
    }
    let bad = leaky_relu_backward_input(&g, &dyt, &dyt, -0.1).unwrap_err().to_string();
    assert!(bad.contains("leaky_relu_backward_input") && bad.contains("slope"), "{bad}");
    let other = Tensor::zeros(&g, &[2, 3, 17, 18]).unwrap();
    let bad = relu_backward_input(&g, &other, &dyt).unwrap_err().to_string();
    assert!(bad.contains("relu_backward_input") && bad.contains("[2, 3, 17, 18]"), "{bad}");
}

struct NormCase {
    shape: [usize; 4],
    affine: bool,
    act: Activation,
}

/// Runs the forward on the GPU (for its stats) and the backward; returns
/// (dx, dgamma, dbeta, sums) read back.
#[allow(clippy::type_complexity)]
fn gpu_norm_backward(
    g: &Gpu,
    c: &NormCase,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    dy: &[f32],
) -> (Vec<f32>, Option<(Vec<f32>, Vec<f32>)>, Vec<f32>) {
    let ch = c.shape[1];
    let xt = Tensor::from_slice(g, &c.shape, x).unwrap();
    let dyt = Tensor::from_slice(g, &c.shape, dy).unwrap();
    let gt = Tensor::from_slice(g, &[ch], gamma).unwrap();
    let bt = Tensor::from_slice(g, &[ch], beta).unwrap();
    let affine = c.affine.then_some((&gt, &bt));
    let p = InstanceNormParams { eps: 1e-5, activation: c.act };
    let (_, stats) = instance_norm(g, &xt, affine, &p, None).unwrap();
    let (dx, sums) = instance_norm_backward_input(g, &xt, &stats, &dyt, affine, &p).unwrap();
    let wb = c.affine.then(|| {
        let dg = instance_norm_backward_weight(g, &sums).unwrap();
        let db = instance_norm_backward_bias(g, &sums).unwrap();
        (dg.read_blocking(g).unwrap(), db.read_blocking(g).unwrap())
    });
    (dx.read_blocking(g).unwrap(), wb, sums.read_blocking(g).unwrap())
}

#[test]
fn instance_norm_backward_against_reference_and_finite_differences() {
    let g = gpu();
    let cases = [
        NormCase { shape: [2, 3, 17, 19], affine: false, act: Activation::None },
        NormCase { shape: [1, 4, 5, 3], affine: true, act: Activation::Relu },
        NormCase { shape: [2, 2, 23, 29], affine: true, act: Activation::LeakyRelu(0.2) },
        NormCase { shape: [3, 5, 7, 9], affine: false, act: Activation::Tanh },
        NormCase { shape: [2, 3, 6, 6], affine: false, act: Activation::Relu },
        NormCase { shape: [1, 70, 2, 3], affine: true, act: Activation::None },
    ];
    for (k, c) in cases.iter().enumerate() {
        let seed = 10 * k as u64;
        let [n, ch, h, w] = c.shape;
        let len = n * ch * h * w;
        // An offset mean, as after a convolution.
        let x: Vec<f32> = random(len, seed).iter().map(|v| 1.5 * v + 0.3).collect();
        let gamma: Vec<f32> = random(ch, seed + 1).iter().map(|v| v + 1.2).collect();
        let beta = random(ch, seed + 2);
        let dy = random(len, seed + 3);
        let (dx, wb, _) = gpu_norm_backward(&g, c, &x, &gamma, &beta, &dy);

        let (x64, g64, b64, dy64) = (f64s(&x), f64s(&gamma), f64s(&beta), f64s(&dy));
        let affine = c.affine.then_some((&g64[..], &b64[..]));
        let (want_dx, want_dg, want_db) = instance_norm_backward(&x64, c.shape, affine, 1e-5, c.act, &dy64);
        let what = format!("instance_norm_backward_input {:?} affine={} {:?}", c.shape, c.affine, c.act);
        // Sums of h*w terms of magnitude ~1 in f32 (error ~ 6e-8 * sqrt(h*w)),
        // times rstd ~ 1.2 and gamma <= 2.2; observed errors are 5x smaller.
        let tol = 1e-6 * ((h * w) as f64).sqrt().max(2.0);
        let sum_tol = 1e-6 * ((n * h * w) as f64).sqrt().max(2.0);
        assert_close(&what, &dx, &want_dx, &c.shape, tol, 1e-5);
        if let Some((dg, db)) = &wb {
            assert_close(&format!("{what} dgamma"), dg, &want_dg, &[ch], sum_tol, 1e-5);
            assert_close(&format!("{what} dbeta"), db, &want_db, &[ch], sum_tol, 1e-5);
        }

        // Central differences of L = sum(dy * instance_norm(x)), plane by plane.
        let hw = h * w;
        let eps = 1e-5;
        let loss = |xp: &[f64], plane: usize, gb: (f64, f64)| -> f64 {
            let (y, _) = tests::ref_train::instance_norm(xp, [1, 1, h, w], Some((&[gb.0], &[gb.1])), eps, c.act);
            dot(&y, &dy64[plane * hw..(plane + 1) * hw])
        };
        let mut fd_dx = vec![0f64; len];
        let mut fd_dg = vec![0f64; ch];
        let mut fd_db = vec![0f64; ch];
        for plane in 0..n * ch {
            let gb = if c.affine { (g64[plane % ch], b64[plane % ch]) } else { (1.0, 0.0) };
            let xp = &x64[plane * hw..(plane + 1) * hw];
            for i in 0..hw {
                fd_dx[plane * hw + i] = central_difference(|v| loss(v, plane, gb), xp, i, 1e-6);
            }
            let gbv = [gb.0, gb.1];
            fd_dg[plane % ch] += central_difference(|v| loss(xp, plane, (v[0], v[1])), &gbv, 0, 1e-6);
            fd_db[plane % ch] += central_difference(|v| loss(xp, plane, (v[0], v[1])), &gbv, 1, 1e-6);
        }
        let want32: Vec<f32> = want_dx.iter().map(|&v| v as f32).collect();
        assert_close(&format!("{what}: analytic vs finite differences"), &want32, &fd_dx, &c.shape, 1e-6, 1e-6);
        assert_close(&format!("{what} vs finite differences"), &dx, &fd_dx, &c.shape, 2.0 * tol, 1e-5);
        if let Some((dg, db)) = &wb {
            assert_close(&format!("{what} dgamma vs finite differences"), dg, &fd_dg, &[ch], 2.0 * sum_tol, 1e-5);
            assert_close(&format!("{what} dbeta vs finite differences"), db, &fd_db, &[ch], 2.0 * sum_tol, 1e-5);
        }
    }
}

#[test]
fn instance_norm_backward_is_deterministic() {
    let g = gpu();
    let c = NormCase { shape: [2, 3, 31, 33], affine: true, act: Activation::Relu };
    let len: usize = c.shape.iter().product();
    let x = random(len, 7);
    let gamma = random(3, 8);
    let beta = random(3, 9);
    let dy = random(len, 10);
    let (dx1, wb1, s1) = gpu_norm_backward(&g, &c, &x, &gamma, &beta, &dy);
    let (dx2, wb2, s2) = gpu_norm_backward(&g, &c, &x, &gamma, &beta, &dy);
    assert_eq!(bits(&dx1), bits(&dx2), "dx differs between identical runs");
    assert_eq!(bits(&s1), bits(&s2), "plane sums differ between identical runs");
    let ((g1, b1), (g2, b2)) = (wb1.unwrap(), wb2.unwrap());
    assert_eq!((bits(&g1), bits(&b1)), (bits(&g2), bits(&b2)), "dgamma/dbeta differ between identical runs");
}

#[test]
fn instance_norm_backward_rejects_bad_operands() {
    let g = gpu();
    let x = Tensor::zeros(&g, &[2, 3, 4, 5]).unwrap();
    let stats = Tensor::zeros(&g, &[2, 3, 2]).unwrap();
    let p = InstanceNormParams::default();
    let dy = Tensor::zeros(&g, &[2, 3, 5, 4]).unwrap();
    let e = instance_norm_backward_input(&g, &x, &stats, &dy, None, &p).unwrap_err().to_string();
    assert!(e.contains("instance_norm_backward_input") && e.contains("[2, 3, 5, 4]"), "{e}");
    let short = Tensor::zeros(&g, &[2, 3]).unwrap();
    let e = instance_norm_backward_input(&g, &x, &short, &x.clone(), None, &p).unwrap_err().to_string();
    assert!(e.contains("stats"), "{e}");
    let e = instance_norm_backward_weight(&g, &x).unwrap_err().to_string();
    assert!(e.contains("instance_norm_backward_weight"), "{e}");
}

/// (loss, grad) of weight * mean((a - t)^2) or weight * mean(|a - b|) in f64.
fn cpu_loss(a: &[f32], b: Option<&[f32]>, target: f32, weight: f64) -> (f64, Vec<f64>) {
    let len = a.len() as f64;
    let mut loss = 0.0;
    let mut grad = vec![0f64; a.len()];
    for i in 0..a.len() {
        match b {
            Some(b) => {
                let d = a[i] as f64 - b[i] as f64;
                loss += d.abs();
                grad[i] = weight * sign(d) / len;
            }
            None => {
                let d = a[i] as f64 - target as f64;
                loss += d * d;
                grad[i] = weight * 2.0 * d / len;
            }
        }
    }
    (weight * loss / len, grad)
}

#[test]
fn losses_against_reference_and_finite_differences() {
    let g = gpu();
    // 1805 values: one partial workgroup; 600_001: 293 partial sums, more than
    // the 256 invocations of the final reduction.
    for (shape, seed) in [([1usize, 1, 19, 95], 30u64), ([1, 3, 401, 499], 40)] {
        let len: usize = shape.iter().product();
        let a = random(len, seed);
        let mut b = random(len, seed + 1);
        for i in (0..len).step_by(13) {
            b[i] = a[i]; // sign(0) = 0
        }
        let at = Tensor::from_slice(&g, &shape, &a).unwrap();
        let bt = Tensor::from_slice(&g, &shape, &b).unwrap();
        // Sum of `len` f32 terms: relative error ~ 1e-7 * log2(len) in the tree.
        let loss_rtol = 1e-5;
        for (target, weight) in [(1.0f32, 1.0f32), (0.0, 0.5)] {
            let (loss, grad) = mse_loss_const(&g, &at, target, weight, None).unwrap();
            assert_eq!(loss.shape(), &[1]);
            let (want_loss, want_grad) = cpu_loss(&a, None, target, weight as f64);
            let what = format!("mse_loss_const {shape:?} target {target} weight {weight}");
            assert_close(&what, &loss.read_blocking(&g).unwrap(), &[want_loss], &[1], 0.0, loss_rtol);
            let gr = grad.read_blocking(&g).unwrap();
            assert_close(&format!("{what} grad"), &gr, &want_grad, &shape, 1e-12, 1e-6);
            if len < 10_000 {
                let loss_fn =
                    |v: &[f64]| weight as f64 * v.iter().map(|x| (x - target as f64).powi(2)).sum::<f64>() / len as f64;
                let a64 = f64s(&a);
                let fd: Vec<f64> = (0..len).map(|i| central_difference(loss_fn, &a64, i, 1e-4)).collect();
                assert_close(&format!("{what} grad vs finite differences"), &gr, &fd, &shape, 1e-10, 1e-5);
            }
        }
        let weight = 10.0f32;
        let (loss, grad) = l1_loss(&g, &at, &bt, weight, None).unwrap();
        let (want_loss, want_grad) = cpu_loss(&a, Some(&b), 0.0, weight as f64);
        let what = format!("l1_loss {shape:?} weight {weight}");
        assert_close(&what, &loss.read_blocking(&g).unwrap(), &[want_loss], &[1], 0.0, loss_rtol);
        let gr = grad.read_blocking(&g).unwrap();
        assert_close(&format!("{what} grad"), &gr, &want_grad, &shape, 0.0, 1e-6);
        for i in (0..len).step_by(13) {
            assert_eq!(gr[i], 0.0, "{what}: sign(0) must give a zero gradient at {i}");
        }
        if len < 10_000 {
            let b64 = f64s(&b);
            let loss_fn =
                |v: &[f64]| weight as f64 * v.iter().zip(&b64).map(|(x, y)| (x - y).abs()).sum::<f64>() / len as f64;
            let a64 = f64s(&a);
            let fd: Vec<f64> =
                (0..len).map(|i| if a[i] == b[i] { 0.0 } else { central_difference(loss_fn, &a64, i, 1e-6) }).collect();
            assert_close(&format!("{what} grad vs finite differences"), &gr, &fd, &shape, 1e-9, 1e-5);
        }
    }
}

#[test]
fn losses_accumulate_into_an_existing_gradient() {
    let g = gpu();
    let shape = [2, 3, 13, 11];
    let len: usize = shape.iter().product();
    let (a, b, g0) = (random(len, 50), random(len, 51), random(len, 52));
    let at = Tensor::from_slice(&g, &shape, &a).unwrap();
    let bt = Tensor::from_slice(&g, &shape, &b).unwrap();
    let acc = Tensor::from_slice(&g, &shape, &g0).unwrap();
    let (l1, out1) = mse_loss_const(&g, &at, 1.0, 0.5, Some(&acc)).unwrap();
    let (l2, out2) = l1_loss(&g, &at, &bt, 10.0, Some(&acc)).unwrap();
    assert_eq!(out1.buffer(), acc.buffer());
    assert_eq!(out2.buffer(), acc.buffer());
    let extra = random(len, 53);
    let et = Tensor::from_slice(&g, &shape, &extra).unwrap();
    accumulate(&g, &acc, &et, -0.25).unwrap();
    accumulate(&g, &acc, &et, 1.0).unwrap();
    let (want_l1, g1) = cpu_loss(&a, None, 1.0, 0.5);
    let (want_l2, g2) = cpu_loss(&a, Some(&b), 0.0, 10.0);
    let want: Vec<f64> = (0..len).map(|i| g0[i] as f64 + g1[i] + g2[i] + 0.75 * extra[i] as f64).collect();
    assert_close("accumulated gradient", &acc.read_blocking(&g).unwrap(), &want, &shape, 1e-6, 1e-6);
    assert_close("mse loss", &l1.read_blocking(&g).unwrap(), &[want_l1], &[1], 0.0, 1e-5);
    assert_close("l1 loss", &l2.read_blocking(&g).unwrap(), &[want_l2], &[1], 0.0, 1e-5);

    let e = accumulate(&g, &acc, &acc, 2.0).unwrap_err().to_string();
    assert!(e.contains("accumulate") && e.contains("same buffer"), "{e}");
    let other = Tensor::zeros(&g, &[len]).unwrap();
    let e = mse_loss_const(&g, &at, 1.0, 1.0, Some(&other)).unwrap_err().to_string();
    assert!(e.contains("mse_loss_const") && e.contains(&format!("[{len}]")), "{e}");
}

#[test]
fn loss_reductions_are_deterministic() {
    let g = gpu();
    let shape = [1, 3, 301, 299];
    let len: usize = shape.iter().product();
    let a = Tensor::from_slice(&g, &shape, &random(len, 60)).unwrap();
    let b = Tensor::from_slice(&g, &shape, &random(len, 61)).unwrap();
    let run = || {
        let (m, mg) = mse_loss_const(&g, &a, 1.0, 1.0, None).unwrap();
        let (l, lg) = l1_loss(&g, &a, &b, 10.0, None).unwrap();
        [m, mg, l, lg].map(|t| bits(&t.read_blocking(&g).unwrap()))
    };
    let first = run();
    for _ in 0..3 {
        assert!(run() == first, "losses or gradients differ between identical runs");
    }
}
