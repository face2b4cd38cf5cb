//! Dropout, channel concatenation and BCE-with-logits loss (the remaining ops
//! pix2pix needs) against the f64 CPU reference and central finite
//! differences.

use shaders::ops::{
    bce_with_logits_loss_const, concat_channels, concat_channels_backward_input, dropout, dropout_backward_input,
    dropout_mask,
};
use shaders::{Error, Tensor};
use tests::ref_batch;
use tests::ref_train::{central_difference, dot};
use tests::{assert_close, gpu, random};

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn dropout_matches_the_host_mask_and_is_deterministic() {
    let g = gpu();
    let shape = [2, 3, 17, 19];
    let len: usize = shape.iter().product();
    let x = random(len, 1);
    let dy = random(len, 2);
    let xt = Tensor::from_slice(&g, &shape, &x).unwrap();
    let dyt = Tensor::from_slice(&g, &shape, &dy).unwrap();
    for (p, seed) in [(0.5f32, 0u64), (0.5, 1), (0.5, 1 << 32), (0.2, 0xdead_beef_0123_4567), (0.0, 3), (1.0, 4)] {
        let what = format!("dropout p {p} seed {seed:#x}");
        let mask = dropout_mask(len, p, seed);
        let y = dropout(&g, &xt, p, seed).unwrap();
        assert_eq!(y.shape(), &shape);
        let y = y.read_blocking(&g).unwrap();
        // x times 1 / (1 - p) rounded to f32, rounded again: within one ulp.
        assert_close(&what, &y, &ref_batch::dropout(&f64s(&x), &mask, p as f64), &shape, 0.0, 1.2e-7);
        for (i, (&v, &keep)) in y.iter().zip(&mask).enumerate() {
            assert_eq!(v != 0.0, keep && p < 1.0, "{what}: element {i} disagrees with dropout_mask");
        }
        let again = dropout(&g, &xt, p, seed).unwrap().read_blocking(&g).unwrap();
        assert_eq!(bits(&y), bits(&again), "{what}: two runs with the same seed differ");

        // The backward applies the identical mask: dx = d/dx sum(dy * dropout(x)),
        // which is linear, so central differences are exact up to rounding.
        let dx = dropout_backward_input(&g, &dyt, p, seed).unwrap().read_blocking(&g).unwrap();
        let want = ref_batch::dropout(&f64s(&dy), &mask, p as f64);
        assert_close(&format!("{what} backward"), &dx, &want, &shape, 0.0, 1.2e-7);
        let (x64, dy64) = (f64s(&x), f64s(&dy));
        let loss = |v: &[f64]| dot(&ref_batch::dropout(v, &mask, p as f64), &dy64);
        let fd: Vec<f64> = (0..len).map(|i| central_difference(loss, &x64, i, 1e-3)).collect();
        assert_close(&format!("{what} backward vs finite differences"), &dx, &fd, &shape, 1e-9, 1e-6);
    }
    assert!(dropout_mask(1000, 0.0, 9).iter().all(|&k| k));
    assert!(dropout_mask(1000, 1.0, 9).iter().all(|&k| !k));
    let e = dropout(&g, &xt, 1.5, 0).unwrap_err();
    assert!(matches!(e, Error::Shape { op: "dropout", .. }), "{e}");
    let e = dropout_backward_input(&g, &dyt, -0.1, 0).unwrap_err();
    assert!(matches!(e, Error::Shape { op: "dropout_backward_input", .. }), "{e}");
}

#[test]
fn dropout_keeps_about_one_minus_p() {
    let g = gpu();
    // 2^20 + 3 elements: the fraction kept has standard deviation
    // sqrt(p (1 - p) / len) <= 4.9e-4; allow 5 of them.
    let shape = [1, 1, 1025, 1023];
    let len: usize = shape.iter().product();
    let xt = Tensor::from_slice(&g, &shape, &vec![1.0f32; len]).unwrap();
    for (p, seed) in [(0.5f32, 42u64), (0.2, 43), (0.9, 44)] {
        let y = dropout(&g, &xt, p, seed).unwrap().read_blocking(&g).unwrap();
        let kept = y.iter().filter(|&&v| v != 0.0).count() as f64 / len as f64;
        let sd = (p as f64 * (1.0 - p as f64) / len as f64).sqrt();
        assert!((kept - (1.0 - p as f64)).abs() < 5.0 * sd, "p {p}: kept {kept}, expected {} +- {}", 1.0 - p, 5.0 * sd);
        let scale = 1.0 / (1.0 - p);
        assert!(y.iter().all(|&v| v == 0.0 || v == scale), "p {p}: values must be 0 or 1 / (1 - p)");
        // Neighbouring elements and neighbouring seeds are independent: they
        // agree as often as independent draws, (1 - p)^2 + p^2.
        let mask = dropout_mask(len, p, seed);
        let other = dropout_mask(len, p, seed + 1);
        let want = (1.0 - p as f64).powi(2) + (p as f64).powi(2);
        let agree = mask.iter().zip(&other).filter(|(a, b)| a == b).count() as f64 / len as f64;
        assert!((agree - want).abs() < 5e-3, "p {p}: masks of seeds {seed} and {} agree on {agree}", seed + 1);
        let adjacent = mask.windows(2).filter(|w| w[0] == w[1]).count() as f64 / (len - 1) as f64;
        assert!((adjacent - want).abs() < 5e-3, "p {p}: adjacent elements agree on {adjacent}");
    }
}

