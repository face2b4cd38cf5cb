//! U-GAT-IT's ILN / adaILN (layer_instance_norm) and spectral normalisation
//! against f64 CPU references and central finite differences.

use shaders::ops::{
    layer_instance_norm, layer_instance_norm_backward, spectral_norm, spectral_norm_backward, Activation,
    LayerInstanceNormParams,
};
use shaders::{Error, Gpu, Tensor};
use tests::ref_ugatit_norm::{spectral_norm as ref_spectral_norm, spectral_norm_fixed, Lin};
use tests::{assert_close, gpu, random};

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// Random operands of one layer-instance norm case: x with a per-channel
/// offset (so instance and layer statistics differ), rho in [0, 1), gamma and
/// beta with C or N*C values.
struct Operands {
    shape: [usize; 4],
    x: Vec<f32>,
    rho: Vec<f32>,
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

impl Operands {
    fn new(shape: [usize; 4], per_sample: bool, seed: u64) -> Operands {
        let [n, c, h, w] = shape;
        let hw = h * w;
        let x: Vec<f32> =
            random(n * c * hw, seed).iter().enumerate().map(|(i, v)| v + 0.5 * ((i / hw) % c) as f32).collect();
        let rho = random(c, seed + 1).iter().map(|v| (v + 1.0) / 2.0).collect();
        let len = if per_sample { n * c } else { c };
        Operands { shape, x, rho, gamma: random(len, seed + 2), beta: random(len, seed + 3) }
    }

