//! The Winograd F(2x2, 3x3) and F(4x4, 3x3) forms of conv2d against the f64
//! CPU reference, and the rule that picks a convolution's form.
//!
//! Tolerance: the direct kernel's `dot_tolerance(K)` (K = 9 C_in terms of
//! magnitude about 1) times a slack per form. Each output is computed from
//! transformed products whose operands are weighted sums, so the length-C_in
//! dot products run on larger operands and the output transform adds several
//! of them back up. F(2x2): a transformed input sums up to 4 inputs (+-1
//! coefficients), a transformed weight up to 9 taps (factors 1/2, 1/4), the
//! output adds 9 of 16 products: a few times the direct error at most; slack 2.
//! F(4x4): the input transform's rows have coefficients up to 5 (row norm
//! about 6.5, squared over two axes: about 40x in magnitude) and the output
//! transform's up to 8 (row norm about 11): an order of magnitude more than
//! F(2x2); slack 8. The tests print the worst error as a fraction of the
//! tolerance: about 0.03 for F(2x2) and 0.1 for F(4x4) on these cases, so a
//! slack is not hiding a drift, while a wrong transform coefficient or a
//! misplaced tap errs by the size of the output and fails at once.

use shaders::ops::{
    autotune_pending, conv2d_form, conv2d_pack_weight, conv2d_packed_form, conv2d_winograd4_weight,
    conv2d_winograd_weight, Activation, Conv2dParams, ConvForm, Padding,
};
use shaders::Tensor;
use tests::ref_norm::activate;
use tests::{assert_close, dot_tolerance, gpu, random, reference};

/// F(2x2, 3x3): see the module comment.
const WINOGRAD_SLACK: f64 = 2.0;
/// F(4x4, 3x3): see the module comment.
const WINOGRAD4_SLACK: f64 = 8.0;

const ACTIVATIONS: [Activation; 5] =
    [Activation::None, Activation::Relu, Activation::LeakyRelu(0.2), Activation::Tanh, Activation::Sigmoid];

struct Case {
    x: [usize; 4],
    c_out: usize,
    pad: usize,
    reflect: bool,
    bias: bool,
}

/// Runs `c` by both Winograd forms with every activation; returns the worst
/// |got - want| / tolerance seen of each.
fn check(g: &shaders::Gpu, c: &Case, seed: u64) -> [f64; 2] {
    let ws = [c.c_out, c.x[1], 3, 3];
    let x = random(c.x.iter().product(), seed);
    let w = random(ws.iter().product(), seed + 1);
    let b = random(c.c_out, seed + 2);
    let xt = Tensor::from_slice(g, &c.x, &x).unwrap();
    let wt = Tensor::from_slice(g, &ws, &w).unwrap();
    let bt = Tensor::from_slice(g, &[c.c_out], &b).unwrap();
    let packed = conv2d_pack_weight(g, &wt).unwrap();
    let (pre, shape) = reference::conv2d(&x, c.x, &w, ws, c.bias.then_some(&b[..]), 1, c.pad, c.reflect);
    let mut worst = [0.0f64; 2];
    for (k, form, slack) in [(0, ConvForm::Winograd2, WINOGRAD_SLACK), (1, ConvForm::Winograd4, WINOGRAD4_SLACK)] {
        let tol = slack * dot_tolerance(9 * c.x[1]);
        for a in ACTIVATIONS {
            let p = Conv2dParams {
                stride: 1,
                padding: c.pad,
                padding_mode: if c.reflect { Padding::Reflect } else { Padding::Zero },
                activation: a,
            };
            assert!(form.applies(g, c.x, ws, &p));
            let y = conv2d_packed_form(g, form, &xt, &packed, ws, c.bias.then_some(&bt), &p).unwrap();
            assert_eq!(y.shape(), &shape[..]);
            let got = y.read_blocking(g).unwrap();
            let want: Vec<f64> = pre.iter().map(|&v| activate(v, a)).collect();
            let what =
                format!("{} x{:?} w{ws:?} p{} reflect={} bias={} {a:?}", form.name(), c.x, c.pad, c.reflect, c.bias);
            assert_close(&what, &got, &want, &shape, tol, 1e-5);
            for (&gv, &wv) in got.iter().zip(&want) {
                worst[k] = worst[k].max((gv as f64 - wv).abs() / (tol + 1e-5 * wv.abs()));
            }
        }
    }
    worst
}

fn max2(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    [a[0].max(b[0]), a[1].max(b[1])]
}