#[test]
fn concat_channels_round_trip_and_gradient() {
    let g = gpu();
    for (k, (n, ca, cb, h, w)) in
        [(2, 3, 4, 5, 7), (1, 1, 2, 1, 1), (3, 5, 2, 9, 4), (1, 64, 64, 16, 16)].into_iter().enumerate()
    {
        let seed = 10 * k as u64;
        let (sa, sb, sy) = ([n, ca, h, w], [n, cb, h, w], [n, ca + cb, h, w]);
        let a = random(n * ca * h * w, seed);
        let b = random(n * cb * h * w, seed + 1);
        let at = Tensor::from_slice(&g, &sa, &a).unwrap();
        let bt = Tensor::from_slice(&g, &sb, &b).unwrap();
        let what = format!("concat_channels {sa:?} + {sb:?}");
        let y = concat_channels(&g, &at, &bt).unwrap();
        assert_eq!(y.shape(), &sy);
        let want = ref_batch::concat_channels(&f64s(&a), &f64s(&b), n);
        assert_close(&what, &y.read_blocking(&g).unwrap(), &want, &sy, 0.0, 0.0);

        // Splitting the concatenation gives a and b back exactly.
        let (da, db) = concat_channels_backward_input(&g, &y, ca).unwrap();
        assert_eq!((da.shape(), db.shape()), (&sa[..], &sb[..]));
        assert_eq!(bits(&da.read_blocking(&g).unwrap()), bits(&a), "{what}: round trip a");
        assert_eq!(bits(&db.read_blocking(&g).unwrap()), bits(&b), "{what}: round trip b");

        // Gradient of L = sum(dy * cat(a, b)) against central differences.
        let dy = random(y.len(), seed + 2);
        let dyt = Tensor::from_slice(&g, &sy, &dy).unwrap();
        let (da, db) = concat_channels_backward_input(&g, &dyt, ca).unwrap();
        let (a64, b64, dy64) = (f64s(&a), f64s(&b), f64s(&dy));
        if y.len() < 5000 {
            let fd_a: Vec<f64> = (0..a.len())
                .map(|i| central_difference(|v| dot(&ref_batch::concat_channels(v, &b64, n), &dy64), &a64, i, 1e-3))
                .collect();
            let fd_b: Vec<f64> = (0..b.len())
                .map(|i| central_difference(|v| dot(&ref_batch::concat_channels(&a64, v, n), &dy64), &b64, i, 1e-3))
                .collect();
            assert_close(
                &format!("{what} da vs finite differences"),
                &da.read_blocking(&g).unwrap(),
                &fd_a,
                &sa,
                1e-9,
                1e-6,
            );
            assert_close(
                &format!("{what} db vs finite differences"),
                &db.read_blocking(&g).unwrap(),
                &fd_b,
                &sb,
                1e-9,
                1e-6,
            );
        } else {
            let da_want: Vec<f64> = (0..n).flat_map(|s| dy64[s * (ca + cb) * h * w..][..ca * h * w].to_vec()).collect();
            assert_close(&format!("{what} da"), &da.read_blocking(&g).unwrap(), &da_want, &sa, 0.0, 0.0);
        }
    }
    let a = Tensor::zeros(&g, &[2, 3, 4, 5]).unwrap();
    let b = Tensor::zeros(&g, &[2, 3, 4, 6]).unwrap();
    let e = concat_channels(&g, &a, &b).unwrap_err().to_string();
    assert!(e.contains("concat_channels") && e.contains("[2, 3, 4, 6]"), "{e}");
    for ca in [0, 3, 4] {
        let e = concat_channels_backward_input(&g, &a, ca).unwrap_err().to_string();
        assert!(e.contains("concat_channels_backward_input"), "{e}");
    }
}

/// Logits with every magnitude the loss must survive: random ones, exact 0,
/// and +-50 / +-100 where exp(|x|) overflows f32 (e^88.7).
fn logits(len: usize, seed: u64) -> Vec<f32> {
    let mut x: Vec<f32> = random(len, seed).iter().map(|v| 4.0 * v).collect();
    let special = [0.0f32, 50.0, -50.0, 100.0, -100.0, 20.0, -20.0, 1e-3];
    for (i, v) in x.iter_mut().step_by(7).enumerate() {
        *v = special[i % special.len()];
    }
    x
}