    fn upload(&self, g: &Gpu) -> [Tensor; 4] {
        let c = self.shape[1];
        let gshape = if self.gamma.len() == c { vec![c] } else { vec![self.shape[0], c] };
        [
            Tensor::from_slice(g, &self.shape, &self.x).unwrap(),
            Tensor::from_slice(g, &[1, c, 1, 1], &self.rho).unwrap(),
            Tensor::from_slice(g, &gshape, &self.gamma).unwrap(),
            Tensor::from_slice(g, &gshape, &self.beta).unwrap(),
        ]
    }
}

fn params(act: Activation) -> LayerInstanceNormParams {
    LayerInstanceNormParams { eps: 1e-5, activation: act }
}

/// Forward of one case against the reference: y and stats within `tol`
/// (absolute and relative).
fn check_forward(g: &Gpu, shape: [usize; 4], per_sample: bool, act: Activation, residual: bool, seed: u64) {
    let o = Operands::new(shape, per_sample, seed);
    let [x, rho, gamma, beta] = o.upload(g);
    let res = random(o.x.len(), seed + 4);
    let rt = Tensor::from_slice(g, &shape, &res).unwrap();
    let (y, stats) = layer_instance_norm(g, &x, &rho, &gamma, &beta, &params(act), residual.then_some(&rt)).unwrap();
    let (xd, rd, gd, bd) = (f64s(&o.x), f64s(&o.rho), f64s(&o.gamma), f64s(&o.beta));
    let lin = Lin { shape, x: &xd, rho: &rd, gamma: &gd, beta: &bd, eps: 1e-5, act };
    let resd = f64s(&res);
    let want = lin.forward(residual.then_some(&resd[..]));
    let what = format!("layer_instance_norm x{shape:?} per_sample={per_sample} act={act:?} residual={residual}");
    // f32 statistics over at most C*H*W = 4096 values carry relative errors
    // near 1e-6; outputs are O(1) (|z| < 4, |gamma|, |beta| < 1), so 2e-5
    // absolute and relative leaves a tenfold margin.
    let tol = 2e-5;
    assert_eq!(y.shape(), &shape[..]);
    assert_eq!(stats.shape(), &[shape[0], shape[1] + 1, 2][..]);
    assert_close(&what, &y.read_blocking(g).unwrap(), &want, &shape, tol, tol);
    assert_close(
        &format!("{what} stats"),
        &stats.read_blocking(g).unwrap(),
        &lin.stats(),
        &[shape[0], shape[1] + 1, 2],
        tol,
        tol,
    );
}

#[test]
fn layer_instance_norm_forward_odd_shapes() {
    let g = gpu();
    let mut seed = 100;
    for shape in [[2, 3, 7, 5], [1, 5, 3, 3], [3, 4, 5, 3]] {
        for per_sample in [false, true] {
            for (act, residual) in [(Activation::None, false), (Activation::Relu, false), (Activation::Relu, true)] {
                check_forward(&g, shape, per_sample, act, residual, seed);
                seed += 10;
            }
        }
    }
    check_forward(&g, [3, 2, 9, 11], true, Activation::None, true, seed);
}

#[test]
fn layer_instance_norm_forward_model_shapes() {
    let g = gpu();
    // Decoder ResnetAdaILNBlock (adaILN, then adaILN + ReLU), up-sampling
    // ILN + ReLU, at a reduced size; and more channels than invocations.
    check_forward(&g, [1, 16, 16, 16], true, Activation::Relu, false, 500);
    check_forward(&g, [1, 16, 16, 16], true, Activation::None, true, 510);
    check_forward(&g, [2, 16, 8, 8], false, Activation::Relu, false, 520);
    check_forward(&g, [2, 16, 8, 8], true, Activation::None, true, 530);
    check_forward(&g, [2, 300, 2, 3], true, Activation::Relu, false, 540);
}

#[test]
fn layer_instance_norm_one_pixel_planes_run() {
    // torch.var of one value is NaN; the kernel divides by M - 1 = 0 as it
    // does (indeterminate in WGSL), so only the call itself is checked.
    let g = gpu();
    let o = Operands::new([2, 3, 1, 1], true, 7);
    let [x, rho, gamma, beta] = o.upload(&g);
    let (y, stats) = layer_instance_norm(&g, &x, &rho, &gamma, &beta, &params(Activation::None), None).unwrap();
    assert_eq!(y.shape(), &[2, 3, 1, 1][..]);
    assert_eq!(stats.shape(), &[2, 4, 2][..]);
    g.sync().unwrap();
}

/// The GPU gradients of the case with output gradient dy.
fn gpu_backward(g: &Gpu, o: &Operands, act: Activation, dy: &[f32]) -> [Vec<f32>; 4] {
    let [x, rho, gamma, beta] = o.upload(g);
    let p = params(act);
    let (_, stats) = layer_instance_norm(g, &x, &rho, &gamma, &beta, &p, None).unwrap();
    let dyt = Tensor::from_slice(g, &o.shape, dy).unwrap();
    let gr = layer_instance_norm_backward(g, &x, &stats, &dyt, &rho, &gamma, &beta, &p).unwrap();
    assert_eq!(gr.dx.shape(), x.shape());
    assert_eq!(gr.drho.shape(), rho.shape());
    assert_eq!(gr.dgamma.shape(), gamma.shape());
    assert_eq!(gr.dbeta.shape(), beta.shape());
    [gr.dx, gr.drho, gr.dgamma, gr.dbeta].map(|t| t.read_blocking(g).unwrap())
}

/// Central finite differences (f64) of L = sum(dy * y) wrt x, rho, gamma, beta.
fn finite_differences(o: &Operands, act: Activation, dy: &[f64]) -> [Vec<f64>; 4] {
    let base = [f64s(&o.x), f64s(&o.rho), f64s(&o.gamma), f64s(&o.beta)];
    let loss = |ops: &[Vec<f64>; 4]| -> f64 {
        let lin = Lin { shape: o.shape, x: &ops[0], rho: &ops[1], gamma: &ops[2], beta: &ops[3], eps: 1e-5, act };
        lin.forward(None).iter().zip(dy).map(|(y, d)| y * d).sum()
    };
    let h = 1e-6;
    std::array::from_fn(|which| {
        (0..base[which].len())
            .map(|i| {
                let mut plus = base.clone();
                plus[which][i] += h;
                let mut minus = base.clone();
                minus[which][i] -= h;
                (loss(&plus) - loss(&minus)) / (2.0 * h)
            })
            .collect()
    })
}

const NAMES: [&str; 4] = ["dx", "drho", "dgamma", "dbeta"];

#[test]
fn layer_instance_norm_backward_finite_differences() {
    let g = gpu();
    let shape = [2, 3, 4, 5];
    let mut seed = 700;
    for per_sample in [false, true] {
        for act in [Activation::None, Activation::Relu] {
            let o = Operands::new(shape, per_sample, seed);
            let dy = random(o.x.len(), seed + 5);
            let dyd = f64s(&dy);
            let fd = finite_differences(&o, act, &dyd);
            let (xd, rd, gd, bd) = (f64s(&o.x), f64s(&o.rho), f64s(&o.gamma), f64s(&o.beta));
            let lin = Lin { shape, x: &xd, rho: &rd, gamma: &gd, beta: &bd, eps: 1e-5, act };
            let analytic = lin.backward(&dyd);
            let got = gpu_backward(&g, &o, act, &dy);
            for i in 0..4 {
                let what = format!("layer_instance_norm_backward {} per_sample={per_sample} act={act:?}", NAMES[i]);
                // The f64 analytic reference agrees with f64 differences
                // (step 1e-6: truncation ~1e-12, rounding ~1e-10) to 1e-7.
                let worst = analytic[i].iter().zip(&fd[i]).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
                assert!(worst < 1e-7, "{what}: analytic reference differs from finite differences by {worst:e}");
                // The GPU in f32: sums over 20-60 terms of O(1) values and
                // gradients of O(1), so 1e-4 absolute and relative.
                assert_close(&what, &got[i], &fd[i], &[fd[i].len()], 1e-4, 1e-4);
            }
            seed += 10;
        }
    }
}

#[test]
fn layer_instance_norm_backward_model_shapes() {
    let g = gpu();
    for (shape, per_sample, act, seed) in [
        ([2, 16, 8, 8], true, Activation::Relu, 800),
        ([1, 32, 16, 16], false, Activation::Relu, 810),
        ([3, 6, 7, 9], false, Activation::None, 820),
    ] {
        let o = Operands::new(shape, per_sample, seed);
        let dy = random(o.x.len(), seed + 5);
        let (xd, rd, gd, bd) = (f64s(&o.x), f64s(&o.rho), f64s(&o.gamma), f64s(&o.beta));
        let lin = Lin { shape, x: &xd, rho: &rd, gamma: &gd, beta: &bd, eps: 1e-5, act };
        let want = lin.backward(&f64s(&dy));
        let got = gpu_backward(&g, &o, act, &dy);
        // dgamma, dbeta and drho sum up to N*H*W = 256 products of O(1)
        // terms (f32 error ~ 1e-5 absolute); dx is O(0.1)-O(1).
        for i in 0..4 {
            let what = format!("layer_instance_norm_backward {} x{shape:?} per_sample={per_sample}", NAMES[i]);
            let tol = if i == 0 { 1e-4 } else { 2e-4 };
            assert_close(&what, &got[i], &want[i], &[want[i].len()], tol, tol);
        }
    }
}

#[test]
fn layer_instance_norm_shape_errors() {
    let g = gpu();
    let z = |s: &[usize]| Tensor::zeros(&g, s).unwrap();
    let x = z(&[2, 3, 4, 5]);
    let (c3, c4, nc, c6x) = (z(&[3]), z(&[4]), z(&[2, 3]), z(&[7]));
    let p = params(Activation::Relu);
    let is_shape =
        |r: shaders::Result<(Tensor, Tensor)>| matches!(r, Err(Error::Shape { op: "layer_instance_norm", .. }));
    assert!(is_shape(layer_instance_norm(&g, &z(&[6, 20]), &c3, &c3, &c3, &p, None)));
    assert!(is_shape(layer_instance_norm(&g, &x, &c4, &c3, &c3, &p, None)));
    assert!(is_shape(layer_instance_norm(&g, &x, &c3, &c4, &c4, &p, None)));
    assert!(is_shape(layer_instance_norm(&g, &x, &c3, &nc, &c3, &p, None)));
    assert!(is_shape(layer_instance_norm(&g, &x, &c3, &c6x, &c6x, &p, None)));
    assert!(is_shape(layer_instance_norm(&g, &x, &c3, &c3, &c3, &p, Some(&z(&[2, 3, 5, 4])))));
    let bad_eps = LayerInstanceNormParams { eps: f32::NAN, ..p };
    assert!(is_shape(layer_instance_norm(&g, &x, &c3, &c3, &c3, &bad_eps, None)));
    let (_, stats) = layer_instance_norm(&g, &x, &c3, &nc, &nc, &p, Some(&x)).unwrap();
    let is_bshape = |r: shaders::Result<shaders::ops::LayerInstanceNormGrads>| {
        matches!(r, Err(Error::Shape { op: "layer_instance_norm_backward", .. }))
    };
    assert!(is_bshape(layer_instance_norm_backward(&g, &x, &z(&[2, 3, 2]), &x, &c3, &nc, &nc, &p)));
    assert!(is_bshape(layer_instance_norm_backward(&g, &x, &stats, &z(&[2, 3, 4, 4]), &c3, &nc, &nc, &p)));
    assert!(is_bshape(layer_instance_norm_backward(&g, &x, &stats, &x, &c4, &nc, &nc, &p)));
    assert!(layer_instance_norm_backward(&g, &x, &stats, &x, &c3, &nc, &nc, &p).is_ok());
    g.sync().unwrap();
}

/// Spectral norm of a random weight of `shape` against the reference, power
/// iteration on and off; u and v start as random unit vectors.
fn check_spectral_norm(g: &Gpu, shape: &[usize], seed: u64) {
    let o = shape[0];
    let len: usize = shape.iter().product();
    let k = len / o;
    let w = random(len, seed);
    let unit = |v: Vec<f32>| -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    };
    let u = unit(random(o, seed + 1));
    let v = unit(random(k, seed + 2));
    let wt = Tensor::from_slice(g, shape, &w).unwrap();
    let ut = Tensor::from_slice(g, &[o], &u).unwrap();
    let vt = Tensor::from_slice(g, &[k], &v).unwrap();
    for power in [true, false] {
        let sn = spectral_norm(g, &wt, &ut, &vt, power).unwrap();
        let (w_sn, sigma, ru, rv) = ref_spectral_norm(&f64s(&w), o, k, &f64s(&u), &f64s(&v), power);
        let what = format!("spectral_norm {shape:?} power_iteration={power}");
        assert_eq!(sn.w_sn.shape(), shape);
        assert_eq!(sn.sigma.shape(), &[1][..]);
        assert_eq!(sn.u.shape(), &[o][..]);
        assert_eq!(sn.v.shape(), &[k][..]);
        // W^T u and W v are f32 dot products of up to 1024 terms (relative
        // error ~ 1e-6 * sqrt(K)); normalised vectors and sigma inherit it,
        // and w_sn = W / sigma adds one rounding: 1e-5 relative, with 1e-6
        // absolute for entries near 0.
        let tol = 1e-5;
        assert_close(&format!("{what} sigma"), &sn.sigma.read_blocking(g).unwrap(), &[sigma], &[1], 0.0, tol);
        assert_close(&format!("{what} u"), &sn.u.read_blocking(g).unwrap(), &ru, &[o], 1e-6, tol);
        assert_close(&format!("{what} v"), &sn.v.read_blocking(g).unwrap(), &rv, &[k], 1e-6, tol);
        assert_close(&format!("{what} w_sn"), &sn.w_sn.read_blocking(g).unwrap(), &w_sn, &[o, k], 1e-6, tol);
    }
    // The inputs are unchanged.
    assert_eq!(ut.read_blocking(g).unwrap(), u);
    assert_eq!(vt.read_blocking(g).unwrap(), v);
}