#[test]
fn winograd_odd_shapes() {
    let g = gpu();
    let cases = [
        Case { x: [2, 3, 7, 5], c_out: 5, pad: 1, reflect: false, bias: true },
        Case { x: [2, 3, 7, 5], c_out: 5, pad: 1, reflect: true, bias: false },
        Case { x: [2, 7, 13, 11], c_out: 13, pad: 1, reflect: true, bias: true },
        Case { x: [1, 5, 9, 12], c_out: 9, pad: 0, reflect: false, bias: true },
        Case { x: [2, 6, 2, 3], c_out: 3, pad: 1, reflect: true, bias: true },
        Case { x: [1, 1, 1, 1], c_out: 1, pad: 1, reflect: false, bias: true },
        Case { x: [1, 2, 3, 3], c_out: 2, pad: 0, reflect: false, bias: false },
        // Many tiles (T = 2 * 10 * 9 = 180, not a multiple of the GEMM's 64).
        Case { x: [2, 11, 19, 17], c_out: 17, pad: 1, reflect: true, bias: true },
    ];
    let mut worst = [0.0; 2];
    for (i, c) in cases.iter().enumerate() {
        worst = max2(worst, check(&g, c, 600 + 10 * i as u64));
    }
    println!("worst |error| / tolerance: F(2x2) {:.3}, F(4x4) {:.3}", worst[0], worst[1]);
}

#[test]
fn winograd_resnet_block_layers() {
    let g = gpu();
    let cases = [
        // ReflectionPad(1) + Conv3x3 of the residual blocks (ngf 8 and 16 stand-ins).
        Case { x: [1, 32, 11, 9], c_out: 32, pad: 1, reflect: true, bias: true },
        Case { x: [2, 64, 8, 8], c_out: 64, pad: 1, reflect: true, bias: true },
        // Zero padding (the code bases' padding_type = zero).
        Case { x: [1, 40, 10, 7], c_out: 36, pad: 1, reflect: false, bias: true },
    ];
    let mut worst = [0.0; 2];
    for (i, c) in cases.iter().enumerate() {
        worst = max2(worst, check(&g, c, 700 + 10 * i as u64));
    }
    println!("worst |error| / tolerance: F(2x2) {:.3}, F(4x4) {:.3}", worst[0], worst[1]);
}

/// The weight transforms alone: U = G g G^T for each (ci, co), zero where
/// co >= C_out (up to 8 columns), for F(2x2, 3x3) and F(4x4, 3x3).
#[test]
fn winograd_weight_transforms() {
    let g = gpu();
    let ws = [5, 3, 3, 3];
    let w = random(135, 1);
    let wt = Tensor::from_slice(&g, &ws, &w).unwrap();
    let packed = conv2d_pack_weight(&g, &wt).unwrap();
    let g2: Vec<[f64; 3]> = vec![[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]];
    let s = 1.0 / 6.0;
    let g4: Vec<[f64; 3]> = vec![
        [0.25, 0.0, 0.0],
        [-s, -s, -s],
        [-s, s, -s],
        [1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0],
        [1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0],
        [0.0, 0.0, 1.0],
    ];
    let u2 = conv2d_winograd_weight(&g, &packed, ws).unwrap();
    let u4 = conv2d_winograd4_weight(&g, &packed, ws).unwrap();
    for (name, u, gm) in [("F(2x2)", u2, g2), ("F(4x4)", u4, g4)] {
        let a = gm.len();
        assert_eq!(u.shape(), &[a * a, 3, 8]);
        let got = u.read_blocking(&g).unwrap();
        let mut want = vec![0f64; a * a * 3 * 8];
        for co in 0..5 {
            for ci in 0..3 {
                for i in 0..a {
                    for j in 0..a {
                        let mut s = 0.0;
                        for r in 0..3 {
                            for c in 0..3 {
                                s += gm[i][r] * w[((co * 3 + ci) * 3 + r) * 3 + c] as f64 * gm[j][c];
                            }
                        }
                        want[((i * a + j) * 3 + ci) * 8 + co] = s;
                    }
                }
            }
        }
        assert_close(&format!("{name} weight transform"), &got, &want, &[a * a, 3, 8], 1e-6, 1e-6);
    }
}

