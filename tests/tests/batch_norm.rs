//! batch_norm (training with running statistics, eval) and its gradients
//! against the f64 CPU reference and central finite differences.

use shaders::ops::{
    batch_norm, batch_norm_backward_bias, batch_norm_backward_input, batch_norm_backward_weight, Activation,
    BatchNormParams,
};
use shaders::{Error, Gpu, Tensor};
use tests::ref_batch::{self, channel_indices};
use tests::ref_train::{central_difference, dot};
use tests::{assert_close, gpu, random};

const EPS: f32 = 1e-5;
const MOMENTUM: f32 = 0.1;

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

struct Case {
    x: [usize; 4],
    affine: bool,
    act: Activation,
}

const ACTS: [Activation; 3] = [Activation::None, Activation::Relu, Activation::LeakyRelu(0.2)];

/// Random operands of a case: x = scale * U[-1, 1) + offset, gamma around 1,
/// beta, running mean and a positive running variance.
struct Operands {
    x: Vec<f32>,
    gamma: Vec<f32>,
    beta: Vec<f32>,
    mean: Vec<f32>,
    var: Vec<f32>,
}

fn operands(shape: [usize; 4], seed: u64, scale: f32, offset: f32) -> Operands {
    let c = shape[1];
    Operands {
        x: random(shape.iter().product(), seed).iter().map(|v| scale * v + offset).collect(),
        gamma: random(c, seed + 1).iter().map(|v| 1.0 + 0.5 * v).collect(),
        beta: random(c, seed + 2),
        mean: random(c, seed + 3),
        var: random(c, seed + 4).iter().map(|v| 1.0 + 0.5 * v).collect(),
    }
}

/// Runs the forward in training or eval mode with running statistics and
/// checks y, the stats and the running statistics against the reference; `tol`
/// is the absolute and relative tolerance of y and the stats.
fn check_forward(g: &Gpu, c: &Case, o: &Operands, training: bool, tol: f64) {
    let ch = c.x[1];
    let xt = Tensor::from_slice(g, &c.x, &o.x).unwrap();
    let gt = Tensor::from_slice(g, &[ch], &o.gamma).unwrap();
    let bt = Tensor::from_slice(g, &[ch], &o.beta).unwrap();
    let mt = Tensor::from_slice(g, &[ch], &o.mean).unwrap();
    let vt = Tensor::from_slice(g, &[ch], &o.var).unwrap();
    let p = BatchNormParams { eps: EPS, momentum: MOMENTUM, activation: c.act };
    let (y, stats) = batch_norm(g, &xt, c.affine.then_some((&gt, &bt)), Some((&mt, &vt)), &p, training).unwrap();
    let (g64, b64) = (f64s(&o.gamma), f64s(&o.beta));
    let (m64, v64) = (f64s(&o.mean), f64s(&o.var));
    let want = ref_batch::batch_norm(
        &f64s(&o.x),
        c.x,
        c.affine.then_some((&g64[..], &b64[..])),
        Some((&m64[..], &v64[..])),
        EPS as f64,
        MOMENTUM as f64,
        c.act,
        training,
    );
    assert_eq!(y.shape(), &c.x[..]);
    assert_eq!(stats.shape(), &[ch, 2][..]);
    let what = format!("batch_norm x{:?} affine={} act={:?} training={training}", c.x, c.affine, c.act);
    assert_close(&what, &y.read_blocking(g).unwrap(), &want.y, &c.x, tol, tol);
    assert_close(&format!("{what} stats"), &stats.read_blocking(g).unwrap(), &want.stats, &[ch, 2], tol, tol);
    let (want_m, want_v) = want.running.unwrap();
    let (got_m, got_v) = (mt.read_blocking(g).unwrap(), vt.read_blocking(g).unwrap());
    if training {
        // One f32 blend of the batch statistics, each within ~1e-6 relative.
        assert_close(&format!("{what} running_mean"), &got_m, &want_m, &[ch], 2e-6, 2e-6);
        assert_close(&format!("{what} running_var"), &got_v, &want_v, &[ch], 2e-6, 2e-6);
    } else {
        assert_eq!(bits(&got_m), bits(&o.mean), "{what}: eval must not change running_mean");
        assert_eq!(bits(&got_v), bits(&o.var), "{what}: eval must not change running_var");
    }
}