#[test]
fn spectral_norm_forward() {
    let g = gpu();
    check_spectral_norm(&g, &[1, 7], 900);
    check_spectral_norm(&g, &[5, 3], 910);
    check_spectral_norm(&g, &[16, 48], 920);
    check_spectral_norm(&g, &[64, 1024], 930);
    // A 4x4 convolution weight 4 -> 8, and a 1-D weight (K = 1).
    check_spectral_norm(&g, &[8, 4, 4, 4], 940);
    check_spectral_norm(&g, &[3], 950);
}

#[test]
fn spectral_norm_of_a_view() {
    // The weight as a view into a larger parameter buffer, at a 256-byte
    // aligned offset: the same result as the weight on its own.
    let g = gpu();
    let arena_values = random(64 + 96 + 40, 960);
    let arena = Tensor::from_slice(&g, &[arena_values.len()], &arena_values).unwrap();
    let view = arena.view(64, &[8, 12]).unwrap();
    let alone = Tensor::from_slice(&g, &[8, 12], &arena_values[64..160]).unwrap();
    let u = Tensor::from_slice(&g, &[8], &random(8, 961)).unwrap();
    let v = Tensor::from_slice(&g, &[12], &random(12, 962)).unwrap();
    let a = spectral_norm(&g, &view, &u, &v, true).unwrap();
    let b = spectral_norm(&g, &alone, &u, &v, true).unwrap();
    assert_eq!(a.w_sn.read_blocking(&g).unwrap(), b.w_sn.read_blocking(&g).unwrap());
    assert_eq!(a.sigma.read_blocking(&g).unwrap(), b.sigma.read_blocking(&g).unwrap());
    assert_eq!(arena.read_blocking(&g).unwrap(), arena_values);
}