/// The default rule, a pinned form, and the forms' reach.
#[test]
fn conv_form_choice() {
    let mut g = gpu();
    g.set_conv_form(None);
    g.set_conv_autotune(false);
    let reflect = Conv2dParams { stride: 1, padding: 1, padding_mode: Padding::Reflect, activation: Activation::None };
    let down = Conv2dParams { stride: 2, padding: 1, ..Default::default() };
    let block = ([1, 256, 64, 64], [256, 256, 3, 3]);
    assert_eq!(conv2d_form(&g, block.0, block.1, &reflect), ConvForm::Winograd4);
    assert_eq!(conv2d_form(&g, [2, 32, 9, 7], [32, 32, 3, 3], &reflect), ConvForm::Winograd4);
    assert_eq!(conv2d_form(&g, [2, 32, 9, 7], [16, 32, 3, 3], &reflect), ConvForm::Direct);
    assert_eq!(conv2d_form(&g, [1, 8, 16, 16], [8, 8, 3, 3], &reflect), ConvForm::Direct);
    assert_eq!(conv2d_form(&g, [1, 64, 64, 64], [128, 64, 3, 3], &down), ConvForm::Direct);
    assert_eq!(conv2d_form(&g, [1, 64, 64, 64], [3, 64, 7, 7], &reflect), ConvForm::Narrow);
    assert_eq!(conv2d_form(&g, [1, 64, 64, 64], [8, 64, 7, 7], &reflect), ConvForm::Direct);
    assert!(!ConvForm::Narrow.applies(&g, [1, 64, 64, 64], [9, 64, 7, 7], &reflect));
    assert!(!ConvForm::Winograd2.applies(&g, [1, 64, 64, 64], [128, 64, 3, 3], &down));
    assert!(!ConvForm::Winograd2.applies(&g, [1, 4, 9, 9], [4, 4, 4, 4], &reflect));
    // PatchGAN's stride-1 layer takes F(3x3, 4x4); its stride-2 layers and
    // its one-channel output layer do not.
    let patch = Conv2dParams { stride: 1, padding: 1, ..Default::default() };
    assert_eq!(conv2d_form(&g, [1, 256, 32, 32], [512, 256, 4, 4], &patch), ConvForm::WinogradK4);
    assert_eq!(conv2d_form(&g, [1, 512, 31, 31], [1, 512, 4, 4], &patch), ConvForm::Narrow);
    let patch_down = Conv2dParams { stride: 2, padding: 1, ..Default::default() };
    assert_eq!(conv2d_form(&g, [1, 64, 128, 128], [128, 64, 4, 4], &patch_down), ConvForm::Direct);
    assert!(!ConvForm::WinogradK4.applies(&g, [1, 64, 64, 64], [64, 64, 3, 3], &reflect));
    // The tiled forms apply where the layer fills one tile: 64 channels fill
    // the 64x64 tile, not the 128x64 one; 7x7 = 49 pixels, the 32x32 one only.
    assert!(ConvForm::Tiled64.applies(&g, [1, 64, 64, 64], [64, 64, 3, 3], &reflect));
    assert!(!ConvForm::Tiled128.applies(&g, [1, 64, 64, 64], [64, 64, 3, 3], &reflect));
    assert!(ConvForm::Tiled32.applies(&g, [1, 64, 14, 14], [64, 64, 3, 3], &down));
    assert!(!ConvForm::Tiled64.applies(&g, [1, 64, 14, 14], [64, 64, 3, 3], &down));
    assert!(!ConvForm::Tiled32.applies(&g, [1, 64, 64, 64], [3, 64, 7, 7], &reflect));
    // The default rule does not pick them: on lavapipe, the one adapter
    // measured, the direct kernel beats them (see `trainer bench kernels --autotune`).
    assert_eq!(conv2d_form(&g, [1, 256, 64, 64], [512, 256, 3, 3], &down), ConvForm::Direct);
    g.set_conv_form(Some(ConvForm::Direct));
    assert_eq!(conv2d_form(&g, block.0, block.1, &reflect), ConvForm::Direct);
    g.set_conv_form(Some(ConvForm::Winograd2));
    assert_eq!(conv2d_form(&g, [1, 8, 16, 16], [8, 8, 3, 3], &reflect), ConvForm::Winograd2);
    // A pinned form that does not apply falls back to the direct kernel.
    assert_eq!(conv2d_form(&g, [1, 64, 64, 64], [128, 64, 3, 3], &down), ConvForm::Direct);
    // Asked for explicitly where it does not apply, it is an error.
    let x = Tensor::zeros(&g, &[1, 4, 9, 9]).unwrap();
    let w = Tensor::zeros(&g, &[4, 4, 4, 4]).unwrap();
    let packed = conv2d_pack_weight(&g, &w).unwrap();
    let err = conv2d_packed_form(&g, ConvForm::Winograd2, &x, &packed, [4, 4, 4, 4], None, &reflect).unwrap_err();
    assert!(err.to_string().contains("3x3 stride-1"), "{err}");
    for f in ConvForm::ALL {
        assert_eq!(ConvForm::parse(f.name()), Some(f));
    }
}

