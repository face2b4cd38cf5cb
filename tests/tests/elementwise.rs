//! relu, leaky_relu, tanh, add and add_assign against the f64 CPU reference.

use shaders::ops::{add, add_assign, leaky_relu, relu, tanh, Activation};
use shaders::{Error, Gpu, Tensor};
use tests::{assert_close, gpu, random, ref_norm};

/// Random values in [-4, 4) with zeros, tiny and huge magnitudes
/// mixed in.
fn inputs(len: usize, seed: u64) -> Vec<f32> {
    let special = [0.0, -0.0, 1e-30, -1e-7, 0.0999, -0.1001, 9.5, -20.0, 88.0, -89.5, 1e30, -3e38];
    let mut x: Vec<f32> = random(len, seed).iter().map(|v| v * 4.0).collect();
    for (i, &s) in special.iter().enumerate() {
        x[i * 7 % len] = s;
    }
    x
}

fn check_unary(g: &Gpu, shape: &[usize], seed: u64) {
    let x = inputs(shape.iter().product(), seed);
    let xt = Tensor::from_slice(g, shape, &x).unwrap();
    let cases: [(Activation, Tensor, f64, f64); 3] = [
        // max and one multiplication: exact up to f32 rounding of the product.
        (Activation::Relu, relu(g, &xt).unwrap(), 0.0, 0.0),
        (Activation::LeakyRelu(0.2), leaky_relu(g, &xt, 0.2).unwrap(), 0.0, 6e-8),
        // exp and a division, each a few ulp (7e-7 relative measured on
        // lavapipe): 1e-6 absolute near 0, relative beyond.
        (Activation::Tanh, tanh(g, &xt).unwrap(), 1e-6, 2e-6),
    ];
    for (act, y, atol, rtol) in cases {
        assert_eq!(y.shape(), shape);
        let got = y.read_blocking(g).unwrap();
        let want = ref_norm::unary(&x, act);
        assert_close(&format!("{act:?} {shape:?}"), &got, &want, shape, atol, rtol);
    }
}

#[test]
fn activations() {
    let g = gpu();
    check_unary(&g, &[2, 3, 37, 29], 1);
    check_unary(&g, &[13], 2);
    check_unary(&g, &[1, 64, 64, 64], 3);
}

#[test]
fn tanh_near_zero_keeps_relative_accuracy() {
    let g = gpu();
    let x: Vec<f32> = (1..=200).map(|i| i as f32 * 1e-3 * if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
    let xt = Tensor::from_slice(&g, &[200], &x).unwrap();
    let got = tanh(&g, &xt).unwrap().read_blocking(&g).unwrap();
    assert_close("tanh near 0", &got, &ref_norm::unary(&x, Activation::Tanh), &[200], 0.0, 4e-6);
}

#[test]
fn add_and_add_assign() {
    let g = gpu();
    let shape = [2, 3, 37, 29];
    let len = shape.iter().product();
    let a = random(len, 10);
    let b = random(len, 11);
    let at = Tensor::from_slice(&g, &shape, &a).unwrap();
    let bt = Tensor::from_slice(&g, &shape, &b).unwrap();
    // One f32 addition is correctly rounded: within half an ulp.
    let sum = add(&g, &at, &bt).unwrap();
    assert_eq!(sum.shape(), &shape[..]);
    assert_close("add", &sum.read_blocking(&g).unwrap(), &ref_norm::add(&a, &b), &shape, 0.0, 6e-8);
    let twice = add(&g, &at, &at).unwrap();
    assert_close("add a + a", &twice.read_blocking(&g).unwrap(), &ref_norm::add(&a, &a), &shape, 0.0, 0.0);

    // dst += src, three times, recorded without a readback in between.
    let dst = Tensor::from_slice(&g, &shape, &a).unwrap();
    for _ in 0..3 {
        add_assign(&g, &dst, &bt).unwrap();
    }
    let want: Vec<f64> = a.iter().zip(&b).map(|(&x, &y)| ((x + y) + y + y) as f64).collect();
    assert_close("add_assign x3", &dst.read_blocking(&g).unwrap(), &want, &shape, 0.0, 0.0);
}

#[test]
fn dispatch_folds_past_65535_workgroups() {
    // 4097 * 4096 values need 65552 workgroups of 256: folded into y.
    let g = gpu();
    let shape = [1, 1, 4097, 4096];
    let len: usize = shape.iter().product();
    let x: Vec<f32> = (0..len).map(|i| if i % 3 == 0 { -(i as f32) } else { i as f32 }).collect();
    let xt = Tensor::from_slice(&g, &shape, &x).unwrap();
    let y = relu(&g, &xt).unwrap();
    add_assign(&g, &y, &xt).unwrap();
    let got = y.read_blocking(&g).unwrap();
    if let Some(i) = (0..len).find(|&i| got[i] != x[i].max(0.0) + x[i]) {
        panic!("relu + add_assign over {len} values: index {i} is {}, want {}", got[i], x[i].max(0.0) + x[i]);
    }
}

#[test]
fn shape_errors() {
    let g = gpu();
    let a = Tensor::zeros(&g, &[2, 3, 4, 5]).unwrap();
    let b = Tensor::zeros(&g, &[2, 3, 5, 4]).unwrap();
    assert!(matches!(add(&g, &a, &b), Err(Error::Shape { op: "add", .. })));
    assert!(matches!(add_assign(&g, &a, &b), Err(Error::Shape { op: "add_assign", .. })));
    let view = a.reshape(&[120]).unwrap();
    let flat = Tensor::zeros(&g, &[120]).unwrap();
    assert!(add_assign(&g, &view, &flat).is_ok());
    let same = a.reshape(&[2, 3, 4, 5]).unwrap();
    assert!(matches!(add_assign(&g, &a, &same), Err(Error::Shape { op: "add_assign", .. })));
    g.sync().unwrap();
}