#[test]
fn spectral_norm_backward_finite_differences() {
    let g = gpu();
    for (shape, seed) in [(vec![5, 3], 1000), (vec![8, 4, 4, 4], 1010), (vec![1, 16], 1020)] {
        let o = shape[0];
        let len: usize = shape.iter().product();
        let k = len / o;
        let w = random(len, seed);
        let wt = Tensor::from_slice(&g, &shape, &w).unwrap();
        let ut = Tensor::from_slice(&g, &[o], &random(o, seed + 1)).unwrap();
        let vt = Tensor::from_slice(&g, &[k], &random(k, seed + 2)).unwrap();
        let sn = spectral_norm(&g, &wt, &ut, &vt, true).unwrap();
        let dy = random(len, seed + 3);
        let dyt = Tensor::from_slice(&g, &shape, &dy).unwrap();
        let dw = spectral_norm_backward(&g, &sn, &dyt).unwrap();
        assert_eq!(dw.shape(), &shape[..]);
        // u, v as this call left them, constants of the differentiated
        // function w_sn(W) = W / (u . W v), as under PyTorch's no_grad.
        let u = f64s(&sn.u.read_blocking(&g).unwrap());
        let v = f64s(&sn.v.read_blocking(&g).unwrap());
        let wd = f64s(&w);
        let dyd = f64s(&dy);
        let loss =
            |wp: &[f64]| -> f64 { spectral_norm_fixed(wp, o, k, &u, &v).iter().zip(&dyd).map(|(a, b)| a * b).sum() };
        let h = 1e-6;
        let fd: Vec<f64> = (0..len)
            .map(|i| {
                let mut p = wd.clone();
                p[i] += h;
                let mut m = wd.clone();
                m[i] -= h;
                (loss(&p) - loss(&m)) / (2.0 * h)
            })
            .collect();
        // sigma is O(1) here and <G, w_sn> a sum of up to 128 f32 products:
        // 1e-5 absolute and relative.
        let what = format!("spectral_norm_backward {shape:?}");
        assert_close(&what, &dw.read_blocking(&g).unwrap(), &fd, &[o, k], 1e-5, 1e-5);
    }
}