/// Autotuning times every applicable form once per shape, keeps the fastest
/// for later calls, and leaves shapes with one form to it; results stay those
/// of the reference whichever form wins.
#[test]
fn autotune_measures_each_shape_once() {
    let mut g = gpu();
    g.set_conv_form(None);
    g.set_conv_autotune(true);
    g.set_tune_cache(None);
    let reflect = Conv2dParams { stride: 1, padding: 1, padding_mode: Padding::Reflect, activation: Activation::None };
    let (xs, ws) = ([1, 8, 10, 9], [8, 8, 3, 3]);
    let first = conv2d_form(&g, xs, ws, &reflect);
    let tuned = g.tuned_convs();
    assert_eq!(tuned.len(), 1);
    let t = &tuned[0];
    assert_eq!((t.input, t.weight, t.stride, t.padding, t.form), (xs, ws, 1, 1, first));
    let forms: Vec<ConvForm> = t.ms.iter().map(|&(f, _)| f).collect();
    // Every form of a 3x3 kernel (F(3x3, 4x4) takes 4x4 kernels only).
    assert_eq!(forms, [ConvForm::Direct, ConvForm::Narrow, ConvForm::Winograd2, ConvForm::Winograd4]);
    assert!(t.ms.iter().all(|&(_, ms)| ms.is_finite() && ms >= 0.0));
    assert_eq!(conv2d_form(&g, xs, ws, &reflect), first);
    assert_eq!(g.tuned_convs().len(), 1, "a second call measured again");
    // One form applies: nothing to measure.
    let down = Conv2dParams { stride: 2, padding: 1, ..Default::default() };
    assert_eq!(conv2d_form(&g, [1, 8, 10, 9], [16, 8, 3, 3], &down), ConvForm::Direct);
    assert_eq!(g.tuned_convs().len(), 1);
    // A pinned form wins over autotuning.
    g.set_conv_form(Some(ConvForm::Direct));
    assert_eq!(conv2d_form(&g, [1, 16, 6, 6], [16, 16, 3, 3], &reflect), ConvForm::Direct);
    assert_eq!(g.tuned_convs().len(), 1);
    g.set_conv_form(None);
    check(&g, &Case { x: [1, 8, 10, 9], c_out: 8, pad: 1, reflect: true, bias: true }, 900);
}

/// Deferred autotuning (a browser's, where waiting for the GPU cannot
/// block): the rule serves a new shape until `autotune_pending` measures it,
/// after which its fastest form runs; parameters are read back from the key.
#[test]
fn autotune_deferred_measures_when_asked() {
    let mut g = gpu();
    g.set_conv_form(None);
    g.set_kernels("autotune").unwrap();
    g.set_tune_cache(None);
    g.set_autotune_deferred(true);
    let reflect = Conv2dParams { stride: 1, padding: 1, padding_mode: Padding::Reflect, activation: Activation::None };
    let (xs, ws) = ([1, 8, 10, 9], [8, 8, 3, 3]);
    assert_eq!(conv2d_form(&g, xs, ws, &reflect), ConvForm::Direct, "the rule's choice until measured");
    assert_eq!(conv2d_form(&g, xs, ws, &reflect), ConvForm::Direct);
    assert_eq!(g.deferred_tunes(), 1, "a shape waits once");
    // A shape with one form never waits.
    let down = Conv2dParams { stride: 2, padding: 1, ..Default::default() };
    assert_eq!(conv2d_form(&g, xs, [16, 8, 3, 3], &down), ConvForm::Direct);
    assert_eq!(g.deferred_tunes(), 1);
    assert!(g.tuned_convs().is_empty());
    let start = std::time::Instant::now();
    let clock = || start.elapsed().as_secs_f64() * 1e3;
    assert_eq!(pollster::block_on(autotune_pending(&g, &clock)).unwrap(), 1);
    assert_eq!(g.deferred_tunes(), 0);
    let tuned = g.tuned_convs();
    let t = &tuned[0];
    assert_eq!((t.input, t.weight, t.stride, t.padding, t.padding_mode), (xs, ws, 1, 1, Padding::Reflect));
    let forms: Vec<ConvForm> = t.ms.iter().map(|&(f, _)| f).collect();
    assert_eq!(forms, [ConvForm::Direct, ConvForm::Narrow, ConvForm::Winograd2, ConvForm::Winograd4]);
    assert_eq!(conv2d_form(&g, xs, ws, &reflect), t.form);
    assert_eq!(pollster::block_on(autotune_pending(&g, &clock)).unwrap(), 0, "nothing left to measure");
    check(&g, &Case { x: xs, c_out: 8, pad: 1, reflect: true, bias: true }, 920);
    // Kernel choices by name, as GAN_KERNELS and the page's ?kernels= take them.
    g.set_kernels(" Tiled-64x64 ").unwrap();
    assert_eq!(g.conv_form(), Some(ConvForm::Tiled64));
    g.set_kernels("rule").unwrap();
    assert_eq!((g.conv_form(), g.conv_autotune()), (None, false));
    // `auto`: the adapter's default, the rule on a CPU adapter (the tests'),
    // autotuning on GPUs.
    g.set_kernels("autotune").unwrap();
    g.set_kernels("auto").unwrap();
    let gpu_class = g.adapter_info().device_type != shaders::wgpu::DeviceType::Cpu;
    assert_eq!((g.conv_form(), g.conv_autotune()), (None, gpu_class));
    let err = g.set_kernels("fastest").unwrap_err().to_string();
    assert!(err.contains("\"fastest\"") && err.contains("tiled-128x64"), "{err}");
}

