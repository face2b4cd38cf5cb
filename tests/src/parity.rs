//! Comparison of a network's state_dict with a reference implementation's
//! after some training steps, shared by the model parity tests.

use shaders::nn::io::weights::StateDict;

/// Per-value tolerance of weights: w_atol + rtol |want| (w_atol is the
/// caller's: about 1% of an Adam step, lr 2e-4, for a few steps).
pub const W_RTOL: f64 = 1e-5;
/// Per-value tolerance of BatchNorm running statistics: atol + rtol |want|.
pub const STAT_ATOL: f64 = 1e-5;
/// See [`STAT_ATOL`].
pub const STAT_RTOL: f64 = 1e-4;

/// Compares `got` with the reference's `want` (same keys in the same order,
/// same shapes); returns the largest weight deviation. Adam's first steps
/// move a weight by about lr sign(g): where a gradient is within rounding of
/// zero the two sides may take opposite signs, so such weights may be off by
/// up to 2 lr per step taken, if rare (at most 1 in 200 per tensor).
pub fn compare_net(what: &str, got: &StateDict, want: &StateDict, lr: f64, steps: usize, w_atol: f64) -> f64 {
    assert_eq!(got.names().collect::<Vec<_>>(), want.names().collect::<Vec<_>>(), "{what}: keys");
    let mut worst = 0.0f64;
    for (name, w) in want.iter() {
        let g = got.get(name).unwrap_or_else(|| panic!("{what}: no `{name}`"));
        assert_eq!(g.shape, w.shape, "{what}.{name}");
        let stat = name.contains("running_");
        let (atol, rtol) = if stat { (STAT_ATOL, STAT_RTOL) } else { (w_atol, W_RTOL) };
        let mut flips = 0;
        for (i, (&gv, &wv)) in g.data.iter().zip(&w.data).enumerate() {
            let d = (gv as f64 - wv as f64).abs();
            if d <= atol + rtol * (wv as f64).abs() {
                worst = worst.max(d);
            } else if !stat && d <= 2.0 * lr * steps as f64 + w_atol {
                flips += 1;
            } else {
                panic!("{what}.{name}{:?}: {gv}, the reference has {wv} (|diff| {d:.3e})", crate::unravel(i, &w.shape));
            }
        }
        assert!(flips * 200 <= w.data.len().max(200), "{what}.{name}: {flips} of {} weights off", w.data.len());
    }
    worst
}
