//! The ops DiscoGAN adds: MSE between two tensors, feature matching of batch
//! means, and the channel-order and range conversion of images, against f64
//! CPU references and central finite differences.

use shaders::ops::{channel_affine, feature_matching_loss, mse_loss};
use shaders::Tensor;
use tests::ref_train::central_difference;
use tests::{assert_close, gpu, random};

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

fn mse(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>() / a.len() as f64
}

/// mean over features of (mean_n real - mean_n fake)^2, [n, m] row-major.
fn fm(real: &[f64], fake: &[f64], n: usize) -> f64 {
    let m = real.len() / n;
    (0..m)
        .map(|i| {
            let d = (0..n).map(|s| real[s * m + i] - fake[s * m + i]).sum::<f64>() / n as f64;
            d * d
        })
        .sum::<f64>()
        / m as f64
}

#[test]
fn mse_loss_against_reference_and_finite_differences() {
    let g = gpu();
    for (shape, seed) in [([2usize, 3, 5, 7], 1u64), ([1, 3, 300, 401], 2)] {
        let len: usize = shape.iter().product();
        let (a, b) = (random(len, seed), random(len, seed + 10));
        let (at, bt) = (Tensor::from_slice(&g, &shape, &a).unwrap(), Tensor::from_slice(&g, &shape, &b).unwrap());
        let (loss, grad) = mse_loss(&g, &at, &bt, 1.0, 0.25, None).unwrap();
        let (a64, b64) = (f64s(&a), f64s(&b));
        assert_close("mse loss", &loss.read_blocking(&g).unwrap(), &[mse(&a64, &b64)], &[1], 1e-7, 1e-5);
        let want: Vec<f64> = a64.iter().zip(&b64).map(|(x, y)| 0.25 * 2.0 * (x - y) / len as f64).collect();
        let gr = grad.read_blocking(&g).unwrap();
        assert_close("mse grad", &gr, &want, &shape, 1e-12, 1e-5);
        if len < 1000 {
            let fd: Vec<f64> = (0..len).map(|i| 0.25 * central_difference(|v| mse(v, &b64), &a64, i, 1e-4)).collect();
            assert_close("mse grad vs finite differences", &gr, &fd, &shape, 1e-9, 1e-5);
        }
    }
}

#[test]
fn feature_matching_against_reference_and_finite_differences() {
    let g = gpu();
    for (shape, seed) in [([3usize, 4, 5, 5], 3u64), ([4, 32, 16, 16], 4)] {
        let len: usize = shape.iter().product();
        let n = shape[0];
        let (real, fake) = (random(len, seed), random(len, seed + 10));
        let rt = Tensor::from_slice(&g, &shape, &real).unwrap();
        let ft = Tensor::from_slice(&g, &shape, &fake).unwrap();
        let (loss, grad) = feature_matching_loss(&g, &rt, &ft, 1.0, 0.9, None).unwrap();
        let (r64, f64_) = (f64s(&real), f64s(&fake));
        assert_close("fm loss", &loss.read_blocking(&g).unwrap(), &[fm(&r64, &f64_, n)], &[1], 1e-8, 1e-5);
        let gr = grad.read_blocking(&g).unwrap();
        let m = len / n;
        let want: Vec<f64> = (0..len)
            .map(|k| {
                let i = k % m;
                let d = (0..n).map(|s| r64[s * m + i] - f64_[s * m + i]).sum::<f64>() / n as f64;
                -0.9 * 2.0 * d / (n * m) as f64
            })
            .collect();
        assert_close("fm grad", &gr, &want, &shape, 1e-12, 1e-4);
        if len < 1000 {
            let fd: Vec<f64> = (0..len).map(|i| 0.9 * central_difference(|v| fm(&r64, v, n), &f64_, i, 1e-4)).collect();
            assert_close("fm grad vs finite differences", &gr, &fd, &shape, 1e-9, 1e-4);
        }
    }
    let a = Tensor::zeros(&g, &[2, 3]).unwrap();
    let b = Tensor::zeros(&g, &[3, 2]).unwrap();
    assert!(feature_matching_loss(&g, &a, &b, 1.0, 1.0, None).is_err());
}

#[test]
fn channel_affine_converts_range_and_order() {
    let g = gpu();
    let shape = [2, 3, 4, 5];
    let len: usize = shape.iter().product();
    let x = random(len, 9);
    let xt = Tensor::from_slice(&g, &shape, &x).unwrap();
    let y = channel_affine(&g, &xt, 0.5, 0.5, true).unwrap();
    let plane = 20;
    let want: Vec<f64> = (0..len)
        .map(|i| {
            let (n, c, p) = (i / (3 * plane), i / plane % 3, i % plane);
            0.5 * x[(n * 3 + 2 - c) * plane + p] as f64 + 0.5
        })
        .collect();
    assert_close("to [0, 1] BGR", &y.read_blocking(&g).unwrap(), &want, &shape, 1e-7, 0.0);
    let back = channel_affine(&g, &y, 2.0, -1.0, true).unwrap().read_blocking(&g).unwrap();
    assert_close("and back", &back, &f64s(&x), &shape, 1e-6, 0.0);
    let same = channel_affine(&g, &xt, 1.0, 0.0, false).unwrap().read_blocking(&g).unwrap();
    assert_eq!(same, x);
}
