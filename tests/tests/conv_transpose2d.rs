//! conv_transpose2d against the f64 CPU reference.

use shaders::ops::{conv_transpose2d, ConvTranspose2dParams};
use shaders::Tensor;
use tests::{assert_close, dot_tolerance, gpu, random, reference};

struct Case {
    x: [usize; 4],
    w: [usize; 4],
    stride: usize,
    pad: usize,
    out_pad: usize,
    bias: bool,
}

fn check(g: &shaders::Gpu, c: &Case, seed: u64) {
    let x = random(c.x.iter().product(), seed);
    let w = random(c.w.iter().product(), seed + 1);
    let b = random(c.w[1], seed + 2);
    let xt = Tensor::from_slice(g, &c.x, &x).unwrap();
    let wt = Tensor::from_slice(g, &c.w, &w).unwrap();
    let bt = Tensor::from_slice(g, &[c.w[1]], &b).unwrap();
    let params =
        ConvTranspose2dParams { stride: c.stride, padding: c.pad, output_padding: c.out_pad, ..Default::default() };
    let y = conv_transpose2d(g, &xt, &wt, c.bias.then_some(&bt), &params).unwrap();
    let (want, shape) =
        reference::conv_transpose2d(&x, c.x, &w, c.w, c.bias.then_some(&b[..]), c.stride, c.pad, c.out_pad);
    assert_eq!(y.shape(), &shape[..]);
    let got = y.read_blocking(g).unwrap();
    let k = c.w[0] * c.w[2] * c.w[3];
    let what =
        format!("conv_transpose2d x{:?} w{:?} s{} p{} op{} bias={}", c.x, c.w, c.stride, c.pad, c.out_pad, c.bias);
    assert_close(&what, &got, &want, &shape, dot_tolerance(k), 1e-5);
}

#[test]
fn conv_transpose2d_odd_shapes() {
    let g = gpu();
    let cases = [
        Case { x: [2, 3, 13, 11], w: [3, 5, 3, 3], stride: 2, pad: 1, out_pad: 1, bias: true },
        Case { x: [2, 3, 7, 9], w: [3, 9, 4, 4], stride: 2, pad: 1, out_pad: 0, bias: false },
        Case { x: [1, 5, 6, 5], w: [5, 3, 5, 3], stride: 3, pad: 2, out_pad: 2, bias: true },
        Case { x: [1, 4, 5, 7], w: [4, 6, 3, 3], stride: 1, pad: 1, out_pad: 0, bias: true },
        Case { x: [1, 1, 1, 1], w: [1, 1, 1, 1], stride: 1, pad: 0, out_pad: 0, bias: true },
    ];
    for (i, c) in cases.iter().enumerate() {
        check(&g, c, 300 + i as u64);
    }
}

#[test]
fn conv_transpose2d_cyclegan_layers() {
    let g = gpu();
    // ConvTranspose3x3 s2 p1 output_padding 1 (generator upsampling)
    let cases = [
        Case { x: [1, 32, 6, 5], w: [32, 16, 3, 3], stride: 2, pad: 1, out_pad: 1, bias: true },
        Case { x: [2, 16, 11, 9], w: [16, 8, 3, 3], stride: 2, pad: 1, out_pad: 1, bias: true },
    ];
    for (i, c) in cases.iter().enumerate() {
        check(&g, c, 400 + i as u64);
    }
}

#[test]
fn conv_transpose2d_rejects_bad_shapes() {
    let g = gpu();
    let x = Tensor::zeros(&g, &[1, 3, 4, 4]).unwrap();
    let w = Tensor::zeros(&g, &[4, 2, 3, 3]).unwrap();
    let err = conv_transpose2d(&g, &x, &w, None, &ConvTranspose2dParams::default()).unwrap_err();
    assert!(err.to_string().contains("conv_transpose2d"), "{err}");
    let w = Tensor::zeros(&g, &[3, 2, 3, 3]).unwrap();
    let p = ConvTranspose2dParams { stride: 2, output_padding: 2, ..Default::default() };
    assert!(conv_transpose2d(&g, &x, &w, None, &p).is_err());
}

/// The launch configuration chosen for hardware GPUs, run on the test adapter.
#[test]
fn conv_transpose2d_with_gpu_tuning() {
    let mut g = gpu();
    g.set_tuning(shaders::Tuning::for_class(shaders::AdapterClass::Gpu));
    let c = Case { x: [2, 16, 11, 9], w: [16, 8, 3, 3], stride: 2, pad: 1, out_pad: 1, bias: true };
    check(&g, &c, 600);
}
