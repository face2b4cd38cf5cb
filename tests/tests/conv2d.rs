//! conv2d against the f64 CPU reference.

use shaders::ops::{
    conv2d, conv2d_form, conv2d_pack_weight, conv2d_packed_form, Activation, Conv2dParams, ConvForm, Padding,
};
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
    check_form(g, c, seed, None);
}

/// Runs `c` by `form` (None: the form conv2d chooses); the Winograd forms get
/// the slack tests/conv2d_winograd.rs explains.
fn check_form(g: &shaders::Gpu, c: &Case, seed: u64, form: Option<ConvForm>) {
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
    let y = match form {
        None => conv2d(g, &xt, &wt, c.bias.then_some(&bt), &params).unwrap(),
        Some(f) => {
            let packed = conv2d_pack_weight(g, &wt).unwrap();
            conv2d_packed_form(g, f, &xt, &packed, c.w, c.bias.then_some(&bt), &params).unwrap()
        }
    };
    let (want, shape) = reference::conv2d(&x, c.x, &w, c.w, c.bias.then_some(&b[..]), c.stride, c.pad, c.reflect);
    assert_eq!(y.shape(), &shape[..]);
    let got = y.read_blocking(g).unwrap();
    let k = c.w[1] * c.w[2] * c.w[3];
    let what = format!(
        "conv2d x{:?} w{:?} s{} p{} reflect={} bias={} form {:?}",
        c.x, c.w, c.stride, c.pad, c.reflect, c.bias, form
    );
    let slack = match form.unwrap_or_else(|| conv2d_form(g, c.x, c.w, &params)) {
        ConvForm::Winograd2 => 2.0,
        ConvForm::Winograd4 | ConvForm::WinogradK4 => 8.0,
        ConvForm::Direct | ConvForm::Narrow | ConvForm::Tiled32 | ConvForm::Tiled64 | ConvForm::Tiled128 => 1.0,
    };
    assert_close(&what, &got, &want, &shape, slack * dot_tolerance(k), 1e-5);
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

/// Every form that applies, on the odd shapes and the CycleGAN layers (PatchGAN's
/// last layer and the generator's RGB layer are the narrow form's).
#[test]
fn conv2d_every_form() {
    let g = gpu();
    let cases = [
        Case { x: [2, 3, 37, 29], w: [5, 3, 3, 3], stride: 1, pad: 1, reflect: false, bias: true },
        Case { x: [2, 7, 9, 10], w: [3, 7, 5, 2], stride: 3, pad: 0, reflect: false, bias: true },
        Case { x: [1, 5, 13, 11], w: [11, 5, 4, 4], stride: 2, pad: 1, reflect: false, bias: true },
        Case { x: [1, 8, 22, 18], w: [3, 8, 7, 7], stride: 1, pad: 3, reflect: true, bias: true },
        Case { x: [1, 64, 8, 8], w: [1, 64, 4, 4], stride: 1, pad: 1, reflect: false, bias: true },
        Case { x: [2, 32, 11, 9], w: [32, 32, 3, 3], stride: 1, pad: 1, reflect: true, bias: false },
        Case { x: [1, 1, 1, 1], w: [1, 1, 1, 1], stride: 1, pad: 0, reflect: false, bias: true },
        // More output channels than one tile of every tiled form, with a tail
        // that is not a multiple of 4 or 8; a strided one with a pixel tail.
        Case { x: [2, 6, 10, 9], w: [131, 6, 3, 3], stride: 1, pad: 1, reflect: true, bias: true },
        Case { x: [1, 5, 19, 23], w: [40, 5, 4, 4], stride: 2, pad: 1, reflect: false, bias: false },
    ];
    let mut ran = std::collections::HashSet::new();
    for (i, c) in cases.iter().enumerate() {
        let params = Conv2dParams {
            stride: c.stride,
            padding: c.pad,
            padding_mode: if c.reflect { Padding::Reflect } else { Padding::Zero },
            activation: Activation::None,
        };
        for f in ConvForm::ALL.into_iter().filter(|f| f.applies(&g, c.x, c.w, &params)) {
            check_form(&g, c, 800 + i as u64, Some(f));
            ran.insert(f);
        }
    }
    assert_eq!(ran.len(), ConvForm::ALL.len(), "a form never ran");
}

/// The launch configuration chosen for hardware GPUs, run on the test adapter.
#[test]
fn conv2d_with_gpu_tuning() {
    let mut g = gpu();
    g.set_tuning(shaders::Tuning::for_class(shaders::AdapterClass::Gpu));
    let cases = [
        Case { x: [2, 3, 37, 29], w: [5, 3, 3, 3], stride: 1, pad: 1, reflect: true, bias: true },
        Case { x: [1, 16, 19, 23], w: [24, 16, 4, 4], stride: 2, pad: 1, reflect: false, bias: true },
        // The narrow form (3 output channels) and Winograd F(4x4) (32 channels).
        Case { x: [1, 8, 22, 18], w: [3, 8, 7, 7], stride: 1, pad: 3, reflect: true, bias: true },
        Case { x: [2, 32, 11, 9], w: [32, 32, 3, 3], stride: 1, pad: 1, reflect: true, bias: true },
    ];
    for (i, c) in cases.iter().enumerate() {
        check(&g, c, 500 + i as u64);
    }
}