/// The launch configuration chosen for hardware GPUs (64-wide workgroups),
/// run on the test adapter.
#[test]
fn winograd_with_gpu_tuning() {
    let mut g = gpu();
    g.set_tuning(shaders::Tuning::for_class(shaders::AdapterClass::Gpu));
    check(&g, &Case { x: [2, 11, 19, 17], c_out: 17, pad: 1, reflect: true, bias: true }, 950);
    check(&g, &Case { x: [1, 40, 10, 7], c_out: 36, pad: 1, reflect: false, bias: true }, 960);
}

/// The Winograd GEMM tiled in workgroup memory (the GPU tuning's) gives the
/// register-blocked GEMM's bits: forward passes by F(2x2), F(4x4) and
/// F(3x3, 4x4), input gradients and weight gradients (whose GEMM reduces over
/// tiles), with channel and tile counts around the 64 x 64 tile's edges.
#[test]
fn winograd_tiled_gemm_gives_the_same_bits() {
    let mut g = gpu();
    let cases: [([usize; 4], [usize; 4], usize, bool); 5] = [
        ([2, 11, 19, 17], [17, 11, 3, 3], 1, true),
        ([1, 70, 9, 13], [66, 70, 3, 3], 1, false),
        ([1, 40, 30, 29], [36, 40, 3, 3], 0, true),
        ([1, 33, 12, 11], [65, 33, 4, 4], 1, false),
        ([2, 5, 8, 6], [3, 5, 4, 4], 2, false),
    ];
    for (i, &(xs, ws, pad, reflect)) in cases.iter().enumerate() {
        let x = Tensor::from_slice(&g, &xs, &random(xs.iter().product(), 970 + i as u64)).unwrap();
        let w = Tensor::from_slice(&g, &ws, &random(ws.iter().product(), 980 + i as u64)).unwrap();
        let p = Conv2dParams {
            stride: 1,
            padding: pad,
            padding_mode: if reflect { Padding::Reflect } else { Padding::Zero },
            activation: Activation::None,
        };
        let forms: &[ConvForm] =
            if ws[2] == 3 { &[ConvForm::Winograd2, ConvForm::Winograd4] } else { &[ConvForm::WinogradK4] };
        for &form in forms {
            let mut runs = Vec::new();
            for tiled in [false, true] {
                g.set_tuning(shaders::Tuning {
                    winograd_gemm_tiled: tiled,
                    ..shaders::Tuning::for_class(shaders::AdapterClass::Cpu)
                });
                g.set_conv_form(Some(form));
                let packed = conv2d_pack_weight(&g, &w).unwrap();
                let y = conv2d_packed_form(&g, form, &x, &packed, ws, None, &p).unwrap();
                let dy = Tensor::from_slice(&g, y.shape(), &random(y.len(), 990 + i as u64)).unwrap();
                let dx = shaders::ops::conv2d_backward_input(&g, &dy, &w, xs, &p).unwrap();
                let dw = shaders::ops::conv2d_backward_weight(&g, &x, &dy, ws, &p).unwrap();
                let read = |t: &Tensor| t.read_blocking(&g).unwrap().iter().map(|v| v.to_bits()).collect::<Vec<u32>>();
                runs.push([read(&y), read(&dx), read(&dw)]);
            }
            for (k, what) in ["forward", "dx", "dw"].iter().enumerate() {
                assert!(
                    runs[0][k] == runs[1][k],
                    "{} {what} of x{xs:?} w{ws:?}: the tiled GEMM's bits differ",
                    form.name()
                );
            }
        }
    }
}