#[test]
fn spectral_norm_shape_errors() {
    let g = gpu();
    let z = |s: &[usize]| Tensor::zeros(&g, s).unwrap();
    let w = z(&[8, 4, 4, 4]);
    let is_shape =
        |r: &shaders::Result<shaders::ops::SpectralNorm>| matches!(r, Err(Error::Shape { op: "spectral_norm", .. }));
    assert!(is_shape(&spectral_norm(&g, &w, &z(&[4]), &z(&[64]), true)));
    assert!(is_shape(&spectral_norm(&g, &w, &z(&[8]), &z(&[16]), false)));
    assert!(is_shape(&spectral_norm(&g, &w, &z(&[64]), &z(&[8]), true)));
    let sn = spectral_norm(&g, &w, &z(&[1, 8]), &z(&[64]), true).unwrap();
    let r = spectral_norm_backward(&g, &sn, &z(&[8, 64]));
    assert!(matches!(r, Err(Error::Shape { op: "spectral_norm_backward", .. })));
    assert!(spectral_norm_backward(&g, &sn, &z(&[8, 4, 4, 4])).is_ok());
    g.sync().unwrap();
}

/// The largest weight the discriminators use, a 4x4 convolution 1024 -> 2048
/// ([2048, 16384], exactly the 128 MiB default binding limit), power
/// iteration and backward (about 5 s on lavapipe).
#[test]
fn spectral_norm_largest_weight() {
    let g = gpu();
    let shape = [2048, 1024, 4, 4];
    let (o, k) = (2048, 16384);
    let w = random(o * k, 1100);
    let u = random(o, 1101);
    let v = random(k, 1102);
    let wt = Tensor::from_slice(&g, &shape, &w).unwrap();
    let ut = Tensor::from_slice(&g, &[o], &u).unwrap();
    let vt = Tensor::from_slice(&g, &[k], &v).unwrap();
    let sn = spectral_norm(&g, &wt, &ut, &vt, true).unwrap();
    let (w_sn, sigma, ru, rv) = ref_spectral_norm(&f64s(&w), o, k, &f64s(&u), &f64s(&v), true);
    // Dot products of 2048 and 16384 terms: f32 relative error ~ 1e-6 *
    // sqrt(K) in the worst entries of W^T u and W v, so 1e-4 relative.
    let tol = 1e-4;
    assert_close("spectral_norm largest sigma", &sn.sigma.read_blocking(&g).unwrap(), &[sigma], &[1], 0.0, tol);
    assert_close("spectral_norm largest u", &sn.u.read_blocking(&g).unwrap(), &ru, &[o], 1e-6, tol);
    assert_close("spectral_norm largest v", &sn.v.read_blocking(&g).unwrap(), &rv, &[k], 1e-6, tol);
    assert_close("spectral_norm largest w_sn", &sn.w_sn.read_blocking(&g).unwrap(), &w_sn, &[o, k], 1e-7, tol);
    drop(w_sn);
    // dW = (G - <G, w_sn> u v^T) / sigma with G = w_sn: <G, w_sn> = |w_sn|^2.
    let dw = spectral_norm_backward(&g, &sn, &sn.w_sn).unwrap();
    let ws = f64s(&sn.w_sn.read_blocking(&g).unwrap());
    let (u, v) = (f64s(&sn.u.read_blocking(&g).unwrap()), f64s(&sn.v.read_blocking(&g).unwrap()));
    let s = sn.sigma.read_blocking(&g).unwrap()[0] as f64;
    let dot: f64 = ws.iter().map(|x| x * x).sum();
    let want: Vec<f64> = (0..o * k).map(|i| (ws[i] - dot * u[i / k] * v[i % k]) / s).collect();
    // <G, w_sn> sums 32 M terms in f32 (per-row workgroup trees, then a
    // tree over the rows): relative error ~ 1e-5.
    assert_close("spectral_norm_backward largest", &dw.read_blocking(&g).unwrap(), &want, &[o, k], 1e-8, 1e-4);
}
