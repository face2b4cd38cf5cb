//! conv2d against the f64 CPU reference.

use shaders::ops::{conv2d, Activation, Conv2dParams, Padding};
use shaders::Tensor;
use tests::{assert_close, dot_tolerance, gpu, random, reference};

struct Case {
    x: [usize; 4],
    w: [usize; 4],
    stride: usize,
    pad: usize,
    reflect: bool,
    bias: bool,
}

fn check(g: &shaders::Gpu, c: &Case, seed: u64) {
    let x = random(c.x.iter().product(), seed);
    let w = random(c.w.iter().product(), seed + 1);
    let b = random(c.w[0], seed + 2);
    let xt = Tensor::from_slice(g, &c.x, &x).unwrap();
    let wt = Tensor::from_slice(g, &c.w, &w).unwrap();
    let bt = Tensor::from_slice(g, &[c.w[0]], &b).unwrap();
    let params = Conv2dParams {
        stride: c.stride,
        padding: c.pad,
        padding_mode: if c.reflect { Padding::Reflect } else { Padding::Zero },
        activation: Activation::None,
    };
    let y = conv2d(g, &xt, &wt, c.bias.then_some(&bt), &params).unwrap();
    let (want, shape) = reference::conv2d(&x, c.x, &w, c.w, c.bias.then_some(&b[..]), c.stride, c.pad, c.reflect);
    assert_eq!(y.shape(), &shape[..]);
    let got = y.read_blocking(g).unwrap();
    let k = c.w[1] * c.w[2] * c.w[3];
    let what = format!("conv2d x{:?} w{:?} s{} p{} reflect={} bias={}", c.x, c.w, c.stride, c.pad, c.reflect, c.bias);
    assert_close(&what, &got, &want, &shape, dot_tolerance(k), 1e-5);
}

#[test]
fn conv2d_odd_shapes() {
    let g = gpu();
    let cases = [
        Case { x: [2, 3, 37, 29], w: [5, 3, 3, 3], stride: 1, pad: 1, reflect: false, bias: true },
        Case { x: [2, 3, 37, 29], w: [9, 3, 3, 3], stride: 1, pad: 1, reflect: true, bias: false },
        Case { x: [1, 5, 13, 11], w: [11, 5, 4, 4], stride: 2, pad: 1, reflect: false, bias: true },
        Case { x: [2, 7, 9, 10], w: [3, 7, 5, 2], stride: 3, pad: 0, reflect: false, bias: true },
        Case { x: [1, 1, 1, 1], w: [1, 1, 1, 1], stride: 1, pad: 0, reflect: false, bias: true },
    ];
    for (i, c) in cases.iter().enumerate() {
        check(&g, c, 100 + i as u64);
    }
}

#[test]
fn conv2d_cyclegan_layers() {
    let g = gpu();
    let cases = [
        // ReflectionPad(3) + Conv7x7 (generator head and tail)
        Case { x: [1, 3, 22, 18], w: [8, 3, 7, 7], stride: 1, pad: 3, reflect: true, bias: true },
        Case { x: [1, 8, 22, 18], w: [3, 8, 7, 7], stride: 1, pad: 3, reflect: true, bias: true },
        // Conv3x3 s2 p1 (downsampling)
        Case { x: [2, 8, 22, 18], w: [16, 8, 3, 3], stride: 2, pad: 1, reflect: false, bias: true },
        // ReflectionPad(1) + Conv3x3 (residual block)
        Case { x: [2, 32, 11, 9], w: [32, 32, 3, 3], stride: 1, pad: 1, reflect: true, bias: true },
        // Conv4x4 s2 p1 and s1 p1 (PatchGAN)
        Case { x: [2, 3, 35, 35], w: [8, 3, 4, 4], stride: 2, pad: 1, reflect: false, bias: true },
        Case { x: [1, 32, 9, 9], w: [64, 32, 4, 4], stride: 1, pad: 1, reflect: false, bias: true },
        Case { x: [1, 64, 8, 8], w: [1, 64, 4, 4], stride: 1, pad: 1, reflect: false, bias: true },
    ];
    for (i, c) in cases.iter().enumerate() {
        check(&g, c, 200 + i as u64);
    }
}

/// The launch configuration chosen for hardware GPUs, run on the test adapter.
#[test]
fn conv2d_with_gpu_tuning() {
    let mut g = gpu();
    g.set_tuning(shaders::Tuning::for_class(shaders::AdapterClass::Gpu));
    let cases = [
        Case { x: [2, 3, 37, 29], w: [5, 3, 3, 3], stride: 1, pad: 1, reflect: true, bias: true },
        Case { x: [1, 16, 19, 23], w: [24, 16, 4, 4], stride: 2, pad: 1, reflect: false, bias: true },
    ];
    for (i, c) in cases.iter().enumerate() {
        check(&g, c, 500 + i as u64);
    }
}