/// 3x3 stride-1 cases of the gradient tests: zero padding 0-2 and reflect
/// padding 1, batches of 1 to 3, channels around a block's edges.
const GRAD_CASES: [Case; 8] = [
    Case { x: [2, 3, 7, 5], c_out: 5, pad: 1, reflect: false, bias: false },
    Case { x: [2, 3, 7, 5], c_out: 5, pad: 1, reflect: true, bias: false },
    Case { x: [1, 5, 9, 12], c_out: 9, pad: 0, reflect: false, bias: false },
    Case { x: [1, 4, 6, 7], c_out: 6, pad: 2, reflect: false, bias: false },
    Case { x: [2, 11, 19, 17], c_out: 17, pad: 1, reflect: true, bias: false },
    Case { x: [1, 32, 11, 9], c_out: 32, pad: 1, reflect: true, bias: false },
    Case { x: [1, 40, 10, 7], c_out: 36, pad: 1, reflect: false, bias: false },
    Case { x: [3, 9, 21, 23], c_out: 13, pad: 1, reflect: true, bias: false },
];

/// conv2d's input and weight gradients by each Winograd form against the
/// f64 reference, over [`GRAD_CASES`]. The input gradient is the
/// rotated-filter convolution of dy: C_out * 9 terms (4 times as many
/// through reflect padding's fold). The weight gradient sums N * H_out *
/// W_out products of a transformed input and a transformed dy: the forward
/// pass's transform coefficients, so each form's slack on the direct
/// tolerance of its sum's length.
#[test]
fn winograd_gradients() {
    use shaders::ops::{
        conv2d_backward_input, conv2d_backward_input_form, conv2d_backward_weight, conv2d_backward_weight_form,
    };
    use tests::ref_conv_backward;
    let mut g = gpu();
    // Worst |error| / tolerance of dx and dw, per form.
    let mut worst = [[0.0f64; 2]; 2];
    for (i, c) in GRAD_CASES.iter().enumerate() {
        let seed = 900 + 10 * i as u64;
        let ws = [c.c_out, c.x[1], 3, 3];
        let x = random(c.x.iter().product(), seed);
        let w = random(ws.iter().product(), seed + 1);
        let (_, ys) = reference::conv2d(&x, c.x, &w, ws, None, 1, c.pad, c.reflect);
        let r = random(ys.iter().product(), seed + 2);
        let (want_dx, want_dw, _) = ref_conv_backward::conv2d_backward(&x, c.x, &w, ws, &r, 1, c.pad, c.reflect);
        let xt = Tensor::from_slice(&g, &c.x, &x).unwrap();
        let wt = Tensor::from_slice(&g, &ws, &w).unwrap();
        let dyt = Tensor::from_slice(&g, &ys, &r).unwrap();
        let p = Conv2dParams {
            stride: 1,
            padding: c.pad,
            padding_mode: if c.reflect { Padding::Reflect } else { Padding::Zero },
            ..Default::default()
        };
        let k_dx = c.c_out * 9 * if c.reflect { 4 } else { 1 };
        let k_dw = ys[0] * ys[2] * ys[3];
        for (j, form, slack) in [(0, ConvForm::Winograd2, WINOGRAD_SLACK), (1, ConvForm::Winograd4, WINOGRAD4_SLACK)] {
            g.set_conv_form(Some(form));
            assert_eq!(conv2d_backward_input_form(&g, c.x, ws, &p), form);
            assert_eq!(conv2d_backward_weight_form(&g, c.x, ws, &p), form);
            let dx = conv2d_backward_input(&g, &dyt, &wt, c.x, &p).unwrap().read_blocking(&g).unwrap();
            let dw = conv2d_backward_weight(&g, &xt, &dyt, ws, &p).unwrap().read_blocking(&g).unwrap();
            let what = format!("{} x{:?} w{ws:?} p{} reflect={}", form.name(), c.x, c.pad, c.reflect);
            for (k, got, want, shape, len) in [(0, &dx, &want_dx, &c.x[..], k_dx), (1, &dw, &want_dw, &ws[..], k_dw)] {
                let tol = slack * dot_tolerance(len);
                assert_close(&format!("{what} {}", ["dx", "dw"][k]), got, want, shape, tol, 1e-5);
                for (&gv, &wv) in got.iter().zip(want) {
                    worst[j][k] = worst[j][k].max((gv as f64 - wv).abs() / (tol + 1e-5 * wv.abs()));
                }
            }
        }
    }
    g.set_conv_form(Some(ConvForm::Direct));
    let p = Conv2dParams { stride: 1, padding: 1, ..Default::default() };
    assert_eq!(conv2d_backward_weight_form(&g, [1, 32, 8, 8], [32, 32, 3, 3], &p), ConvForm::Direct);
    g.set_conv_form(None);
    println!(
        "gradients, worst |error| / tolerance: F(2x2) dx {:.3} dw {:.3}, F(4x4) dx {:.3} dw {:.3}",
        worst[0][0], worst[0][1], worst[1][0], worst[1][1]
    );
}