#[test]
fn batch_norm_training_odd_shapes() {
    let g = gpu();
    let mut k = 0;
    for shape in [[3, 5, 7, 3], [2, 3, 5, 9], [1, 4, 2, 2], [2, 2, 33, 47]] {
        for affine in [false, true] {
            for act in ACTS {
                let o = operands(shape, 100 + 10 * k, 1.5, 0.3);
                // Sums of at most 3102 values in f32: y within 1e-5 as for
                // instance_norm's planes of up to 2^16 values.
                check_forward(&g, &Case { x: shape, affine, act }, &o, true, 1e-5);
                k += 1;
            }
        }
    }
}

#[test]
fn batch_norm_training_with_offset_mean() {
    // 100 + noise: the corrected two-pass reduction keeps the variance.
    let g = gpu();
    let shape = [4, 3, 64, 65];
    let o = operands(shape, 7, 1.0, 100.0);
    check_forward(&g, &Case { x: shape, affine: true, act: Activation::None }, &o, true, 2e-5);
}

#[test]
fn batch_norm_eval_uses_running_statistics() {
    let g = gpu();
    for (k, shape) in [[3, 5, 7, 3], [1, 4, 2, 2], [1, 6, 1, 1]].into_iter().enumerate() {
        for (affine, act) in [(false, Activation::None), (true, Activation::Relu), (true, Activation::LeakyRelu(0.2))] {
            let o = operands(shape, 200 + 10 * k as u64, 2.0, 0.0);
            // Elementwise in f32 from the given statistics.
            check_forward(&g, &Case { x: shape, affine, act }, &o, false, 1e-6);
        }
    }
}

#[test]
fn batch_norm_without_running_statistics_and_repeated_updates() {
    let g = gpu();
    let shape = [2, 3, 5, 9];
    let o = operands(shape, 300, 1.0, 0.0);
    let xt = Tensor::from_slice(&g, &shape, &o.x).unwrap();
    let p = BatchNormParams::default();
    assert_eq!(p, BatchNormParams { eps: 1e-5, momentum: 0.1, activation: Activation::None });
    let (y, stats) = batch_norm(&g, &xt, None, None, &p, true).unwrap();
    let want = ref_batch::batch_norm(&f64s(&o.x), shape, None, None, 1e-5, 0.1, Activation::None, true);
    assert_close("batch_norm no running", &y.read_blocking(&g).unwrap(), &want.y, &shape, 1e-5, 1e-5);
    assert_close("batch_norm no running stats", &stats.read_blocking(&g).unwrap(), &want.stats, &[3, 2], 1e-5, 1e-5);

    // Three training steps from PyTorch's initial (0, 1) statistics.
    let mt = Tensor::zeros(&g, &[3]).unwrap();
    let vt = Tensor::from_slice(&g, &[3], &[1.0; 3]).unwrap();
    let (mut m64, mut v64) = (vec![0f64; 3], vec![1f64; 3]);
    for step in 0..3 {
        let x = random(o.x.len(), 310 + step);
        let xt = Tensor::from_slice(&g, &shape, &x).unwrap();
        batch_norm(&g, &xt, None, Some((&mt, &vt)), &p, true).unwrap();
        let r = ref_batch::batch_norm(&f64s(&x), shape, None, Some((&m64, &v64)), 1e-5, 0.1, p.activation, true);
        (m64, v64) = r.running.unwrap();
    }
    assert_close("running_mean after 3 steps", &mt.read_blocking(&g).unwrap(), &m64, &[3], 3e-6, 3e-6);
    assert_close("running_var after 3 steps", &vt.read_blocking(&g).unwrap(), &v64, &[3], 3e-6, 3e-6);
}

#[test]
fn batch_norm_rejects_bad_operands() {
    let g = gpu();
    let p = BatchNormParams::default();
    let x = Tensor::zeros(&g, &[2, 3, 4, 5]).unwrap();
    let c3 = Tensor::zeros(&g, &[3]).unwrap();
    let c3b = Tensor::zeros(&g, &[3]).unwrap();
    let c4 = Tensor::zeros(&g, &[4]).unwrap();
    let is_shape = |r: shaders::Result<(Tensor, Tensor)>| matches!(r, Err(Error::Shape { op: "batch_norm", .. }));
    // One value per channel: PyTorch's "Expected more than 1 value per channel when training".
    let single = Tensor::zeros(&g, &[1, 3, 1, 1]).unwrap();
    let e = batch_norm(&g, &single, None, None, &p, true).unwrap_err().to_string();
    assert!(e.contains("batch_norm") && e.contains("more than 1 value per channel"), "{e}");
    assert!(batch_norm(&g, &single, None, Some((&c3, &c3b)), &p, false).is_ok());
    assert!(is_shape(batch_norm(&g, &x, None, None, &p, false)));
    assert!(is_shape(batch_norm(&g, &x, Some((&c3, &c4)), None, &p, true)));
    assert!(is_shape(batch_norm(&g, &x, None, Some((&c3, &c4)), &p, true)));
    assert!(is_shape(batch_norm(&g, &x, None, Some((&c3, &c3)), &p, true)));
    assert!(is_shape(batch_norm(&g, &x, None, None, &BatchNormParams { momentum: 1.5, ..p }, true)));
    assert!(is_shape(batch_norm(&g, &x, None, None, &BatchNormParams { eps: f32::NAN, ..p }, true)));
    let flat = Tensor::zeros(&g, &[6, 20]).unwrap();
    assert!(is_shape(batch_norm(&g, &flat, None, None, &p, true)));
    g.sync().unwrap();
}