#[test]
fn bce_with_logits_against_reference_and_finite_differences() {
    let g = gpu();
    // 900 values (PatchGAN's 30x30 at 256^2: one partial workgroup) and
    // 600_001 (293 partial sums, more than the final reduction's 256).
    for (shape, seed) in [([1usize, 1, 30, 30], 30u64), ([1, 3, 401, 499], 40)] {
        let len: usize = shape.iter().product();
        let x = logits(len, seed);
        let xt = Tensor::from_slice(&g, &shape, &x).unwrap();
        let x64 = f64s(&x);
        for (target, weight) in [(1.0f32, 1.0f32), (0.0, 0.5), (0.3, 2.0)] {
            let what = format!("bce_with_logits_loss_const {shape:?} target {target} weight {weight}");
            let (loss, grad) = bce_with_logits_loss_const(&g, &xt, target, weight, None).unwrap();
            assert_eq!(loss.shape(), &[1]);
            let (want_loss, want_grad) = ref_batch::bce_with_logits_loss_const(&x64, target as f64, weight as f64);
            // A tree sum of len f32 terms (~1e-7 * log2(len) relative), each
            // within a few ulp (log1p by series, exp to a few ulp).
            let loss_v = loss.read_blocking(&g).unwrap();
            assert_close(&what, &loss_v, &[want_loss], &[1], 0.0, 1e-5);
            let gr = grad.read_blocking(&g).unwrap();
            assert!(gr.iter().all(|v| v.is_finite()), "{what}: non-finite gradient");
            // sigmoid from exp in f32: a few ulp relative, plus the f32
            // scale; with a target strictly inside (0, 1), (1 - t) sigmoid(x)
            // - t sigmoid(-x) cancels where sigmoid(x) ~ t, leaving an
            // absolute error of an ulp or two of the O(1) terms.
            let atol = if target == 0.0 || target == 1.0 { 1e-30 } else { 2.4e-7 * weight as f64 / len as f64 };
            assert_close(&format!("{what} grad"), &gr, &want_grad, &shape, atol, 1e-5);
            if len < 10_000 {
                let loss_fn = |v: &[f64]| ref_batch::bce_with_logits_loss_const(v, target as f64, weight as f64).0;
                let fd: Vec<f64> = (0..len).map(|i| central_difference(loss_fn, &x64, i, 1e-4)).collect();
                // Differences of a sum of len terms of size up to 100: f64
                // rounding ~1e-14 * 100 / 1e-4 per coordinate.
                assert_close(&format!("{what} grad vs finite differences"), &gr, &fd, &shape, 1e-9, 1e-5);
            }
        }
    }
}

#[test]
fn bce_with_logits_large_logits_and_accumulation() {
    let g = gpu();
    // Where the naive log(1 + exp(-x)) or log(sigmoid) overflows or rounds
    // to 0: every term is exact in the reference.
    let x = [50.0f32, -50.0, 100.0, -100.0, 88.0, -88.0, 0.0, 1e-6];
    let shape = [1, 1, 2, 4];
    let xt = Tensor::from_slice(&g, &shape, &x).unwrap();
    for target in [0.0f32, 1.0] {
        let (loss, grad) = bce_with_logits_loss_const(&g, &xt, target, 1.0, None).unwrap();
        let (want_loss, want_grad) = ref_batch::bce_with_logits_loss_const(&f64s(&x), target as f64, 1.0);
        let what = format!("bce_with_logits_loss_const large logits target {target}");
        assert_close(&what, &loss.read_blocking(&g).unwrap(), &[want_loss], &[1], 0.0, 1e-6);
        // Relative accuracy where sigmoid(x) - target is ~e^-50; e^-88 and
        // e^-100 are below f32's normal range, which GPUs may flush to 0.
        let atol = f32::MIN_POSITIVE as f64;
        assert_close(&format!("{what} grad"), &grad.read_blocking(&g).unwrap(), &want_grad, &shape, atol, 1e-5);
    }

    // Accumulating into an existing gradient, as G's GAN term joins the L1 term.
    let shape = [2, 1, 5, 7];
    let len: usize = shape.iter().product();
    let (a, g0) = (logits(len, 50), random(len, 51));
    let at = Tensor::from_slice(&g, &shape, &a).unwrap();
    let acc = Tensor::from_slice(&g, &shape, &g0).unwrap();
    let (loss, out) = bce_with_logits_loss_const(&g, &at, 1.0, 0.5, Some(&acc)).unwrap();
    assert_eq!(out.buffer(), acc.buffer());
    let (want_loss, want_grad) = ref_batch::bce_with_logits_loss_const(&f64s(&a), 1.0, 0.5);
    let want: Vec<f64> = (0..len).map(|i| g0[i] as f64 + want_grad[i]).collect();
    assert_close("accumulated bce gradient", &acc.read_blocking(&g).unwrap(), &want, &shape, 1e-7, 1e-6);
    assert_close("bce loss", &loss.read_blocking(&g).unwrap(), &[want_loss], &[1], 0.0, 1e-5);
    let e = bce_with_logits_loss_const(&g, &at, 1.0, 1.0, Some(&at)).unwrap_err().to_string();
    assert!(e.contains("bce_with_logits_loss_const"), "{e}");

    // Deterministic reduction.
    let run = || {
        let (l, gr) = bce_with_logits_loss_const(&g, &at, 0.0, 1.0, None).unwrap();
        [l, gr].map(|t| bits(&t.read_blocking(&g).unwrap()))
    };
    assert!(run() == run(), "bce loss or gradient differs between identical runs");
}