/// F(3x3, 4x4) for 4x4 stride-1 kernels: the forward pass with every
/// activation, the input gradient (the rotated 4x4 filter's convolution of
/// dy) and the weight gradient, against the f64 reference. Its transforms
/// share F(4x4, 3x3)'s interpolation points and its input transform, and its
/// output transform's coefficients reach 4 instead of 8: F(4x4, 3x3)'s slack.
#[test]
fn winograd_k4_forms() {
    use shaders::ops::{conv2d_backward_input, conv2d_backward_input_form, conv2d_backward_weight};
    use tests::ref_conv_backward;
    let mut g = gpu();
    let cases = [
        Case { x: [2, 3, 7, 5], c_out: 5, pad: 1, reflect: false, bias: true },
        Case { x: [1, 5, 9, 12], c_out: 9, pad: 0, reflect: false, bias: false },
        Case { x: [1, 4, 6, 7], c_out: 6, pad: 3, reflect: false, bias: true },
        Case { x: [2, 6, 11, 8], c_out: 7, pad: 2, reflect: true, bias: true },
        // PatchGAN's stride-1 layer, narrowed: 16x16 in, 15x15 out.
        Case { x: [1, 32, 16, 16], c_out: 40, pad: 1, reflect: false, bias: true },
    ];
    let mut worst = [0.0f64; 3];
    for (i, c) in cases.iter().enumerate() {
        let seed = 1700 + 10 * i as u64;
        let ws = [c.c_out, c.x[1], 4, 4];
        let x = random(c.x.iter().product(), seed);
        let w = random(ws.iter().product(), seed + 1);
        let b = random(c.c_out, seed + 2);
        let xt = Tensor::from_slice(&g, &c.x, &x).unwrap();
        let wt = Tensor::from_slice(&g, &ws, &w).unwrap();
        let bt = Tensor::from_slice(&g, &[c.c_out], &b).unwrap();
        let packed = conv2d_pack_weight(&g, &wt).unwrap();
        let (pre, ys) = reference::conv2d(&x, c.x, &w, ws, c.bias.then_some(&b[..]), 1, c.pad, c.reflect);
        let mode = if c.reflect { Padding::Reflect } else { Padding::Zero };
        let tol = WINOGRAD4_SLACK * dot_tolerance(16 * c.x[1]);
        for a in ACTIVATIONS {
            let p = Conv2dParams { stride: 1, padding: c.pad, padding_mode: mode, activation: a };
            assert!(ConvForm::WinogradK4.applies(&g, c.x, ws, &p));
            let y = conv2d_packed_form(&g, ConvForm::WinogradK4, &xt, &packed, ws, c.bias.then_some(&bt), &p).unwrap();
            assert_eq!(y.shape(), &ys[..]);
            let got = y.read_blocking(&g).unwrap();
            let want: Vec<f64> = pre.iter().map(|&v| activate(v, a)).collect();
            let what = format!("winograd-k4 x{:?} w{ws:?} p{} reflect={} {a:?}", c.x, c.pad, c.reflect);
            assert_close(&what, &got, &want, &ys, tol, 1e-5);
            for (&gv, &wv) in got.iter().zip(&want) {
                worst[0] = worst[0].max((gv as f64 - wv).abs() / (tol + 1e-5 * wv.abs()));
            }
        }
        let p = Conv2dParams { stride: 1, padding: c.pad, padding_mode: mode, ..Default::default() };
        let r = random(ys.iter().product(), seed + 3);
        let (want_dx, want_dw, _) = ref_conv_backward::conv2d_backward(&x, c.x, &w, ws, &r, 1, c.pad, c.reflect);
        let dyt = Tensor::from_slice(&g, &ys, &r).unwrap();
        g.set_conv_form(Some(ConvForm::WinogradK4));
        let rotated_applies = c.reflect || c.pad <= 3;
        assert_eq!(conv2d_backward_input_form(&g, c.x, ws, &p) == ConvForm::WinogradK4, rotated_applies);
        let dx = conv2d_backward_input(&g, &dyt, &wt, c.x, &p).unwrap().read_blocking(&g).unwrap();
        let dw = conv2d_backward_weight(&g, &xt, &dyt, ws, &p).unwrap().read_blocking(&g).unwrap();
        g.set_conv_form(None);
        let tol_dx = WINOGRAD4_SLACK * dot_tolerance(c.c_out * 16 * if c.reflect { 4 } else { 1 });
        let tol_dw = WINOGRAD4_SLACK * dot_tolerance(ys[0] * ys[2] * ys[3]);
        let what = format!("winograd-k4 x{:?} w{ws:?} p{} reflect={}", c.x, c.pad, c.reflect);
        assert_close(&format!("{what} dx"), &dx, &want_dx, &c.x, tol_dx, 1e-5);
        assert_close(&format!("{what} dw"), &dw, &want_dw, &ws, tol_dw, 1e-5);
        for (k, got, want, tol) in [(1, &dx, &want_dx, tol_dx), (2, &dw, &want_dw, tol_dw)] {
            for (&gv, &wv) in got.iter().zip(want) {
                worst[k] = worst[k].max((gv as f64 - wv).abs() / (tol + 1e-5 * wv.abs()));
            }
        }
    }
    println!("F(3x3, 4x4), worst |error| / tolerance: forward {:.3}, dx {:.3}, dw {:.3}", worst[0], worst[1], worst[2]);
}