/// Runs the training forward (for its stats) and the backward on the GPU;
/// returns (dx, (dgamma, dbeta) when affine).
#[allow(clippy::type_complexity)]
fn gpu_backward(g: &Gpu, c: &Case, o: &Operands, dy: &[f32]) -> (Vec<f32>, Option<(Vec<f32>, Vec<f32>)>) {
    let ch = c.x[1];
    let xt = Tensor::from_slice(g, &c.x, &o.x).unwrap();
    let dyt = Tensor::from_slice(g, &c.x, dy).unwrap();
    let gt = Tensor::from_slice(g, &[ch], &o.gamma).unwrap();
    let bt = Tensor::from_slice(g, &[ch], &o.beta).unwrap();
    let affine = c.affine.then_some((&gt, &bt));
    let p = BatchNormParams { eps: EPS, momentum: MOMENTUM, activation: c.act };
    let (_, stats) = batch_norm(g, &xt, affine, None, &p, true).unwrap();
    let (dx, sums) = batch_norm_backward_input(g, &xt, &stats, &dyt, affine, &p).unwrap();
    assert_eq!(sums.shape(), &[ch, 2]);
    let wb = c.affine.then(|| {
        let dg = batch_norm_backward_weight(g, &sums).unwrap();
        let db = batch_norm_backward_bias(g, &sums).unwrap();
        assert_eq!((dg.shape(), db.shape()), (&[ch][..], &[ch][..]));
        (dg.read_blocking(g).unwrap(), db.read_blocking(g).unwrap())
    });
    (dx.read_blocking(g).unwrap(), wb)
}

