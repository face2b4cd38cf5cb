//! The ops DCGAN adds: sigmoid (standalone, fused into the convolutions'
//! epilogues, and its backward), nn.BCELoss on probabilities with PyTorch's
//! clamps, the mean reduction and Gaussian latents, against f64 CPU
//! references and central finite differences.

use shaders::ops::{
    bce_loss_const, conv2d, conv_transpose2d, mean, randn, randn_host, sigmoid, sigmoid_backward_input, Activation,
    Conv2dParams, ConvTranspose2dParams, Padding,
};
use shaders::Tensor;
use tests::ref_train::central_difference;
use tests::{assert_close, gpu, random};

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

fn sig(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// nn.BCELoss against a constant target with PyTorch's log clamp, in f64.
fn bce(p: &[f64], t: f64, weight: f64) -> f64 {
    let terms: f64 = p.iter().map(|&v| -(t * v.ln().max(-100.0) + (1.0 - t) * (1.0 - v).ln().max(-100.0))).sum();
    weight * terms / p.len() as f64
}

#[test]
fn sigmoid_and_its_backward_match_the_reference() {
    let g = gpu();
    let shape = [2, 3, 7, 9];
    let len: usize = shape.iter().product();
    let mut x: Vec<f32> = random(len, 3).iter().map(|v| 8.0 * v).collect();
    x[..6].copy_from_slice(&[0.0, 90.0, -90.0, 200.0, -200.0, 1e-4]);
    let xt = Tensor::from_slice(&g, &shape, &x).unwrap();
    let y = sigmoid(&g, &xt).unwrap();
    let want: Vec<f64> = x.iter().map(|&v| sig(v as f64)).collect();
    let got = y.read_blocking(&g).unwrap();
    assert!(got.iter().all(|v| v.is_finite()));
    // exp to a few ulp, then a division: 1e-6 relative.
    assert_close("sigmoid", &got, &want, &shape, 1e-30, 1e-6);
    let dy = random(len, 4);
    let dyt = Tensor::from_slice(&g, &shape, &dy).unwrap();
    let dx = sigmoid_backward_input(&g, &y, &dyt).unwrap().read_blocking(&g).unwrap();
    let want: Vec<f64> = got.iter().zip(&dy).map(|(&s, &d)| d as f64 * (1.0 - s as f64) * s as f64).collect();
    assert_close("sigmoid backward", &dx, &want, &shape, 1e-30, 1e-6);
}

#[test]
fn convolutions_fuse_sigmoid() {
    let g = gpu();
    let xs = [2, 5, 9, 9];
    let x = random(xs.iter().product(), 5);
    let w = random(3 * 5 * 4 * 4, 6);
    let xt = Tensor::from_slice(&g, &xs, &x).unwrap();
    let wt = Tensor::from_slice(&g, &[3, 5, 4, 4], &w).unwrap();
    let p = |a| Conv2dParams { stride: 2, padding: 1, padding_mode: Padding::Zero, activation: a };
    let plain = conv2d(&g, &xt, &wt, None, &p(Activation::None)).unwrap().read_blocking(&g).unwrap();
    let fused = conv2d(&g, &xt, &wt, None, &p(Activation::Sigmoid)).unwrap();
    let want: Vec<f64> = plain.iter().map(|&v| sig(v as f64)).collect();
    assert_close("conv2d + sigmoid", &fused.read_blocking(&g).unwrap(), &want, fused.shape(), 1e-30, 1e-6);
    let wt = Tensor::from_slice(&g, &[5, 3, 4, 4], &w).unwrap();
    let p = |a| ConvTranspose2dParams { stride: 2, padding: 1, output_padding: 0, activation: a };
    let plain = conv_transpose2d(&g, &xt, &wt, None, &p(Activation::None)).unwrap().read_blocking(&g).unwrap();
    let fused = conv_transpose2d(&g, &xt, &wt, None, &p(Activation::Sigmoid)).unwrap();
    let want: Vec<f64> = plain.iter().map(|&v| sig(v as f64)).collect();
    assert_close("conv_transpose2d + sigmoid", &fused.read_blocking(&g).unwrap(), &want, fused.shape(), 1e-30, 1e-6);
}

#[test]
fn bce_on_probabilities_against_reference_and_finite_differences() {
    let g = gpu();
    for (shape, seed) in [([4usize, 1, 1, 1], 1u64), ([1, 3, 401, 499], 2)] {
        let len: usize = shape.iter().product();
        // Probabilities in (0, 1), a few near the ends.
        let mut p: Vec<f32> = random(len, seed).iter().map(|v| 0.5 + 0.49 * v).collect();
        if len > 8 {
            p[..4].copy_from_slice(&[1e-6, 1.0 - 1e-6, 0.5, 0.01]);
        }
        let pt = Tensor::from_slice(&g, &shape, &p).unwrap();
        let p64 = f64s(&p);
        for (target, weight) in [(1.0f32, 1.0f32), (0.0, 0.5)] {
            let what = format!("bce_loss_const {shape:?} target {target}");
            let (loss, grad) = bce_loss_const(&g, &pt, target, weight, None).unwrap();
            // WGSL's log is within 2^-21 absolute near 1 (|log| small there).
            assert_close(
                &what,
                &loss.read_blocking(&g).unwrap(),
                &[bce(&p64, target as f64, weight as f64)],
                &[1],
                2e-6,
                1e-5,
            );
            let t = target as f64;
            let want: Vec<f64> =
                p64.iter().map(|&v| weight as f64 * (v - t) / ((1.0 - v) * v).max(1e-12) / len as f64).collect();
            let gr = grad.read_blocking(&g).unwrap();
            assert_close(&format!("{what} grad"), &gr, &want, &shape, 1e-30, 1e-5);
            if len < 100 {
                let f = |v: &[f64]| bce(v, t, weight as f64);
                let fd: Vec<f64> = (0..len).map(|i| central_difference(f, &p64, i, 1e-6)).collect();
                assert_close(&format!("{what} vs finite differences"), &gr, &fd, &shape, 1e-6, 1e-4);
            }
        }
    }
    // The clamps: p = 0 and 1 give log -100, and a finite gradient.
    let pt = Tensor::from_slice(&g, &[2], &[0.0, 1.0]).unwrap();
    let (loss, grad) = bce_loss_const(&g, &pt, 1.0, 1.0, None).unwrap();
    assert_close("clamped bce", &loss.read_blocking(&g).unwrap(), &[50.0], &[1], 1e-4, 0.0);
    assert!(grad.read_blocking(&g).unwrap().iter().all(|v| v.is_finite()));
}

#[test]
fn mean_reduces_any_length() {
    let g = gpu();
    for len in [1usize, 7, 2048, 600_001] {
        let x = random(len, len as u64);
        let xt = Tensor::from_slice(&g, &[len], &x).unwrap();
        let want = f64s(&x).iter().sum::<f64>() / len as f64;
        assert_close(
            &format!("mean of {len}"),
            &mean(&g, &xt).unwrap().read_blocking(&g).unwrap(),
            &[want],
            &[1],
            1e-7,
            1e-5,
        );
    }
}

#[test]
fn randn_matches_the_host_and_is_standard_normal() {
    let g = gpu();
    let n = 100_003;
    let got = randn(&g, &[n], 42).unwrap().read_blocking(&g).unwrap();
    let host = randn_host(n, 42);
    // cos and log of WGSL: absolute 2^-11 on [-pi, pi] for cos, so a few 1e-3.
    assert_close("randn vs host", &got, &host, &[n], 4e-3, 1e-3);
    let m = host.iter().sum::<f64>() / n as f64;
    let v = host.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64;
    assert!(m.abs() < 0.02 && (v - 1.0).abs() < 0.02, "mean {m} variance {v}");
    assert_eq!(got, randn(&g, &[n], 42).unwrap().read_blocking(&g).unwrap(), "same seed, same values");
    assert_ne!(got[..16], randn(&g, &[n], 43).unwrap().read_blocking(&g).unwrap()[..16]);
}