/// Autotuned forms persist in the cache file per adapter: a second device
/// reads the form instead of measuring; another adapter's entries and an
/// unreadable file are not used, and the file is rewritten whole.
#[test]
fn autotune_cache_on_disk() {
    let dir = std::env::temp_dir().join(format!("gan-tune-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("sub").join("conv-forms.json");
    let reflect = Conv2dParams { stride: 1, padding: 1, padding_mode: Padding::Reflect, activation: Activation::None };
    let (xs, ws) = ([1, 8, 10, 9], [8, 8, 3, 3]);
    let tuned_gpu = || {
        let mut g = gpu();
        g.set_conv_form(None);
        g.set_conv_autotune(true);
        g.set_tune_cache(Some(path.clone()));
        g
    };
    // First run: measured, then written (folders created).
    let g = tuned_gpu();
    let first = conv2d_form(&g, xs, ws, &reflect);
    assert!(!g.tuned_convs()[0].ms.is_empty(), "the first run measures");
    let text = std::fs::read_to_string(&path).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entry = &v["adapters"][g.describe()]["x1,8,10,9 w8,8,3,3 s1 p1 reflect"];
    assert_eq!(entry.as_str(), Some(first.name()), "{text}");
    // Second run: read, not measured. Pin a form the rule would not pick so
    // the read is visible: edit the file to another applicable form.
    let other = if first == ConvForm::Winograd2 { ConvForm::Direct } else { ConvForm::Winograd2 };
    std::fs::write(&path, text.replace(&format!("\"{}\"", first.name()), &format!("\"{}\"", other.name()))).unwrap();
    let g2 = tuned_gpu();
    assert_eq!(conv2d_form(&g2, xs, ws, &reflect), other);
    assert!(g2.tuned_convs()[0].ms.is_empty(), "a cached form is not measured again");
    // A second shape adds its entry and keeps the first.
    let g3 = tuned_gpu();
    conv2d_form(&g3, [1, 16, 6, 6], [16, 16, 3, 3], &reflect);
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["adapters"][g.describe()].as_object().unwrap().len(), 2);
    // A damaged file is ignored (measured again) and replaced.
    std::fs::write(&path, "{ not json").unwrap();
    let g4 = tuned_gpu();
    conv2d_form(&g4, xs, ws, &reflect);
    assert!(!g4.tuned_convs()[0].ms.is_empty());
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["version"], 1);
    let _ = std::fs::remove_dir_all(&dir);
}