#[test]
fn batch_norm_backward_against_reference_and_finite_differences() {
    let g = gpu();
    let mut k = 0u64;
    for shape in [[3, 5, 7, 3], [2, 3, 5, 9], [1, 4, 2, 2], [2, 2, 33, 47]] {
        for affine in [false, true] {
            for act in ACTS {
                let c = Case { x: shape, affine, act };
                let seed = 1000 + 10 * k;
                k += 1;
                let [n, ch, h, w] = shape;
                let len = n * ch * h * w;
                let count = n * h * w;
                let o = operands(shape, seed, 1.5, 0.3);
                let dy = random(len, seed + 5);
                let (dx, wb) = gpu_backward(&g, &c, &o, &dy);

                let (x64, g64, b64, dy64) = (f64s(&o.x), f64s(&o.gamma), f64s(&o.beta), f64s(&dy));
                let aff = affine.then_some((&g64[..], &b64[..]));
                let eps = EPS as f64;
                let (want_dx, want_dg, want_db) = ref_batch::batch_norm_backward(&x64, shape, aff, eps, act, &dy64);
                let what = format!("batch_norm_backward_input {shape:?} affine={affine} {act:?}");
                // Channel sums of n = N*H*W f32 terms of magnitude ~1 (error
                // ~ 6e-8 * sqrt(n)), scaled by rstd ~ 1.2 and gamma <= 1.5:
                // the same bound as instance_norm's planes.
                let tol = 1e-6 * (count as f64).sqrt().max(2.0);
                assert_close(&what, &dx, &want_dx, &shape, tol, 1e-5);
                if let Some((dg, db)) = &wb {
                    assert_close(&format!("{what} dgamma"), dg, &want_dg, &[ch], tol, 1e-5);
                    assert_close(&format!("{what} dbeta"), db, &want_db, &[ch], tol, 1e-5);
                }

                // Central differences of L = sum(dy * batch_norm(x)), channel
                // by channel (L's other channels do not depend on it).
                let loss = |xc: &[f64], ch_i: usize, gb: (f64, f64)| -> f64 {
                    let y = ref_batch::batch_norm(
                        xc,
                        [1, 1, 1, count],
                        Some((&[gb.0], &[gb.1])),
                        None,
                        eps,
                        0.0,
                        act,
                        true,
                    )
                    .y;
                    let dyc: Vec<f64> = channel_indices(shape, ch_i).map(|i| dy64[i]).collect();
                    dot(&y, &dyc)
                };
                let mut fd_dx = vec![0f64; len];
                let mut fd_dg = vec![0f64; ch];
                let mut fd_db = vec![0f64; ch];
                for ch_i in 0..ch {
                    let gb = if affine { (g64[ch_i], b64[ch_i]) } else { (1.0, 0.0) };
                    let idx: Vec<usize> = channel_indices(shape, ch_i).collect();
                    let xc: Vec<f64> = idx.iter().map(|&i| x64[i]).collect();
                    for (j, &i) in idx.iter().enumerate() {
                        fd_dx[i] = central_difference(|v| loss(v, ch_i, gb), &xc, j, 1e-6);
                    }
                    let gbv = [gb.0, gb.1];
                    fd_dg[ch_i] = central_difference(|v| loss(&xc, ch_i, (v[0], v[1])), &gbv, 0, 1e-6);
                    fd_db[ch_i] = central_difference(|v| loss(&xc, ch_i, (v[0], v[1])), &gbv, 1, 1e-6);
                }
                // The f64 analytic gradient agrees with the differences to
                // their rounding error: L sums n terms of size ~1, so
                // ~n * 1.1e-16 / (2h) = n * 5.5e-11.
                let worst = want_dx.iter().zip(&fd_dx).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
                let bound = 1e-10 * count.max(100) as f64;
                assert!(
                    worst < bound,
                    "{what}: f64 analytic dx differs from finite differences by {worst:e} > {bound:e}"
                );
                assert_close(&format!("{what} vs finite differences"), &dx, &fd_dx, &shape, 2.0 * tol, 1e-5);
                if let Some((dg, db)) = &wb {
                    assert_close(&format!("{what} dgamma vs finite differences"), dg, &fd_dg, &[ch], 2.0 * tol, 1e-5);
                    assert_close(&format!("{what} dbeta vs finite differences"), db, &fd_db, &[ch], 2.0 * tol, 1e-5);
                }
            }
        }
    }
}

#[test]
fn batch_norm_backward_is_deterministic() {
    let g = gpu();
    let c = Case { x: [2, 3, 31, 33], affine: true, act: Activation::LeakyRelu(0.2) };
    let o = operands(c.x, 7, 1.0, 0.0);
    let dy = random(o.x.len(), 8);
    let (dx1, wb1) = gpu_backward(&g, &c, &o, &dy);
    let (dx2, wb2) = gpu_backward(&g, &c, &o, &dy);
    assert_eq!(bits(&dx1), bits(&dx2), "dx differs between identical runs");
    let ((g1, b1), (g2, b2)) = (wb1.unwrap(), wb2.unwrap());
    assert_eq!((bits(&g1), bits(&b1)), (bits(&g2), bits(&b2)), "dgamma/dbeta differ between identical runs");
}

#[test]
fn batch_norm_backward_rejects_bad_operands() {
    let g = gpu();
    let p = BatchNormParams::default();
    let x = Tensor::zeros(&g, &[2, 3, 4, 5]).unwrap();
    let stats = Tensor::zeros(&g, &[3, 2]).unwrap();
    let dy = Tensor::zeros(&g, &[2, 3, 5, 4]).unwrap();
    let e = batch_norm_backward_input(&g, &x, &stats, &dy, None, &p).unwrap_err().to_string();
    assert!(e.contains("batch_norm_backward_input") && e.contains("[2, 3, 5, 4]"), "{e}");
    let short = Tensor::zeros(&g, &[2, 2]).unwrap();
    let e = batch_norm_backward_input(&g, &x, &short, &x.clone(), None, &p).unwrap_err().to_string();
    assert!(e.contains("stats"), "{e}");
    let e = batch_norm_backward_weight(&g, &x).unwrap_err().to_string();
    assert!(e.contains("batch_norm_backward_weight"), "{e}");
    let e = batch_norm_backward_bias(&g, &stats.reshape(&[2, 3]).unwrap()).unwrap_err().to_string();
    assert!(e.contains("batch_norm_backward_bias"), "{e}");
}
